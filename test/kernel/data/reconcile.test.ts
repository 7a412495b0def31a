/**
 * The index notices what another program wrote into the data root (reconcile.ts): files are
 * written here directly, as swamp writes them, and directories are aged so the index's mtime
 * stamps are the trusted kind (a stamp within a second of a change is never trusted).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serializeMetadata } from "../../../kernel/data/metadata.js";
import type { DataMetadata } from "../../../kernel/data/metadata.js";
import { queryData } from "../../../kernel/data/query.js";
import { corrections, RACY_MS, reconcileName, stampOf } from "../../../kernel/data/reconcile.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { MODEL_ID, MODEL_TYPE, OWNER, resourceSpec, tempRepo } from "./helpers.js";

function meta(name: string, version: number, modelName = "hello-world"): DataMetadata {
  return {
    id: randomUUID(),
    name,
    version,
    contentType: "application/json",
    lifetime: "infinite",
    garbageCollection: 10,
    streaming: false,
    tags: { type: "resource", specName: "result", modelName },
    ownerDefinition: { ...OWNER },
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString(),
    size: 2,
  };
}

/** Claims a version directory (raw only), as a writer in flight leaves it. */
async function claim(dataRoot: string, type: string, id: string, name: string, version: number): Promise<string> {
  const dir = join(dataRoot, type, id, name, String(version));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "raw"), "{}");
  return dir;
}

/** Commits a claimed version: metadata.yaml, then `latest`. */
async function commit(dataRoot: string, type: string, id: string, name: string, version: number, modelName?: string): Promise<void> {
  const dir = await claim(dataRoot, type, id, name, version);
  await writeFile(join(dir, "metadata.yaml"), serializeMetadata(meta(name, version, modelName)));
  await writeFile(join(dataRoot, type, id, name, "latest"), String(version));
}

async function ageDirs(root: string): Promise<void> {
  const past = new Date(Date.now() - 3600_000);
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isDirectory()) await utimes(join(e.parentPath, e.name), past, past);
  }
  await utimes(root, past, past);
}

/** A query from a new repository object, as a new process would run it. */
async function seen(dataRoot: string, predicate = "version >= 0"): Promise<string[]> {
  const q = await queryData(new DataRepository({ dataRoot }), predicate, { hydrate: false });
  return q.records.map((r) => `${r.modelName}/${r.name}@${r.version}`).sort();
}

test("stamps: an mtime within RACY_MS of now is not trusted", () => {
  const now = 1_000_000_000;
  assert.equal(stampOf(now - RACY_MS - 1, now), now - RACY_MS - 1);
  assert.equal(stampOf(now - 5, now), 0);
});

test("global reads see versions added, versions removed and names dropped by another program", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.save(resourceSpec("b"), "{}");
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "b", 2);
    await ageDirs(t.dataRoot);
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/a@1", "hello-world/b@1", "hello-world/b@2"]);
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/a@1", "hello-world/b@1", "hello-world/b@2"], "trusted stamps, nothing moved");

    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "a", 2);
    await rm(join(t.dataRoot, MODEL_TYPE, MODEL_ID, "b", "1"), { recursive: true }); // swamp's gc
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/a@1", "hello-world/a@2", "hello-world/b@2"]);
    await rm(join(t.dataRoot, MODEL_TYPE, MODEL_ID, "a"), { recursive: true }); // swamp's data delete
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/b@2"]);
    assert.deepEqual(await seen(t.dataRoot, 'name == "b"'), ["hello-world/b@2"], "latest-only agrees");
  } finally {
    await t.cleanup();
  }
});

test("a first write in flight is looked at again until it commits: new model, new type, new name", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    const other = randomUUID();
    const third = randomUUID();
    await claim(t.dataRoot, MODEL_TYPE, other, "state", 1); // a new model of a known type
    await claim(t.dataRoot, "aws/ec2/vpc", third, "vpc", 1); // a new model of a new type
    await claim(t.dataRoot, MODEL_TYPE, MODEL_ID, "fresh", 1); // a new name of a known model
    await ageDirs(t.dataRoot);
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/a@1"], "nothing committed yet");
    // The commits touch only the version and name directories, never the type directories.
    await commit(t.dataRoot, MODEL_TYPE, other, "state", 1, "other");
    await commit(t.dataRoot, "aws/ec2/vpc", third, "vpc", 1, "third");
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "fresh", 1);
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/a@1", "hello-world/fresh@1", "other/state@1", "third/vpc@1"]);
  } finally {
    await t.cleanup();
  }
});

