/**
 * Bundling extension entry points with esbuild (in-process, `build` API), for Node.
 *
 * A bundle is a script (CommonJS) when it can be one: nothing at its top level awaits, it
 * never reads `import.meta`, and it imports no npm package and nothing dynamically from
 * outside itself. A worker then runs it as a function, without starting Node's ES module
 * loader (~10 ms of every extension worker's start). Any other bundle is an ES module.
 *
 * How an import resolves (the same spellings swamp's reference runtime accepts):
 * - a bare name in the nearest `deno.json(c)` `imports` or `package.json` `imports` /
 *   `dependencies` (see compat/import-map.ts) is replaced by its target first;
 * - `npm:zod@<any>`, `zod`, `zod/*` and the sdk (`@swamp-ts/sdk`, `swamp-sdk`) become virtual
 *   modules that re-export what the worker provides through a global, so the extension
 *   shares the host's zod;
 * - `jsr:@std/path@1`, `jsr:@std/fs@1`, `@std/path`, `@std/fs` (and subpaths) are swamp's own
 *   implementations (compat/std), inlined; any other `jsr:` or an `https:` import is an error;
 * - `npm:<pkg>@<ver>[/sub]` is installed into the repo's dependency cache (npm-cache.ts)
 *   and left out of the bundle: the import is rewritten to the absolute file URL of the cached
 *   package's entry, so every extension a worker loads shares one copy of the package.
 *   Every missing package of a build is installed in one npm run, before the builds. An exact
 *   version swamp itself ships resolves to swamp's own copy (nothing to install).
 *
 * The metafile tells which local files went into the bundle; they, the import-map files (and
 * where one could appear), and the package.json of every npm package used are the inputs of
 * the cache key.
 */
