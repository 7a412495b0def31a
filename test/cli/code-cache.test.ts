import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBundle, type BundleRun } from "../../cli/code-cache.js";

test("runBundle returns the bundle's exports and writes its cache when the caller says, once", () => {
  const dir = mkdtempSync(join(tmpdir(), "swamp-code-cache-"));
  try {
    const file = join(dir, "bundle.js");
    writeFileSync(file, "module.exports = { double: (n) => n * 2, dir: __dirname };");
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
    const first = runBundle(run) as { double: (n: number) => number; dir: string };
    assert.equal(first.double(21), 42);
    assert.equal(first.dir, dir);
    assert.equal(saves.length, 1, "no cache yet: one save offered");
    assert.throws(() => readdirSync(cacheDir), "nothing written before the caller saves");
    saves[0]!();
    assert.equal(readdirSync(cacheDir).length, 1);
    assert.doesNotMatch(readdirSync(cacheDir).join(","), /\.tmp$/);

    const second = runBundle(run) as { double: (n: number) => number };
    assert.equal(second.double(2), 4);
    assert.equal(saves.length, 1, "a cache V8 accepted is not written again");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