test("per-model reads: list follows `latest` and new names, versions lists the name's directory", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.list(MODEL_TYPE, MODEL_ID);
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "a", 2);
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "n", 1);
    assert.deepEqual((await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => `${m.name}@${m.version}`), ["a@2", "n@1"]);
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "n", 2);
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "n")).map((m) => m.version), [2, 1]);
    // What they found is in the journal: a global read (which trusts its own stamps) agrees.
    assert.deepEqual(await seen(t.dataRoot), ["hello-world/a@1", "hello-world/a@2", "hello-world/n@1", "hello-world/n@2"]);
  } finally {
    await t.cleanup();
  }
});

test("reconcileName and corrections: lines match the disk, and a second look fixes a line the disk moved past", async () => {
  const t = await tempRepo();
  try {
    const first = await t.repo.save(resourceSpec("a"), "{}");
    const modelDir = join(t.dataRoot, MODEL_TYPE, MODEL_ID);
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "a", 2);
    const known = { names: new Map([["a", new Map([[1, first]])]]) };
    const { ops, stamp } = reconcileName(modelDir, "a", known);
    assert.deepEqual(ops.map((o) => [o.op, "version" in o ? o.version : null]), [["put", 2]]);
    assert.equal(stamp, 0, "just written: racy");
    assert.deepEqual(reconcileName(modelDir, "gone", { names: new Map([["gone", new Map()]]) }).ops, [{ op: "drop", name: "gone" }]);

    // Between our look and our append, version 2 was removed and a new version 2 committed.
    await rm(join(modelDir, "a", "2"), { recursive: true });
    assert.deepEqual(corrections(modelDir, ops), [{ op: "del", name: "a", version: 2 }]);
    await commit(t.dataRoot, MODEL_TYPE, MODEL_ID, "a", 2);
    const fixed = corrections(modelDir, ops);
    assert.equal(fixed.length, 1);
    assert.equal(fixed[0]?.op, "put", "a re-created version (new id) replaces our stale line");
    assert.deepEqual(corrections(modelDir, [{ op: "del", name: "a", version: 1 }]).map((o) => o.op), ["put"]);
  } finally {
    await t.cleanup();
  }
});

test("swamp's catalog goes after each change of ours (database, WAL, shared memory); without a database nothing is touched", async () => {
  const t = await tempRepo();
  try {
    const db = join(t.dataRoot, "_catalog.db");
    const repo = new DataRepository({ dataRoot: t.dataRoot, foreignCatalog: db });
    await mkdir(t.dataRoot, { recursive: true });
    const plant = async (suffixes: string[]) => {
      for (const s of suffixes) await writeFile(db + s, "x");
    };
    const left = async () => (await readdir(t.dataRoot)).filter((f) => f.startsWith("_catalog.db")).sort();

    await plant(["", "-wal", "-shm"]);
    await repo.save(resourceSpec("a"), "{}");
    assert.deepEqual(await left(), [], "a write");
    await plant(["", "-wal", "-shm"]);
    await repo.delete(MODEL_TYPE, MODEL_ID, "a");
    assert.deepEqual(await left(), [], "a delete");
    await plant(["-wal"]);
    await repo.save(resourceSpec("b"), "{}");
    assert.deepEqual(await left(), ["_catalog.db-wal"], "no database: one existence check, nothing removed");
    await repo.list(MODEL_TYPE, MODEL_ID);
    await plant([""]);
    await queryData(repo, "version >= 0");
    assert.deepEqual(await left(), ["_catalog.db", "_catalog.db-wal"], "reads leave it alone");
  } finally {
    await t.cleanup();
  }
});
