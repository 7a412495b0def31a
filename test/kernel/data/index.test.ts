import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DataIndex, parseJournalLine, readJournal } from "../../../kernel/data/index.js";
import { serializeMetadata } from "../../../kernel/data/metadata.js";
import { queryData } from "../../../kernel/data/query.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { MODEL_ID, MODEL_TYPE, resourceSpec, tempRepo } from "./helpers.js";

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL("./fixtures/child.js", import.meta.url));

const journalOf = (dataRoot: string, type = MODEL_TYPE, id = MODEL_ID) => join(dataRoot, ...type.split("/"), id, ".index.jsonl");

test("journal: a pending and a put line per commit, folded view matches the files", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.save(resourceSpec("b"), "{}");
    const lines = (await readFile(journalOf(t.dataRoot), "utf8")).trimEnd().split("\n");
    // init, then per commit a `pending` line (before metadata.yaml) and a `put` line (after).
    assert.deepEqual(lines.map((l) => JSON.parse(l).op), ["init", "pending", "put", "pending", "put", "pending", "put"]);
    assert.deepEqual(JSON.parse(lines[1]!), { op: "pending", name: "a", version: 1 });
    const put = JSON.parse(lines[2]!);
    assert.equal(put.op, "put");
    for (const key of ["id", "name", "version", "createdAt", "contentType", "lifetime", "garbageCollection", "streaming", "tags", "ownerDefinition", "size", "checksum"]) {
      assert.ok(key in put, `journal record has ${key}`);
    }
    const registry = (await readFile(join(t.dataRoot, ".models.jsonl"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(registry, [{ type: MODEL_TYPE, id: MODEL_ID }]);
  } finally {
    await t.cleanup();
  }
});

test("a missing journal is rebuilt from that model's directory only", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.save(resourceSpec("b", { modelId: "other-model" }), "{}");
    await rm(journalOf(t.dataRoot));
    await rm(journalOf(t.dataRoot, MODEL_TYPE, "other-model"));
    const fresh = new DataRepository({ dataRoot: t.dataRoot });
    assert.deepEqual((await fresh.versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [2, 1]);
    assert.ok(existsSync(journalOf(t.dataRoot)), "rebuilt and written");
    assert.equal(existsSync(journalOf(t.dataRoot, MODEL_TYPE, "other-model")), false, "other models untouched");
    const q = await queryData(fresh, 'dataType == "resource"');
    assert.deepEqual(q.records.map((r) => r.name).sort(), ["a", "b"]);
  } finally {
    await t.cleanup();
  }
});

test("a missing registry is rebuilt by a walk (scoped types, numeric data names)", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("207333", { modelType: "@user/aws/ec2" }), "{}");
    await t.repo.save(resourceSpec("x", { modelType: "AWS::EC2::VPC", modelId: "vpc-model" }), "{}");
    await t.repo.save(resourceSpec("y"), "{}");
    await rm(join(t.dataRoot, ".models.jsonl"));
    await rm(join(t.dataRoot, ".index-cache"), { recursive: true, force: true });
    const index = new DataIndex(t.dataRoot);
    const models = (await index.models()).map((m) => `${m.type}|${m.id}`).sort();
    assert.deepEqual(models, [`@user/aws/ec2|${MODEL_ID}`, "aws/ec2/vpc|vpc-model", `command/shell|${MODEL_ID}`]);
    assert.ok(existsSync(join(t.dataRoot, ".models.jsonl")));
  } finally {
    await t.cleanup();
  }
});

test("a torn journal line is skipped; a record glued behind it is recovered", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    await appendFile(journalOf(t.dataRoot), '{"op":"put","name":"torn","vers');
    // The next writer sees the partial tail and starts its line on a fresh one.
    await t.repo.save(resourceSpec("b"), "{}");
    // A record glued to a fragment (written by someone unaware of the tear).
    const glued = JSON.stringify({ op: "del", name: "a", version: 1 });
    await appendFile(journalOf(t.dataRoot), `garbage-no-newline${glued}\n{not json}\n`);
    const fresh = new DataRepository({ dataRoot: t.dataRoot });
    const fold = await fresh.index.model(MODEL_TYPE, MODEL_ID);
    assert.deepEqual([...(fold?.names.keys() ?? [])], ["b"], "torn line skipped, glued del applied");
    // The files win: "a" is still on disk, so a listing puts it back into the journal.
    assert.deepEqual((await fresh.list(MODEL_TYPE, MODEL_ID)).map((m) => m.name), ["a", "b"]);
    assert.equal(parseJournalLine("{broken"), null);
    assert.deepEqual(parseJournalLine(`xx${glued}`), JSON.parse(glued));
    await fresh.save(resourceSpec("a"), "{}");
    assert.deepEqual((await fresh.versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [2, 1]);
  } finally {
    await t.cleanup();
  }
});