import type { Message, Plugin, PluginBuild } from "esbuild";
import { existsSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { importModule } from "../kernel/contract/import-module.js";
import { BUNDLE_SUFFIX, HOST_GLOBAL, isSdkSpecifier, type BundleFormat } from "./worker/protocol.js";
import { hostModuleFor, swampRoot } from "./host-modules.js";
import { loadImportMaps, type ImportMaps } from "./compat/import-map.js";
import { ensureInstalled, lookupCached, NpmInstallError, parseNpmSpecifier, type NpmRequest } from "./npm-cache.js";

export type BundleOutcome =
  | { ok: true; code: Uint8Array; format: BundleFormat; inputs: string[]; hostModules: string[] }
  | { ok: false; message: string; inputs: string[] };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const exportNames = new Map<string, Promise<string[]>>();

/** Export names of a host module, read from swamp's own copy (once per process). */
function namesOf(spec: string): Promise<string[]> {
  let names = exportNames.get(spec);
  if (!names) {
    const load = isSdkSpecifier(spec) ? import("../sdk/index.js") : importModule<Record<string, unknown>>(spec);
    names = load.then((mod: Record<string, unknown>) => Object.keys(mod).filter((k) => IDENTIFIER.test(k)).sort());
    exportNames.set(spec, names);
  }
  return names;
}

/**
 * The module a host-module import is bundled as: each export read from the module the worker
 * provides. The reads are marked pure so esbuild drops the exports a bundle never uses (most
 * import a name or two of zod's few hundred): a smaller bundle is faster to load, and so is
 * its source map.
 */
async function virtualModule(spec: string): Promise<string> {
  const names = await namesOf(spec);
  const lines = [
    `const __m = globalThis[${JSON.stringify(HOST_GLOBAL)}]?.modules?.[${JSON.stringify(spec)}];`,
    `if (!__m) throw new Error(${JSON.stringify(`${spec} is provided by swamp: this bundle only runs inside a swamp extension worker`)});`,
    "const __get = (name) => __m[name];",
  ];
  const exports: string[] = [];
  names.forEach((name, i) => {
    lines.push(`const __e${i} = /* @__PURE__ */ __get(${JSON.stringify(name)});`);
    exports.push(`__e${i} as ${name}`);
  });
  if (!names.includes("default")) {
    lines.push("const __default = /* @__PURE__ */ (() => __m.z ?? __m)();");
    exports.push("__default as default");
  }
  lines.push(`export { ${exports.join(", ")} };`);
  return lines.join("\n");
}

/** What an import specifier is, before esbuild's own resolution. */
type Target =
  | { to: "host"; spec: string }
  | { to: "std"; file: string }
  | { to: "npm"; request: NpmRequest; sub: string }
  | { to: "file"; path: string }
  | { to: "error"; text: string }
  | null;

const STD = /^(?:jsr:\/?)?@std\/(path|fs)(?:@([^/]*))?(\/.*)?$/;

/** The compiled file of swamp's `@std/<module>` (dist/plugins/compat/std/<module>.js). */
function stdFile(module: string): string {
  return join(swampRoot(), "dist", "plugins", "compat", "std", `${module}.js`);
}

function classify(spec: string, maps: ImportMaps | null): Target {
  const host = hostModuleFor(spec);
  if (host) return { to: "host", spec: host };
  const std = STD.exec(spec);
  if (std) {
    const version = std[2] ?? "";
    if (version !== "" && !/^[\^~=v]*1(?:[.\s]|$)/.test(version)) {
      return { to: "error", text: `"${spec}": swamp provides @std/${std[1]} 1.x; version "${version}" is not supported` };
    }
    return { to: "std", file: stdFile(std[1]!) };
  }
  if (spec.startsWith("jsr:")) {
    return { to: "error", text: `"${spec}": swamp provides only jsr:@std/path and jsr:@std/fs (1.x); other jsr: packages are not supported — use an npm: specifier or a local file` };
  }
  if (/^https?:/.test(spec)) return { to: "error", text: `"${spec}": https: imports are not supported by swamp's bundler; use an npm: specifier or a local file` };
  if (spec.startsWith("npm:")) {
    const npm = parseNpmSpecifier(spec);
    if (!npm) return { to: "error", text: `Cannot parse npm specifier "${spec}"` };
    return { to: "npm", request: { name: npm.name, range: npm.range }, sub: npm.sub };
  }
  const mapped = maps?.map(spec);
  if (mapped) return mapped.startsWith("/") || /^[A-Za-z]:[\\/]/.test(mapped) ? { to: "file", path: mapped } : classify(mapped, null);
  return null;
}

/** Not relative, not absolute, not a Node builtin or file URL, not a package.json `#import`. */
const isBare = (spec: string): boolean => !/^(?:node:|file:|data:|#)/.test(spec);
const inNodeModules = (path: string): boolean => /[\\/]node_modules[\\/]/.test(path);

interface BuildState {
  maps: ImportMaps;
  /** scan: collect npm requests; build: resolve them from the cache. */
  mode: "scan" | "build";
  requests: NpmRequest[];
  hostModules: Set<string>;
  /** package.json files of the cached npm packages the bundle imports. */
  packages: Set<string>;
}

async function resolveNpm(build: PluginBuild, repoDir: string, state: BuildState, request: NpmRequest, sub: string, kind: string) {
  const cached = await lookupCached(repoDir, request);
  const label = `npm:${request.name}${request.range ? `@${request.range}` : ""}`;
  if (!cached) return { errors: [{ text: `npm package ${label} is not installed in the dependency cache` }] };
  const r = await build.resolve(`${cached.specifier}${sub}`, { kind: kind as "import-statement", resolveDir: cached.root });
  if (r.errors.length > 0) return { errors: [{ text: `Cannot resolve "${label}${sub}" in the installed ${cached.name}@${cached.version}: ${r.errors[0]?.text ?? ""}` }] };
  state.packages.add(join(cached.dir, "package.json"));
  const path = kind.startsWith("require") ? r.path : pathToFileURL(r.path).href;
  return { path, external: true };
}

function swampPlugin(repoDir: string, state: BuildState): Plugin {
  return {
    name: "swamp-extension",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (!isBare(args.path) || (inNodeModules(args.importer) && !/^(?:npm|jsr):/.test(args.path))) return undefined;
        const target = classify(args.path, state.maps);
        if (!target) return undefined;
        switch (target.to) {
          case "host":
            state.hostModules.add(target.spec);
            return { path: target.spec, namespace: "swamp-host" };
          case "std":
            if (!existsSync(target.file)) return { errors: [{ text: `swamp's @std implementation is missing (${target.file}); reinstall swamp or run 'npm run build'` }] };
            return { path: target.file };
          case "file":
            return build.resolve(target.path, { kind: args.kind, resolveDir: dirname(target.path) });
          case "error":
            return { errors: [{ text: target.text }] };
          case "npm":
            if (state.mode === "scan") {
              state.requests.push(target.request);
              return { path: args.path, external: true };
            }
            return resolveNpm(build, repoDir, state, target.request, target.sub, args.kind);
        }
      });
      build.onLoad({ filter: /.*/, namespace: "swamp-host" }, async (args) => {
        try {
          return { contents: await virtualModule(args.path), loader: "js", resolveDir: repoDir };
        } catch {
          return { errors: [{ text: `"${args.path}" is not provided by swamp (supported: zod, zod/v4, zod/v4/core, zod/mini, @swamp-ts/sdk)` }] };
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

async function runEsbuild(entry: string, repoDir: string, state: BuildState, format: BundleFormat = "esm") {
  const esbuild = await importModule<typeof import("esbuild")>("esbuild");
  return esbuild.build({
    entryPoints: [entry],
    absWorkingDir: repoDir,
    outfile: join(dirname(entry), `__swamp_bundle__${BUNDLE_SUFFIX[format]}`),
    bundle: true,
    write: false,
    metafile: state.mode === "build",
    format,
    platform: "node",
    target: "node20",
    // Node's own conditions: an external package entry must be the file Node would load.
    conditions: ["node"],
    sourcemap: state.mode === "build" ? "inline" : false,
    // The map's sources are relative to the entry's folder, but the bundle is cached elsewhere:
    // rooted here, mapped stack frames name the files the user wrote.
    sourceRoot: `${pathToFileURL(dirname(entry)).href}/`,
    logLevel: "silent",
    nodePaths: [join(swampRoot(), "node_modules")],
    plugins: [swampPlugin(repoDir, state)],
    banner: {
      // A script gets `require` from its runner (worker/load.ts) and is strict like a module.
      js: format === "cjs" ? '"use strict";' : 'import { createRequire as __swampCreateRequire } from "node:module"; const require = __swampCreateRequire(import.meta.url);',
    },
  });
}

type BuildResult = Awaited<ReturnType<typeof runEsbuild>>;

/** Whether a CommonJS build behaves as the ES module would (see the top of this file). */
function worksAsScript(result: BuildResult, state: BuildState): boolean {
  if (state.packages.size > 0) return false;
  if (result.warnings.some((w) => w.id === "empty-import-meta")) return false;
  const imports = Object.values(result.metafile?.outputs ?? {}).flatMap((o) => o.imports);
  return imports.every((i) => !i.external || (i.kind === "require-call" && isBuiltin(i.path)));
}

/**
 * The script build when it works as one, else the ES module build (which reports any error).
 * An entry that imports npm packages (known from the scan) is never tried as a script.
 */
async function buildEither(entry: string, repoDir: string, maps: ImportMaps, usesNpm: boolean): Promise<{ result: BuildResult; state: BuildState; format: BundleFormat }> {
  const fresh = (): BuildState => ({ maps, mode: "build", requests: [], hostModules: new Set(), packages: new Set() });
  if (!usesNpm) {
    const script = fresh();
    const result = await runEsbuild(entry, repoDir, script, "cjs").catch(() => null);
    if (result && worksAsScript(result, script)) return { result, state: script, format: "cjs" };
  }
  const module = fresh();
  return { result: await runEsbuild(entry, repoDir, module, "esm"), state: module, format: "esm" };
}

function failure(err: unknown, repoDir: string): string {
  const errors = (err as { errors?: Message[] }).errors;
  if (Array.isArray(errors) && errors.length > 0) return errors.map((m) => formatMessage(m, repoDir)).join("\n");
  return (err as Error).message ?? String(err);
}

async function buildOne(entry: string, repoDir: string, maps: ImportMaps, installError: string | null, needed: NpmRequest[]): Promise<BundleOutcome> {
  const watched = [...maps.candidates, entry];
  try {
    const { result, state, format } = await buildEither(entry, repoDir, maps, needed.length > 0);
    const output = result.outputFiles.find((f) => /\.[cm]js$/.test(f.path)) ?? result.outputFiles[0];
    if (!output) return { ok: false, message: `esbuild produced no output for ${entry}`, inputs: watched };
    const inputs = new Set<string>(watched);
    for (const key of Object.keys(result.metafile?.inputs ?? {})) {
      if (/^[a-z-]+:/.test(key)) continue; // virtual (swamp-host:zod) or other namespaces
      const abs = resolve(repoDir, key);
      inputs.add(packageJsonOf(abs) ?? abs);
    }
    for (const pkg of state.packages) inputs.add(pkg);
    return { ok: true, code: output.contents, format, inputs: [...inputs].sort(), hostModules: [...state.hostModules].sort() };
  } catch (err) {
    // A failed install explains every unresolved npm: import of this build at once.
    const message = installError && needed.length > 0 ? installError : failure(err, repoDir);
    return { ok: false, message, inputs: watched };
  }
}

/**
 * Bundles each entry (absolute). Never throws for a broken source: returns esbuild's errors.
 * The npm packages every entry imports are collected first and the missing ones installed
 * together.
 */
export async function bundleExtensions(
  entries: readonly string[],
  repoDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  hooks: { onBuilt?: () => void } = {},
): Promise<BundleOutcome[]> {
  type Prepared = { entry: string; maps: ImportMaps; requests: NpmRequest[] } | { entry: string; error: string };
  const prepared = await Promise.all(
    entries.map(async (entry): Promise<Prepared> => {
      try {
        const maps = loadImportMaps(entry, repoDir);
        const state: BuildState = { maps, mode: "scan", requests: [], hostModules: new Set(), packages: new Set() };
        await runEsbuild(entry, repoDir, state).catch(() => undefined); // the real build reports errors
        return { entry, maps, requests: state.requests };
      } catch (err) {
        return { entry, error: (err as Error).message };
      }
    }),
  );
  const requests = prepared.flatMap((p) => ("requests" in p ? p.requests : []));
  let installError: string | null = null;
  try {
    if (requests.length > 0) await ensureInstalled(repoDir, requests, env);
  } catch (err) {
    installError = err instanceof NpmInstallError ? err.message : `could not install npm packages: ${(err as Error).message}`;
  }
  return Promise.all(
    prepared.map(async (p) => {
      const outcome = "maps" in p ? await buildOne(p.entry, repoDir, p.maps, installError, p.requests) : { ok: false as const, message: p.error, inputs: [p.entry] };
      hooks.onBuilt?.();
      return outcome;
    }),
  );
}

/** Bundles one entry (absolute). */
export async function bundleExtension(entry: string, repoDir: string, env?: Readonly<Record<string, string | undefined>>): Promise<BundleOutcome> {
  const [outcome] = await bundleExtensions([entry], repoDir, env);
  return outcome!;
}
