#!/usr/bin/env node
// Bundles the `swamp` bin: the CLI (cli/main.ts and everything it imports, dependencies too) as
// one CommonJS file, bin/cli/main.js, plus a small bin, bin/swamp.cjs (cli/bin.ts), that
// runs it through V8's code cache. Large packages few commands use go to a sidecar bundle,
// bin/cli/libs.js (cli/sidecar-libs.ts), run the same way on first use. One file because resolving and linking dozens of ESM chunks
// cost more than parsing code a command never runs (modules it does not need stay unevaluated
// behind esbuild's lazy wrappers); CommonJS because only a script can use cached code on
// Node 20. esbuild stays external because it loads a native binary at run time; @aws-sdk is
// loaded only by the S3 datastore. piscina is bundled, with its worker runner beside it.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
// tsc has built dist/ before this runs (npm run build).
import { BUNDLE_HEAD, BUNDLE_TAIL } from "../dist/cli/code-cache.js";

const root = new URL("..", import.meta.url).pathname;
// Build beside the live bin and swap it in, so a swamp process started meanwhile never finds
// a half-written or missing bundle.
const finalDir = `${root}dist/bin`;
const outdir = `${root}dist/.bin-${process.pid}`;
const { version } = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
rmSync(outdir, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: "linked",
  define: { SWAMP_VERSION: JSON.stringify(version) },
  logLevel: "warning",
};

/**
 * Edits to bundled dependencies, for start-up time:
 * - clipanion reads `process.stdin` (and loads node:tty for a colour depth we never use: the
 *   CLI passes `enableColors`) when it loads, and copies every context property on each run.
 *   Opening stdin costs milliseconds and only a few commands read it, so both become getters,
 *   and the context is merged with its getters kept;
 * - clipanion's parser's `simplifyMachine` is replaced by cli/parser-machine.ts, which builds
 *   the same machine without a linear scan per transition;
 * - piscina starts each worker thread from its runner beside it, `worker.js`: that runner is
 *   built as CommonJS, `worker.cjs` (see below), so a thread starts without the ESM loader.
 * Each edit must apply exactly once: a dependency whose code differs fails the build rather
 * than being left half-edited.
 */
const dependencyEdits = {
  name: "dependency-edits",
  setup(b) {
    const edits = {
      "clipanion/lib/advanced/Cli.js": [
        ["    stdin: process.stdin,\n", "    get stdin() { return process.stdin; },\n", 1],
        ["    colorDepth: platform.getDefaultColorDepth(),\n", "    get colorDepth() { return platform.getDefaultColorDepth(); },\n", 1],
        [
          "const context = {\n            ...Cli.defaultContext,\n            ...userContext,\n        };",
          "const context = Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(Cli.defaultContext), ...Object.getOwnPropertyDescriptors(userContext ?? {}) });",
          2,
        ],
      ],
      "clipanion/lib/platform/node.js": [
        ["var tty = require('tty');\n", "", 1],
        ["var tty__default = /*#__PURE__*/_interopDefaultLegacy(tty);", "var tty__default = { get default() { return require('tty'); } };", 1],
      ],
      "clipanion/lib/core.js": [
        [
          "function simplifyMachine(input) {\n",
          `function simplifyMachine(input) {\n    return require(${JSON.stringify(`${root}cli/parser-machine.ts`)}).simplifyMachine(input, constants.NODE_INITIAL);\n}\nfunction upstreamSimplifyMachine(input) {\n`,
          1,
        ],
      ],
      "piscina/dist/index.js": [["(0, node_path_1.resolve)(__dirname, 'worker.js')", "(0, node_path_1.resolve)(__dirname, 'worker.cjs')", 1]],
    };
    b.onLoad({ filter: /[\\/]node_modules[\\/](clipanion[\\/]lib[\\/](advanced[\\/]Cli|platform[\\/]node|core)|piscina[\\/]dist[\\/]index)\.js$/ }, ({ path }) => {
      const key = Object.keys(edits).find((k) => path.replaceAll("\\", "/").endsWith(k));
      let text = readFileSync(path, "utf8");
      for (const [from, to, count] of edits[key]) {
        const found = text.split(from).length - 1;
        if (found !== count) throw new Error(`${path}: expected ${count} of ${JSON.stringify(from)}, found ${found}`);
        text = text.replaceAll(from, to);
      }
      return { contents: text, loader: "js" };
    });
  },
};

/**
 * piscina's uses of node:assert (invariant checks) and node:perf_hooks (`performance.now()`,
 * histograms) are served by the small modules in scripts/piscina-stand-ins/: loading the real
 * ones costs the CLI ~5 ms and each worker thread ~1.5 ms, in every command that starts a
 * worker. The build fails if piscina uses more of either than those modules provide. Its
 * optional @napi-rs/nice, which swamp never asks for, gets a stand-in that fails to load.
 */
