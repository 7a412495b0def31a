#!/usr/bin/env node
// Bundles the `swamp` bin: one small entry plus lazily loaded chunks, so a command only
// parses the code it uses. Dependencies are bundled too (parsing one file is far cheaper
// than resolving hundreds of modules at start-up); esbuild and piscina stay external because
// they load native binaries and worker files at run time.
import { build } from "esbuild";
import { chmodSync, readFileSync, renameSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
// Build beside the live bin and swap it in, so a swamp process started meanwhile never finds
// a half-written or missing bundle.
const finalDir = `${root}dist/bin`;
const outdir = `${root}dist/.bin-${process.pid}`;
const { version } = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { swamp: "cli/main.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  external: ["esbuild", "piscina", "@aws-sdk/*"],
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __swampCreateRequire } from "node:module";',
      "const require = __swampCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  define: { SWAMP_VERSION: JSON.stringify(version) },
  logLevel: "warning",
});
chmodSync(`${outdir}/swamp.js`, 0o755);

// The extension host's worker and sandbox entries: separate files, because a worker thread
// (piscina) and a sandbox process (`node --experimental-permission …`) each start from a file
// of their own. They are loaded only by commands that use an extension. zod is bundled in:
// the worker hands its own copy to the extensions it loads (plugins/worker/load.ts), which
// costs one file to compile instead of resolving about a hundred in every worker.
await build({
  absWorkingDir: root,
  entryPoints: { "extension-worker": "plugins/worker/entry.ts", "extension-sandbox": "plugins/worker/sandbox-main.ts" },
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifySyntax: true,
  sourcemap: "linked",
  logLevel: "warning",
});
const retired = `${root}dist/.bin-old-${process.pid}`;
try {
  renameSync(finalDir, retired);
} catch (err) {
  if (err.code !== "ENOENT") throw err;
}
renameSync(outdir, finalDir);
rmSync(retired, { recursive: true, force: true });
