/**
 * What a whole-content save costs on disk: raw is written in place inside the claimed (still
 * invisible) version directory and fsynced; metadata.yaml is the atomic, durable commit (temp
 * file, fsync, rename, directory fsync — which also makes raw's entry durable). Counted by
 * wrapping fs/promises `rename` and FileHandle#sync for the duration of one save.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { open, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { MODEL_ID, resourceSpec, tempRepo } from "./helpers.js";

const fsp = createRequire(import.meta.url)("node:fs/promises") as typeof import("node:fs/promises");

test("a whole-content save: raw written in place (no rename); metadata renamed into place; three fsyncs", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("result"), "{}"); // first save: directories and registry exist afterwards
    const renamed: string[] = [];
    const synced: string[] = [];
    const probe = await open(join(t.root, "probe"), "w");
    const handleProto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const realRename = fsp.rename;
    const realSync = handleProto.sync;
    fsp.rename = (async (from: string, to: string) => {
      renamed.push(String(to));
      return realRename(from, to);
    }) as typeof fsp.rename;
    syncBuiltinESMExports();
    handleProto.sync = function (this: { fd: number }) {
      synced.push(`fd${this.fd}`);
      return realSync.call(this);
    };
    let meta;
    try {
      meta = await t.repo.save(resourceSpec("result"), '{"a":1}');
    } finally {
      fsp.rename = realRename;
      syncBuiltinESMExports();
      handleProto.sync = realSync;
    }
    const versionDir = join(t.dataRoot, "command", "shell", MODEL_ID, "result", String(meta.version));
    assert.ok(!renamed.some((p) => p.endsWith("raw")), `raw is not renamed: ${renamed.join(", ")}`);
    assert.ok(renamed.some((p) => p.endsWith("metadata.yaml")), "metadata.yaml is renamed into place");
    assert.equal(synced.length, 3, "raw, the metadata temp file, the version directory");
    assert.equal(await readFile(join(versionDir, "raw"), "utf8"), '{"a":1}');
    assert.deepEqual((await readdir(versionDir)).sort(), ["metadata.yaml", "raw"], "no temp file left");
  } finally {
    await t.cleanup();
  }
});