const PISCINA_BUILTINS = { "node:assert": /\bnode_assert_1\.default(\.\w+)?/g, "node:perf_hooks": /\bnode_perf_hooks_1\.(\w+(\.\w+)?)/g };
const PISCINA_BUILTIN_USES = new Set(["default", "default.notStrictEqual", "performance.now", "createHistogram"]);
const piscinaStandIns = {
  name: "piscina-stand-ins",
  setup(b) {
    const inPiscina = /[\\/]node_modules[\\/]piscina[\\/]/;
    const standIn = (name) => ({ path: `${root}scripts/piscina-stand-ins/${name}.cjs` });
    b.onResolve({ filter: /^@napi-rs\/nice$/ }, ({ importer }) => (inPiscina.test(importer) ? standIn("nice") : undefined));
    b.onResolve({ filter: /^node:(assert|perf_hooks)$/ }, ({ path, importer }) => {
      if (!inPiscina.test(importer)) return undefined;
      const text = readFileSync(importer, "utf8");
      for (const m of text.matchAll(PISCINA_BUILTINS[path])) {
        const use = m[0].slice(m[0].indexOf(".") + 1);
        if (!PISCINA_BUILTIN_USES.has(use)) throw new Error(`${importer}: uses ${path}'s ${use}, which scripts/piscina-stand-ins/ does not provide`);
      }
      return standIn(path.slice("node:".length));
    });
  },
};

// The bundle sits one folder below the bin (as the chunks did), so paths it builds from its
// own location (../extension-worker.cjs) still name the files beside the bin. cli/code-cache.ts
// passes in what `import.meta` gives an ES module.
const cliBuild = await build({
  ...common,
  entryPoints: ["cli/main.ts"],
  metafile: true,
  outfile: `${outdir}/cli/main.js`,
  format: "cjs",
  banner: { js: BUNDLE_HEAD },
  footer: { js: BUNDLE_TAIL },
  plugins: [dependencyEdits, piscinaStandIns],
  external: ["esbuild", "@aws-sdk/*"],
  define: {
    ...common.define,
    "import.meta.url": "__swampImportMetaUrl",
    "import.meta.resolve": "__swampImportMetaResolve",
    // kernel/models/validator-cache.ts: the bundled ajv, named without resolving it at run time.
    SWAMP_AJV_VERSION: JSON.stringify(JSON.parse(readFileSync(`${root}node_modules/ajv/package.json`, "utf8")).version),
  },
});
checkNoDynamicImport(`${outdir}/cli/main.js`, ["kernel/contract/import-module.ts", "builtins/driver-docker/runner.ts"]);
asciiOnly(`${outdir}/cli/main.js`);
reportModuleInits(`${outdir}/cli/main.js`);
// The sidecar bundle (cli/sidecar-libs.ts): large packages few commands use, loaded by
// importLib() (kernel/contract/import-module.ts) through the bin, with a code cache of its own.
const sidecarBuild = await build({
  ...common,
  entryPoints: ["cli/sidecar-libs.ts"],
  outfile: `${outdir}/cli/libs.js`,
  format: "cjs",
  metafile: true,
  banner: { js: BUNDLE_HEAD },
  footer: { js: BUNDLE_TAIL },
  define: { ...common.define, "import.meta.url": "__swampImportMetaUrl", "import.meta.resolve": "__swampImportMetaResolve" },
});
checkNoDynamicImport(`${outdir}/cli/libs.js`, []);
asciiOnly(`${outdir}/cli/libs.js`);
reportModuleInits(`${outdir}/cli/libs.js`);
checkSidecarOnly(cliBuild.metafile, sidecarBuild.metafile);
// piscina, bundled above, starts each worker thread from its runner beside itself, which then
// requires our worker entry. Both are CommonJS files (.cjs: the package is "type": "module"), so
// a worker thread starts the ESM loader only when it imports an extension's bundle.
await build({
  ...common,
  entryPoints: ["node_modules/piscina/dist/worker.js"],
  outfile: `${outdir}/cli/worker.cjs`,
  format: "cjs",
  plugins: [piscinaStandIns],
});
/**
 * A script restored from cached code cannot call import() on Node 20, so every import() left in
 * the bundle (bundled modules become plain calls) must come from `allowed`: the import-module
 * helpers, or the docker runner, which is only shipped as text.
 */
