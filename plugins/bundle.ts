/**
 * Bundling one extension entry point with esbuild (in-process, `build` API): ESM for Node.
 *
 * - `npm:zod@<any>`, `zod`, `zod/*` and `swamp-sdk` become virtual modules that re-export
 *   what the worker provides through a global, so the extension shares the host's zod.
 * - Any other `npm:<pkg>@<ver>[/sub]` becomes `<pkg>[/sub]`, resolved from the repo's
 *   node_modules, then swamp's own, and is inlined.
 * - `jsr:` and `https:` imports are a clear build error.
 *
 * The metafile tells which local files went into the bundle; they (and the package.json of
 * every npm package used) are the inputs of the cache key.
 */
import type { Message, Plugin } from "esbuild";
import { dirname, join, resolve } from "node:path";
import { HOST_GLOBAL } from "./worker/protocol.js";
import { hostModuleFor, swampRoot } from "./host-modules.js";

export type BundleOutcome =
  | { ok: true; code: Uint8Array; inputs: string[]; hostModules: string[] }
  | { ok: false; message: string };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const exportNames = new Map<string, Promise<string[]>>();

/** Export names of a host module, read from swamp's own copy (once per process). */
function namesOf(spec: string): Promise<string[]> {
  let names = exportNames.get(spec);
  if (!names) {
    const load = spec === "swamp-sdk" ? import("../sdk/index.js") : import(spec);
    names = load.then((mod: Record<string, unknown>) => Object.keys(mod).filter((k) => IDENTIFIER.test(k)).sort());
    exportNames.set(spec, names);
  }
  return names;
}

async function virtualModule(spec: string): Promise<string> {
  const names = await namesOf(spec);
  const lines = [
    `const __m = globalThis[${JSON.stringify(HOST_GLOBAL)}]?.modules?.[${JSON.stringify(spec)}];`,
    `if (!__m) throw new Error(${JSON.stringify(`${spec} is provided by swamp: this bundle only runs inside a swamp extension worker`)});`,
  ];
  const exports: string[] = [];
  names.forEach((name, i) => {
    lines.push(`const __e${i} = __m[${JSON.stringify(name)}];`);
    exports.push(`__e${i} as ${name}`);
  });
  if (!names.includes("default")) {
    lines.push(`const __default = __m.z ?? __m;`);
    exports.push("__default as default");
  }
  lines.push(`export { ${exports.join(", ")} };`);
  return lines.join("\n");
}

const NPM = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?(\/.*)?$/;

function swampPlugin(repoDir: string, used: Set<string>): Plugin {
  return {
    name: "swamp-extension",
    setup(build) {
      build.onResolve({ filter: /^(?:npm:|zod$|zod\/|swamp-sdk$)/ }, async (args) => {
        const host = hostModuleFor(args.path);
        if (host) {
          used.add(host);
          return { path: host, namespace: "swamp-host" };
        }
        const m = NPM.exec(args.path);
        if (!m) return { errors: [{ text: `Cannot parse npm specifier "${args.path}"` }] };
        const target = `${m[1]}${m[2] ?? ""}`;
        for (const resolveDir of [repoDir, swampRoot()]) {
          const r = await build.resolve(target, { kind: args.kind, resolveDir, importer: args.importer });
          if (r.errors.length === 0) return { path: r.path, namespace: r.namespace, external: r.external, sideEffects: r.sideEffects };
        }
        return {
          errors: [{ text: `Cannot find npm package "${m[1]}" (from "${args.path}"): install it in the repository (npm install ${m[1]})` }],
        };
      });
      build.onResolve({ filter: /^(?:jsr:|https?:)/ }, (args) => ({
        errors: [{ text: `"${args.path}": jsr: and https: imports are not supported by swamp's bundler; use an npm: specifier or a local file` }],
      }));
      build.onLoad({ filter: /.*/, namespace: "swamp-host" }, async (args) => {
        try {
          return { contents: await virtualModule(args.path), loader: "js", resolveDir: repoDir };
        } catch {
          return { errors: [{ text: `"${args.path}" is not provided by swamp (supported: zod, zod/v4, zod/v4/core, zod/mini, swamp-sdk)` }] };
        }
      });
    },
  };
}

function formatMessage(m: Message, cwd: string): string {
  const loc = m.location;
  const where = loc ? `${resolve(cwd, loc.file)}:${loc.line}:${loc.column + 1}: ` : "";
  const code = loc?.lineText ? `\n    ${loc.lineText.trim()}` : "";
  return `${where}${m.text}${code}`;
}

/** package.json of the npm package a node_modules input belongs to. */
function packageJsonOf(path: string): string | null {
  const m = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(path);
  return m?.[1] ? join(m[1], "package.json") : null;
}

/** Bundles `entry` (absolute). Never throws for a broken source: returns esbuild's errors. */
export async function bundleExtension(entry: string, repoDir: string): Promise<BundleOutcome> {
  const esbuild = await import("esbuild");
  const used = new Set<string>();
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: repoDir,
      outfile: join(dirname(entry), "__swamp_bundle__.mjs"),
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      logLevel: "silent",
      nodePaths: [join(swampRoot(), "node_modules")],
      plugins: [swampPlugin(repoDir, used)],
      banner: {
        js: 'import { createRequire as __swampCreateRequire } from "node:module"; const require = __swampCreateRequire(import.meta.url);',
      },
    });
    const output = result.outputFiles.find((f) => f.path.endsWith(".mjs")) ?? result.outputFiles[0];
    if (!output) return { ok: false, message: `esbuild produced no output for ${entry}` };
    const inputs = new Set<string>();
    for (const key of Object.keys(result.metafile?.inputs ?? {})) {
      if (/^[a-z-]+:/.test(key)) continue; // virtual (swamp-host:zod) or other namespaces
      const abs = resolve(repoDir, key);
      const pkg = packageJsonOf(abs);
      inputs.add(pkg ?? abs);
    }
    inputs.add(entry);
    return { ok: true, code: output.contents, inputs: [...inputs].sort(), hostModules: [...used].sort() };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return { ok: false, message: errors.map((m) => formatMessage(m, repoDir)).join("\n") };
    }
    return { ok: false, message: (err as Error).message ?? String(err) };
  }
}