test("crash after claim (raw, no metadata): invisible everywhere, latest never points at it", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), '{"v":1}');
    const nameDir = join(t.dataRoot, "command", "shell", MODEL_ID, "a");
    await mkdir(join(nameDir, "2"));
    await writeFile(join(nameDir, "2", "raw"), '{"v":"torn');
    await writeFile(join(nameDir, "latest"), "2"); // even a pointer at it is ignored
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "a"))?.version, 1);
    assert.equal(await t.repo.get(MODEL_TYPE, MODEL_ID, "a", 2), null);
    assert.equal(await t.repo.getContent(MODEL_TYPE, MODEL_ID, "a", 2), null);
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [1]);
    assert.deepEqual((await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => m.version), [1]);
    const q = await queryData(t.repo, "version >= 0");
    assert.deepEqual(q.records.map((r) => r.version), [1]);
    await rm(journalOf(t.dataRoot));
    const fresh = new DataRepository({ dataRoot: t.dataRoot });
    assert.deepEqual((await fresh.versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [1], "rebuild skips it too");
    const next = await fresh.save(resourceSpec("a"), '{"v":3}');
    assert.equal(next.version, 3, "the torn claim's number is never reused");
    assert.equal(await readFile(join(nameDir, "latest"), "utf8"), "3");
  } finally {
    await t.cleanup();
  }
});

test("crash between commit and journal append: healed by the next read or write of that name", async () => {
  const t = await tempRepo();
  try {
    const first = await t.repo.save(resourceSpec("a"), "{}");
    const nameDir = join(t.dataRoot, "command", "shell", MODEL_ID, "a");
    await mkdir(join(nameDir, "2"));
    await writeFile(join(nameDir, "2", "raw"), "{}");
    await writeFile(join(nameDir, "2", "metadata.yaml"), serializeMetadata({ ...first, version: 2, createdAt: "2030-01-01T00:00:00.000Z" }));
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [2, 1], "data versions lists the name's directory");
    await t.repo.save(resourceSpec("a"), "{}");
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [3, 2, 1]);
  } finally {
    await t.cleanup();
  }
});

test("the index sees writes made by another process", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("mine"), "{}");
    const before = await queryData(t.repo, 'modelName == "child-model"');
    assert.equal(before.total, 0);
    const datastorePath = join(t.root, ".swamp");
    const args = { mode: "write", dataRoot: t.dataRoot, datastorePath, modelType: MODEL_TYPE, modelId: "child-model-id", name: "from-child", count: 3, lock: "none" };
    await run(process.execPath, [CHILD, JSON.stringify(args)]);
    const after = await queryData(t.repo, 'modelName == "child-model"');
    assert.deepEqual(after.records.map((r) => [r.name, r.version]), [["from-child", 3]]);
    // and another write into a model we have already cached
    const args2 = { ...args, modelId: MODEL_ID, name: "mine2", count: 2 };
    await run(process.execPath, [CHILD, JSON.stringify(args2)]);
    const all = await queryData(t.repo, "version >= 0");
    assert.deepEqual(all.records.map((r) => `${r.name}@${r.version}`).sort(), ["from-child@1", "from-child@2", "from-child@3", "mine2@1", "mine2@2", "mine@1"]);
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "mine2")).map((m) => m.version), [2, 1]);
  } finally {
    await t.cleanup();
  }
});

