/**
 * `importExtension(file)`: loads an extension source file into your test process the way swamp
 * bundles it, so the conformance suites (and your own tests) can run against it directly.
 *
 * swamp extensions use Deno-style specifiers (`import { z } from "npm:zod@4"`) that Node cannot
 * import as they are. This bundles the file with esbuild as swamp does — every `npm:zod@…`
 * spelling and `zod` become the zod this package uses, `@swamp-ts/sdk` (or its earlier name
 * `swamp-sdk`) becomes this sdk, other
 * `npm:<pkg>@<version>` imports are resolved from your node_modules and inlined, local imports
 * are inlined — writes the bundle to a temporary file and imports it.
 *
 *   const { model } = await importExtension(new URL("../extensions/models/greeter.ts", import.meta.url));
 *   await assertModelTypeConformance(model, { samples: { greet: { name: "ada" } } });
 *
 * Needs `esbuild` (an optional peer dependency: `npm install -D esbuild`). Each call evaluates
 * the module afresh, so module state never leaks between tests.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ZOD = /^(?:npm:\/?)?zod(?:@[^/]*)?(\/.*)?$/;
const NPM = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?(\/.*)?$/;
let loads = 0;

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number; lineText?: string } | null;
}

function formatMessages(messages: EsbuildMessage[]): string {
  return messages
    .map((m) => {
      const loc = m.location;
      return `${loc ? `${loc.file}:${loc.line}:${loc.column + 1}: ` : ""}${m.text}${loc?.lineText ? `\n    ${loc.lineText.trim()}` : ""}`;
    })
    .join("\n");
}

const SDK = /^(?:npm:)?(?:@swamp-ts\/sdk|swamp-sdk)(\/testing)?$/;

function hostUrl(specifier: string): string | null {
  const sdk = SDK.exec(specifier);
  if (sdk) return new URL(sdk[1] ? "./index.js" : "../index.js", import.meta.url).href;
  const m = ZOD.exec(specifier);
  if (!m) return null;
  return import.meta.resolve(`zod${m[1] ?? ""}`);
}

/** Bundles and imports an extension file; resolves with its module namespace. */
export async function importExtension<T = Record<string, unknown>>(file: string | URL): Promise<T> {
  const entry = resolve(file instanceof URL ? fileURLToPath(file) : file);
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new Error("importExtension needs esbuild to bundle the extension: install it (npm install -D esbuild)");
  }
  let code: Uint8Array;
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      logLevel: "silent",
      outfile: join(tmpdir(), "swamp-sdk-extension.mjs"),
      banner: { js: 'import { createRequire as __sdkCreateRequire } from "node:module"; const require = __sdkCreateRequire(import.meta.url);' },
      plugins: [
        {
          name: "swamp-sdk-extension",
          setup(build) {
            build.onResolve({ filter: /^(?:npm:|zod$|zod\/|swamp-sdk(?:$|\/)|@swamp-ts\/sdk(?:$|\/))/ }, async (args) => {
              const host = hostUrl(args.path);
              if (host) return { path: host, external: true };
              const m = NPM.exec(args.path);
              if (!m) return { errors: [{ text: `Cannot parse npm specifier "${args.path}"` }] };
              const r = await build.resolve(`${m[1]}${m[2] ?? ""}`, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer });
              if (r.errors.length > 0) return { errors: [{ text: `Cannot find npm package "${m[1]}" (from "${args.path}"): install it (npm install ${m[1]})` }] };
              return { path: r.path, external: r.external, namespace: r.namespace };
            });
            build.onResolve({ filter: /^(?:jsr:|https?:)/ }, (args) => ({
              errors: [{ text: `"${args.path}": jsr: and https: imports are not supported by swamp; use an npm: specifier or a local file` }],
            }));
          },
        },
      ],
    });
    const out = result.outputFiles[0];
    if (!out) throw new Error(`esbuild produced no output for ${entry}`);
    code = out.contents;
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) throw new Error(`Cannot bundle ${entry}:\n${formatMessages(errors)}`);
    throw err;
  }
  const dir = await mkdtemp(join(tmpdir(), "swamp-sdk-ext-"));
  const path = join(dir, `${basename(entry).replace(/\.[cm]?[tj]s$/, "")}.mjs`);
  try {
    await writeFile(path, code);
    return (await import(`${pathToFileURL(path).href}?load=${++loads}`)) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
