import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_HEAD, crc32, crc32Fallback, readCache, runBundle, writeCache, type BundleRun } from "../../cli/code-cache.js";

test("runBundle returns the bundle's exports and writes its cache when the caller says, again only when a run initialized a module the cache lacks", () => {
  const dir = mkdtempSync(join(tmpdir(), "swamp-code-cache-"));
  try {
    const file = join(dir, "bundle.js");
    // `init` stands for esbuild's module wrappers, which scripts/bundle.mjs makes report each first run.
    writeFileSync(file, "module.exports = { double: (n) => n * 2, dir: __dirname, init: (name) => __swampModuleInits.add(name) };");
    const cacheDir = join(dir, "cache");
    const saves: Array<() => void> = [];
    const run: BundleRun = {
      file,
      hash: "0123456789abcdef",
      scope: "worker",
      cacheDir,
      resolve: (s) => s,
      importModule: (s) => import(s),
      saveCache: (save) => saves.push(save),
    };
    type Exports = { double: (n: number) => number; dir: string; init: (name: string) => void };
    const cacheFile = () => join(cacheDir, readdirSync(cacheDir)[0]!);
    const first = runBundle(run) as Exports;
    assert.equal(first.double(21), 42);
    assert.equal(first.dir, dir);
    first.init("kernel/a.ts");
    assert.throws(() => readdirSync(cacheDir), "nothing written before the caller saves");
    saves.at(-1)!();
    assert.equal(readdirSync(cacheDir).length, 1);
    assert.doesNotMatch(readdirSync(cacheDir).join(","), /\.tmp$/);
    assert.deepEqual([...readCache(cacheFile())!.modules], ["kernel/a.ts"]);

    const written = readFileSync(cacheFile());
    const second = runBundle(run) as Exports;
    assert.equal(second.double(2), 4);
    second.init("kernel/a.ts");
    saves.at(-1)!();
    assert.deepEqual(readFileSync(cacheFile()), written, "a cache V8 accepted, holding every module the run initialized, is not written again");

    const third = runBundle(run) as Exports;
    third.init("plugins/host/pool.ts");
    saves.at(-1)!();
    assert.deepEqual([...readCache(cacheFile())!.modules].sort(), ["kernel/a.ts", "plugins/host/pool.ts"], "a run with a new module writes the union");
    assert.equal(readdirSync(cacheDir).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the cache checksum is CRC-32: native and fallback agree with the standard check value", () => {
  assert.equal(crc32Fallback(Buffer.from("123456789")), 0xcbf43926);
  assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
  const bytes = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7919) & 0xff));
  assert.equal(crc32(bytes), crc32Fallback(bytes));
  assert.equal(crc32Fallback(Buffer.alloc(0)), 0);
});

test("readCache returns what writeCache wrote, and refuses torn, altered, foreign or empty files", () => {
  const dir = mkdtempSync(join(tmpdir(), "swamp-code-cache-"));
  try {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    const modules = new Set(["cli/main.ts", "node_modules/yaml/dist/index.js"]);
    writeCache(dir, "0123456789abcdef", "cli-0123456789abcdef-x.bin", { data, modules });
    const file = join(dir, "cli-0123456789abcdef-x.bin");
    assert.deepEqual(readCache(file), { data, modules });
    const whole = readFileSync(file);
    const cases: Array<[string, Buffer]> = [
      ["torn (cut short)", whole.subarray(0, whole.length - 100)],
      ["longer than written", Buffer.concat([whole, Buffer.alloc(4)])],
      ["one byte of data altered", Buffer.from(whole.map((b, i) => (i === 4000 ? b ^ 1 : b)))],
      ["a module name altered", Buffer.from(whole.map((b, i) => (i === 14 ? b ^ 1 : b)))],
      ["foreign bytes", Buffer.alloc(whole.length, 7)],
      ["header only", whole.subarray(0, 12)],
      ["empty", Buffer.alloc(0)],
    ];
    for (const [what, bytes] of cases) {
      writeFileSync(file, bytes);
      assert.equal(readCache(file), undefined, what);
    }
    assert.equal(readCache(join(dir, "missing.bin")), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the built bundles are pure ASCII (the runner reads them as latin1) and carry their wrapper (compiled as read)", () => {
  const bin = fileURLToPath(new URL("../../bin/", import.meta.url));
  for (const bundle of ["cli/main.js", "worker/main.js"]) {
    const bytes = readFileSync(join(bin, bundle));
    assert.ok(bytes.length > 1000);
    assert.ok(bytes.every((b) => b < 0x80), `${bundle} has non-ASCII bytes`);
    const text = bytes.toString("latin1");
    assert.ok(text.startsWith(`${BUNDLE_HEAD}\n`), `${bundle} starts with the wrapper`);
    assert.match(text, /\n}\)\n\/\/# sourceMappingURL=main\.js\.map\n?$/);
  }
});

test("the bin is CommonJS (no ESM loader at start-up), bin/swamp.js links to it, and so are the worker entry and piscina's runner", () => {
  const bin = fileURLToPath(new URL("../../bin/", import.meta.url));
  assert.equal(readlinkSync(join(bin, "swamp.js")), "swamp.cjs");
  const pkg = JSON.parse(readFileSync(join(bin, "..", "..", "package.json"), "utf8")) as { bin: Record<string, string> };
  assert.deepEqual(pkg.bin, { swamp: "dist/bin/swamp.cjs" });
  // piscina starts a thread from cli/worker.cjs, which requires extension-worker.cjs: no ES module until an extension's bundle.
  for (const file of ["swamp.cjs", "extension-worker.cjs", "cli/worker.cjs"]) {
    assert.doesNotMatch(readFileSync(join(bin, file), "utf8"), /(?:\bfrom\s*"|\bimport\s*")node:|\bimport\.meta\b/, `${file} is no ES module`);
  }
  assert.deepEqual(readdirSync(bin).filter((f) => /^extension-worker\./.test(f)).sort(), ["extension-worker.cjs", "extension-worker.cjs.map"]);
});