test("global cache: refolds only changed models, survives compaction and deletion of models", async () => {
  const t = await tempRepo();
  try {
    for (let m = 0; m < 20; m++) for (let v = 0; v < 3; v++) await t.repo.save(resourceSpec("n", { modelId: `m${m}` }), `{"m":${m}}`);
    const q1 = await queryData(t.repo, "version >= 0");
    assert.equal(q1.total, 60);
    const shards = await readdir(join(t.dataRoot, ".index-cache"));
    assert.ok(shards.length > 0);
    // A second repository (another process, in effect) uses the cache and sees appended tails.
    const other = new DataRepository({ dataRoot: t.dataRoot });
    await other.save(resourceSpec("n", { modelId: "m3" }), "{}");
    await other.delete(MODEL_TYPE, "m4", "n", 1);
    const q2 = await queryData(t.repo, "version >= 0");
    assert.equal(q2.total, 60);
    assert.deepEqual(q2.records.filter((r) => r.modelId === "m3").map((r) => r.version), [4, 3, 2, 1]);
    assert.deepEqual(q2.records.filter((r) => r.modelId === "m4").map((r) => r.version).sort(), [2, 3]);
    // Compaction replaces the journal (new inode and gen): a full refold.
    for (let v = 0; v < 40; v++) await other.save(resourceSpec("tmp", { modelId: "m5" }), "{}");
    await other.delete(MODEL_TYPE, "m5", "tmp");
    for (let v = 0; v < 40; v++) await other.save(resourceSpec("tmp2", { modelId: "m5" }), "{}");
    for (let v = 1; v <= 39; v++) await other.delete(MODEL_TYPE, "m5", "tmp2", v);
    const journal = (await readFile(journalOf(t.dataRoot, MODEL_TYPE, "m5"), "utf8")).trimEnd().split("\n");
    assert.ok(journal.length < 40, `compacted (${journal.length} lines)`);
    const q3 = await queryData(t.repo, 'name == "tmp2" || name == "tmp"');
    assert.deepEqual(q3.records.map((r) => [r.modelId, r.name, r.version]), [["m5", "tmp2", 40]]);
    // A model directory removed by hand disappears from results.
    await rm(join(t.dataRoot, "command", "shell", "m7"), { recursive: true });
    const q4 = await queryData(t.repo, "version >= 0");
    assert.equal(q4.records.some((r) => r.modelId === "m7"), false);
    // Corrupt cache shards are ignored and rewritten.
    for (const shard of await readdir(join(t.dataRoot, ".index-cache"))) await writeFile(join(t.dataRoot, ".index-cache", shard), "garbage");
    const q5 = await queryData(t.repo, "version >= 0");
    assert.equal(q5.total, q4.total);
  } finally {
    await t.cleanup();
  }
});

test("a repo written without any index files (reference layout) is fully queryable", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), '{"x":1}');
    await t.repo.save(resourceSpec("b", { modelType: "aws/ec2/vpc", modelId: "v1" }), '{"x":2}');
    const dropIndex = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.name.startsWith(".")) await rm(p, { recursive: true, force: true });
        else if (e.isDirectory()) await dropIndex(p);
      }
    };
    await dropIndex(t.dataRoot);
    const fresh = new DataRepository({ dataRoot: t.dataRoot });
    const q = await queryData(fresh, "attributes.x >= 1");
    assert.deepEqual(q.records.map((r) => r.name).sort(), ["a", "b"]);
    await fresh.index.rebuildAll();
    assert.equal((await queryData(fresh, "true")).total, 2);
  } finally {
    await t.cleanup();
  }
});

test("readJournal: byte offsets across multi-byte names, empty lines, a torn tail, and a tail read", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-journal-"));
  const path = join(dir, "journal.jsonl");
  const put = (name: string, version: number) =>
    JSON.stringify({ op: "put", id: `id-${version}`, name, version, createdAt: "2026-01-01T00:00:00.000Z", tags: { note: "é✓" }, ownerDefinition: { ownerType: "model-method", ownerRef: "x" } });
  const head = `${JSON.stringify({ op: "init", gen: "g1" })}\n${put("naïve-ü", 1)}\n\n${put("b", 1)}\n`;
  const torn = put("b", 2).slice(0, 40);
  await writeFile(path, head + torn);
  const state = readJournal(path);
  assert.ok(state);
  assert.equal(state.gen, "g1");
  assert.equal(state.offset, Buffer.byteLength(head));
  assert.equal(state.partial, true);
  assert.deepEqual([...state.fold.names.keys()].sort(), ["b", "naïve-ü"]);
  assert.equal(state.fold.names.get("naïve-ü")?.get(1)?.tags.note, "é✓");
  assert.equal(state.fold.lines, 2);
  // The writer finishes its line and appends another: only the tail is read, from the right byte.
  await writeFile(path, `${head}${put("b", 2)}\n${put("naïve-ü", 2)}\n`);
  const next = readJournal(path, state);
  assert.equal(next, state);
  assert.equal(next?.partial, false);
  assert.deepEqual([...(next?.fold.names.get("b")?.keys() ?? [])], [1, 2]);
  assert.deepEqual([...(next?.fold.names.get("naïve-ü")?.keys() ?? [])], [1, 2]);
  assert.equal(next?.offset, Buffer.byteLength(`${head}${put("b", 2)}\n${put("naïve-ü", 2)}\n`));
  await rm(dir, { recursive: true, force: true });
});