function checkNoDynamicImport(file, allowed) {
  const map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
  const found = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, lineNumber) => {
      // `import(${…}` is type text built in a template literal (plugins/typecheck.ts), not a call.
      for (const m of line.matchAll(/(?<![\w$.])import\((?!\$\{)/g)) {
        const source = map.findEntry(lineNumber, m.index)?.originalSource ?? "?";
        if (!allowed.some((a) => source.endsWith(a))) found.push(`${source}: ${line.slice(m.index, m.index + 60)}`);
      }
    });
  if (found.length > 0) throw new Error(`use importModule() (${allowed[0]}) instead of import() in ${file} for:\n${found.join("\n")}`);
}
/** The packages (node_modules/<name>) a build's output holds. */
function packagesIn(metafile) {
  const names = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) names.add(m[1]);
    }
  }
  return names;
}

/** Fails the build when a package of the sidecar bundle is bundled into the CLI bundle too (an `import()` that should be importLib()). */
function checkSidecarOnly(cli, sidecar) {
  const inCli = packagesIn(cli);
  const both = [...packagesIn(sidecar)].filter((name) => inCli.has(name));
  if (both.length > 0) throw new Error(`in both the CLI bundle and the sidecar bundle: ${both.join(", ")} (load them with importLib(), kernel/contract/import-module.ts)`);
}

/**
 * Makes esbuild's lazy module wrappers (`__esm` for our modules, `__commonJS` for CommonJS
 * dependencies) add each module's name to `__swampModuleInits` when it first runs, so the
 * runner (cli/code-cache.ts) knows when a run took code its cache lacks. Each edit must apply
 * exactly once per helper present (an esbuild whose helpers differ fails the build), and the source map is
 * shifted to match, so stacks through code after the helpers still map.
 */
function reportModuleInits(file) {
  let text = readFileSync(file, "latin1");
  const map = JSON.parse(readFileSync(`${file}.map`, "utf8"));
  const edits = [];
  for (const [helper, wrapped] of [["__esm", "fn"], ["__commonJS", "cb"]]) {
    // esbuild emits a helper only when the bundle has a module of that kind.
    if (!text.includes(`var ${helper}=`)) continue;
    const call = `(0,${wrapped}[__getOwnPropNames(${wrapped})[0]])`;
    const found = text.split(call).length - 1;
    if (found !== 1) throw new Error(`${file}: expected one ${call} in esbuild's ${helper}, found ${found}`);
    edits.push({ at: text.indexOf(call) + 1, insert: `__swampModuleInits.add(__getOwnPropNames(${wrapped})[0])` });
  }
  if (edits.length === 0) throw new Error(`${file}: none of esbuild's module wrappers found`);
  // Last first, so each edit's offset still holds; each replaces the `0` of `(0,`.
  for (const { at, insert } of edits.sort((a, b) => b.at - a.at)) {
    const line = text.slice(0, at).split("\n").length - 1;
    const column = at - (text.lastIndexOf("\n", at - 1) + 1);
    text = `${text.slice(0, at)}${insert}${text.slice(at + 1)}`;
    map.mappings = shiftColumns(map.mappings, line, column + 1, insert.length - 1);
  }
  writeFileSync(file, text, "latin1");
  writeFileSync(`${file}.map`, JSON.stringify(map));
}

/** Moves the generated columns of `line`'s mappings at or after `column` by `delta` (columns are relative within a line: one segment changes). */
function shiftColumns(mappings, line, column, delta) {
  const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lines = mappings.split(";");
  const segments = lines[line].split(",");
  let generated = 0;
  for (let i = 0; i < segments.length; i++) {
    let value = 0;
    let shift = 0;
    let at = 0;
    let digit;
    do {
      digit = BASE64.indexOf(segments[i][at++]);
      value += (digit & 31) << shift;
      shift += 5;
    } while (digit & 32);
    const relative = value & 1 ? -(value >>> 1) : value >>> 1;
    generated += relative;
    if (generated < column) continue;
    let rest = relative + delta < 0 ? ((-(relative + delta)) << 1) | 1 : (relative + delta) << 1;
    let encoded = "";
    do {
      let d = rest & 31;
      rest >>>= 5;
      if (rest) d |= 32;
      encoded += BASE64[d];
    } while (rest);
    segments[i] = encoded + segments[i].slice(at);
    break;
  }
  lines[line] = segments.join(",");
  return lines.join(";");
}
/**
 * Makes a bundle pure ASCII, so its runner (cli/code-cache.ts) can read it as latin1: about
 * half the cost of decoding UTF-8, and V8 keeps it as a one-byte string. esbuild already
 * escapes every string, template and name; what it leaves is the text of regular expression
 * literals (and raw template text). In a regular expression `\uXXXX` matches the same
 * character, so those are escaped here; anything else is refused.
 */
function asciiOnly(file) {
  const text = readFileSync(file, "utf8");
  if (!/[^\x00-\x7f]/.test(text)) return;
  const map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
  const lines = text.split("\n").map((line, lineNumber) =>
    line.replace(/[^\x00-\x7f]/gu, (ch, column) => {
      const entry = map.findEntry(lineNumber, column);
      const original = entry?.originalSource ? readFileSync(new URL(entry.originalSource, `file://${file}`), "utf8").split("\n")[entry.originalLine] ?? "" : "";
      const inRegExp = original.split(/[`'"]/).some((part) => new RegExp(`/[^/]*${ch}[^/]*/[dgimsuyv]*`, "u").test(part));
      if (!inRegExp) throw new Error(`${file}: a non-ASCII character (${JSON.stringify(ch)}) outside a regular expression, from ${entry?.originalSource ?? "?"}:${(entry?.originalLine ?? -1) + 1}`);
      return ch.split("").map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    }),
  );
  writeFileSync(file, lines.join("\n"));
}
// One hash for the CLI bundle and its sidecar: their caches are named by it, and a build
// drops the caches of other builds.
const cliHash = createHash("sha256").update(readFileSync(`${outdir}/cli/main.js`)).update(readFileSync(`${outdir}/cli/libs.js`)).digest("hex").slice(0, 16);

// The bin is CommonJS (.cjs, see cli/bin.ts), with the small ES module that resolves for it.
await build({
  ...common,
  entryPoints: ["cli/bin.ts"],
  outfile: `${outdir}/swamp.cjs`,
  format: "cjs",
  banner: { js: '#!/usr/bin/env node\nvar __swampBinUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Nothing in the bin resolves (plugins/host-modules.ts is in it for swampRoot alone).
  define: { ...common.define, SWAMP_CLI_HASH: JSON.stringify(cliHash), "import.meta.url": "__swampBinUrl", "import.meta.resolve": "undefined" },
});
chmodSync(`${outdir}/swamp.cjs`, 0o755);
await build({ ...common, entryPoints: ["cli/esm-resolve.ts"], outfile: `${outdir}/esm-resolve.mjs`, format: "esm" });
// bin/swamp.js, the path a clone's scripts, tests and benches run, is a link to it: Node runs a
// link's target, so as CommonJS. npm leaves links out of a tarball; the package's bin names
// swamp.cjs.
symlinkSync("swamp.cjs", `${outdir}/swamp.js`);

// The extension host's worker and sandbox entries: separate files, because a worker thread
// (piscina) and a sandbox process (`node --experimental-permission …`) each start from a file
// of their own. They are loaded only by commands that use an extension. zod is bundled in:
// the worker hands its own copy to the extensions it loads (plugins/worker/load.ts), which
// costs one file to compile instead of resolving about a hundred in every worker.
// The worker is built like the CLI: one CommonJS bundle, bin/worker/main.js, run with cached
// code by a small CommonJS entry, bin/extension-worker.cjs (cli/worker-bin.ts), which piscina's
// runner requires. The sandbox process stays one ESM file: its permissions let it read no cache.
await build({
  ...common,
  entryPoints: ["plugins/worker/entry.ts"],
  outfile: `${outdir}/worker/main.js`,
  format: "cjs",
  banner: { js: BUNDLE_HEAD },
  footer: { js: BUNDLE_TAIL },
  define: { "import.meta.url": "__swampImportMetaUrl", "import.meta.resolve": "__swampImportMetaResolve" },
});
checkNoDynamicImport(`${outdir}/worker/main.js`, ["kernel/contract/import-module.ts"]);
asciiOnly(`${outdir}/worker/main.js`);
reportModuleInits(`${outdir}/worker/main.js`);
const workerHash = createHash("sha256").update(readFileSync(`${outdir}/worker/main.js`)).digest("hex").slice(0, 16);
await build({
  ...common,
  entryPoints: ["cli/worker-bin.ts"],
  outfile: `${outdir}/extension-worker.cjs`,
  format: "cjs",
  banner: { js: 'var __swampEntryUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, SWAMP_WORKER_HASH: JSON.stringify(workerHash), "import.meta.url": "__swampEntryUrl" },
});
await build({
  ...common,
  entryPoints: { "extension-sandbox": "plugins/worker/sandbox-main.ts" },
  outdir,
  format: "esm",
});
const retired = `${root}dist/.bin-old-${process.pid}`;
try {
  renameSync(finalDir, retired);
} catch (err) {
  if (err.code !== "ENOENT") throw err;
}
renameSync(outdir, finalDir);
rmSync(retired, { recursive: true, force: true });
