import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { SwampError } from "../../../kernel/contract/errors.js";
import { parseMetadata } from "../../../kernel/data/metadata.js";
import { MODEL_ID, MODEL_TYPE, fileSpec, resourceSpec, steppingClock, tempRepo } from "./helpers.js";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

test("ownership mismatch: reference message, stable code, nothing written", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("result"), "{}");
    const nameDir = join(t.dataRoot, "command", "shell", MODEL_ID, "result");
    const before = await readdir(nameDir);
    const journalBefore = await readFile(join(t.dataRoot, "command", "shell", MODEL_ID, ".index.jsonl"), "utf8");
    const other = resourceSpec("result", { ownerDefinition: { ownerType: "workflow-step", ownerRef: "wf:step" } });
    await assert.rejects(
      () => t.repo.save(other, "{}"),
      (err: unknown) =>
        err instanceof SwampError &&
        err.code === "ownership_mismatch" &&
        err.message ===
          `Ownership validation failed for "result": existing owner "model-method:${MODEL_ID}" does not match new owner "workflow-step:wf:step"`,
    );
    const w = t.repo.createWriter(other);
    await assert.rejects(() => w.writeLine("x"), (err: unknown) => err instanceof SwampError && err.code === "ownership_mismatch");
    assert.deepEqual(await readdir(nameDir), before);
    assert.equal(await readFile(join(t.dataRoot, "command", "shell", MODEL_ID, ".index.jsonl"), "utf8"), journalBefore);
    // Same owner keeps writing; extra provenance fields do not matter.
    const ok = await t.repo.save(resourceSpec("result", { ownerDefinition: { ownerType: "model-method", ownerRef: MODEL_ID, workflowRunId: "r" } }), "{}");
    assert.equal(ok.version, 2);
  } finally {
    await t.cleanup();
  }
});

test("ownership follows renames", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    await t.repo.rename(MODEL_TYPE, MODEL_ID, "a", "b");
    const stranger = resourceSpec("a", { ownerDefinition: { ownerType: "manual", ownerRef: "me" } });
    await assert.rejects(() => t.repo.save(stranger, "{}"), /Ownership validation failed for "a"/);
    // The rightful owner overwrites the forward reference under the old name.
    const again = await t.repo.save(resourceSpec("a"), '{"v":2}');
    assert.equal(again.version, 3);
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "a"))?.version, 3);
  } finally {
    await t.cleanup();
  }
});

test("streaming writer: writeLine appends, hashes incrementally, invisible until finalize", async () => {
  const t = await tempRepo();
  try {
    const w = t.repo.createWriter(fileSpec("log"));
    await w.writeLine("hello");
    void w.writeLine("world"); // not awaited: calls are serialized
    await w.writeLine("");
    assert.equal(await t.repo.get(MODEL_TYPE, MODEL_ID, "log"), null, "not visible before finalize");
    assert.deepEqual(await t.repo.versions(MODEL_TYPE, MODEL_ID, "log"), []);
    const raw = await readFile(join(t.dataRoot, "command", "shell", MODEL_ID, "log", "1", "raw"), "utf8");
    assert.equal(raw, "hello\nworld\n\n");
    const handle = await w.finalize();
    assert.equal(handle.version, 1);
    assert.equal(handle.kind, "file");
    assert.equal(handle.size, 13);
    assert.equal(handle.metadata.streaming, true);
    const meta = await t.repo.get(MODEL_TYPE, MODEL_ID, "log");
    assert.equal(meta?.checksum, sha("hello\nworld\n\n"));
    await assert.rejects(() => w.writeLine("again"), /DataWriter "log" has already been finalized/);
    await assert.rejects(() => w.finalize(), /DataWriter "log" has already been finalized/);
    await assert.rejects(() => w.writeAll(new Uint8Array(1)), /DataWriter "log" has already been finalized/);
    await assert.rejects(() => t.repo.createWriter(fileSpec("log")).finalize(), /DataWriter "log" has not been used — nothing to finalize/);
    // Multi-byte text: size and checksum count bytes, not characters.
    const text = `ünïcødé ✓ 𝄞 ${"é".repeat(70_000)}`;
    const u = t.repo.createWriter(fileSpec("utf8"));
    await u.writeLine(text);
    const utf8 = await u.finalize();
    assert.equal(utf8.size, Buffer.byteLength(`${text}\n`));
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "utf8"))?.checksum, sha(`${text}\n`));
  } finally {
    await t.cleanup();
  }
});

test("writeStream reports lines (final partial line included) and commits", async () => {
  const t = await tempRepo();
  try {
    const lines: string[] = [];
    const chunks = ["alpha\nbe", "ta\n", Buffer.from("gam"), "ma\n\ndelta-ü"];
    const w = t.repo.createWriter(fileSpec("out"));
    const handle = await w.writeStream(Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))), { onLine: (l) => lines.push(l) });
    assert.deepEqual(lines, ["alpha", "beta", "gamma", "", "delta-ü"]);
    const expected = "alpha\nbeta\ngamma\n\ndelta-ü";
    assert.equal(handle.size, Buffer.byteLength(expected));
    const meta = await t.repo.get(MODEL_TYPE, MODEL_ID, "out");
    assert.equal(meta?.checksum, sha(expected));
    assert.equal((await t.repo.getContent(MODEL_TYPE, MODEL_ID, "out", 1))?.toString("utf8"), expected);
    await assert.rejects(() => w.writeStream(Readable.from([Buffer.from("x")])), /already been finalized/);

    // A failing stream leaves nothing behind.
    async function* broken() {
      yield Buffer.from("partial\n");
      throw new Error("source died");
    }
    const w2 = t.repo.createWriter(fileSpec("out"));
    await assert.rejects(() => w2.writeStream(broken()), /source died/);
    assert.deepEqual((await readdir(join(t.dataRoot, "command", "shell", MODEL_ID, "out"))).sort(), ["1", "latest"]);
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "out"))?.version, 1);
  } finally {
    await t.cleanup();
  }
});

test("getFilePath + finalize hashes what the caller wrote", async () => {
  const t = await tempRepo();
  try {
    const w = t.repo.createWriter(fileSpec("report", { contentType: "text/markdown", streaming: false }));
    const path = await w.getFilePath();
    assert.ok(path.endsWith(join("report", "1", "raw")));
    await writeFile(path, "# Title\nbody\n");
    const handle = await w.finalize();
    assert.equal(handle.size, 13);
    const meta = await t.repo.get(MODEL_TYPE, MODEL_ID, "report");
    assert.equal(meta?.checksum, sha("# Title\nbody\n"));
    assert.equal(meta?.streaming, false);
    // writeAll / writeText are single-use too.
    const w2 = t.repo.createWriter(fileSpec("report"));
    const h2 = await w2.writeText("v2");
    assert.equal(h2.version, 2);
    await assert.rejects(() => w2.writeText("v3"), /already been finalized/);
    // abort drops a claimed version
    const w3 = t.repo.createWriter(fileSpec("report"));
    await w3.writeLine("never committed");
    await w3.abort();
    assert.equal(existsSync(join(t.dataRoot, "command", "shell", MODEL_ID, "report", "3")), false);
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "report"))?.version, 2);
  } finally {
    await t.cleanup();
  }
});

test("delete one version, then the rest; markDirty paths", async () => {
  const t = await tempRepo();
  try {
    for (let i = 0; i < 3; i++) await t.repo.save(resourceSpec("r"), `{"i":${i}}`);
    const nameDir = join(t.dataRoot, "command", "shell", MODEL_ID, "r");
    t.dirty.length = 0;
    assert.deepEqual(await t.repo.delete(MODEL_TYPE, MODEL_ID, "r", 3), { versionsDeleted: 1 });
    assert.deepEqual(t.dirty, [join(nameDir, "3")]);
    assert.equal(await readFile(join(nameDir, "latest"), "utf8"), "2", "latest moved back to the remaining max");
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "r"))?.version, 2);
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "r")).map((m) => m.version), [2, 1]);
    await assert.rejects(
      () => t.repo.delete(MODEL_TYPE, MODEL_ID, "r", 7),
      (err: unknown) => err instanceof SwampError && err.code === "not_found" && err.message === 'Version 7 does not exist for "r" (available versions: 1, 2)',
    );
    await t.repo.delete(MODEL_TYPE, MODEL_ID, "r", 1);
    await t.repo.delete(MODEL_TYPE, MODEL_ID, "r", 2);
    assert.equal(existsSync(nameDir), false, "no versions left: the name directory is gone");
    assert.deepEqual(await t.repo.versions(MODEL_TYPE, MODEL_ID, "r"), []);
    await assert.rejects(() => t.repo.delete(MODEL_TYPE, MODEL_ID, "r", undefined, { modelName: "hello-world" }), /No data named "r" exists for model hello-world/);

    for (let i = 0; i < 4; i++) await t.repo.save(resourceSpec("s"), "{}");
    t.dirty.length = 0;
    assert.deepEqual(await t.repo.delete(MODEL_TYPE, MODEL_ID, "s"), { versionsDeleted: 4 });
    assert.deepEqual(t.dirty, [join(t.dataRoot, "command", "shell", MODEL_ID, "s")]);
    assert.equal(await t.repo.get(MODEL_TYPE, MODEL_ID, "s"), null);
    assert.deepEqual(await t.repo.list(MODEL_TYPE, MODEL_ID), []);
    const leftovers = (await readdir(join(t.dataRoot, "command", "shell", MODEL_ID))).filter((n) => !n.startsWith(".index"));
    assert.deepEqual(leftovers, []);
    // A new write after deletion starts again at 1.
    assert.equal((await t.repo.save(resourceSpec("s"), "{}")).version, 1);
  } finally {
    await t.cleanup();
  }
});

test("rename: copy + tombstone, preconditions, result shape, markDirty bulk", async () => {
  const t = await tempRepo({ now: steppingClock() });
  try {
    await t.repo.saveResource(resourceSpec("result"), { a: 1 });
    const v2 = await t.repo.saveResource(resourceSpec("result"), { a: 2 });
    t.dirty.length = 0;
    const result = await t.repo.rename(MODEL_TYPE, MODEL_ID, "result", "execution-result");
    assert.deepEqual(result, { oldName: "result", newName: "execution-result", copiedVersion: 2, newVersion: 1 });
    assert.equal(t.dirty[0], undefined, "bulk markDirty first");
    const copy = await t.repo.get(MODEL_TYPE, MODEL_ID, "execution-result");
    assert.notEqual(copy?.id, v2.dataId, "fresh id for the copy");
    assert.deepEqual(JSON.parse((await t.repo.getContent(MODEL_TYPE, MODEL_ID, "execution-result", 1))!.toString()), { a: 2 });
    const tomb = await t.repo.get(MODEL_TYPE, MODEL_ID, "result", 3);
    assert.equal(tomb?.id, v2.dataId, "tombstone keeps the old id");
    assert.equal(tomb?.renamedTo, "execution-result");
    // latest lookups follow, explicit versions do not
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "result"))?.name, "execution-result");
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "result", 2))?.name, "result");
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "result")).map((m) => m.version), [3, 2, 1]);
    assert.deepEqual((await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => m.name), ["execution-result"]);
    assert.deepEqual(await t.repo.readResource(MODEL_TYPE, MODEL_ID, "result"), { a: 2 }, "readResource follows the rename");
    assert.deepEqual(await t.repo.readResource(MODEL_TYPE, MODEL_ID, "result", 1), { a: 1 });

    await t.repo.save(resourceSpec("other"), "{}");
    const code = (c: string) => (err: unknown) => err instanceof SwampError && err.code === c;
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "other", "other"), /Old name and new name must be different\./);
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "other", "latest"), /Invalid new name "latest": Data name 'latest' is reserved/);
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "ghost", "x"), (e: unknown) => code("not_found")(e) && /Data "ghost" not found/.test((e as Error).message));
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "result", "x"), /Data "result" is already deleted or renamed/);
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "other", "execution-result"), /Data "execution-result" already exists/);
    // renaming onto a tombstone is allowed
    const back = await t.repo.rename(MODEL_TYPE, MODEL_ID, "execution-result", "result");
    assert.equal(back.newVersion, 4);
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "result"))?.version, 4);
  } finally {
    await t.cleanup();
  }
});

test("rename rolls back the copy when the tombstone cannot be written", async () => {
  let failOn: string | null = null;
  const t = await tempRepo({
    markDirty: async (p?: string) => {
      if (failOn !== null && p !== undefined && p.endsWith(failOn)) throw new Error("disk on fire");
    },
  });
  try {
    await t.repo.save(resourceSpec("src"), '{"k":1}');
    await t.repo.save(resourceSpec("dst"), '{"old":true}');
    await t.repo.writeDeletionMarker(MODEL_TYPE, MODEL_ID, "dst", { deletedByMethod: "delete" });
    failOn = "/src"; // the tombstone write under the old name fails
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "src", "dst"), /disk on fire/);
    failOn = null;
    assert.deepEqual((await t.repo.versions(MODEL_TYPE, MODEL_ID, "dst")).map((m) => m.version), [2, 1], "copy rolled back");
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "dst"))?.lifecycle, "deleted");
    assert.equal(await readFile(join(t.dataRoot, "command", "shell", MODEL_ID, "dst", "latest"), "utf8"), "2");
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "src"))?.version, 1);

    // A brand-new target name disappears entirely on rollback.
    failOn = "/src";
    await assert.rejects(() => t.repo.rename(MODEL_TYPE, MODEL_ID, "src", "fresh"), /disk on fire/);
    failOn = null;
    assert.equal(existsSync(join(t.dataRoot, "command", "shell", MODEL_ID, "fresh")), false);
    assert.deepEqual((await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => m.name), ["dst", "src"]);
  } finally {
    await t.cleanup();
  }
});

test("rename chains: 5 hops resolve, the 6th gives null with the reference warning", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("n0"), '{"v":0}');
    for (let i = 0; i < 5; i++) await t.repo.rename(MODEL_TYPE, MODEL_ID, `n${i}`, `n${i + 1}`);
    const five = await t.repo.get(MODEL_TYPE, MODEL_ID, "n0");
    assert.equal(five?.name, "n5", "5 hops followed");
    assert.deepEqual(t.warnings, []);
    await t.repo.rename(MODEL_TYPE, MODEL_ID, "n5", "n6");
    assert.equal(await t.repo.get(MODEL_TYPE, MODEL_ID, "n0"), null, "6th hop: null");
    assert.deepEqual(t.warnings, [
      `Rename chain depth exceeded for n0 (model ${MODEL_ID}). Data exists but is unreachable — simplify the rename chain.`,
    ]);
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "n1"))?.name, "n6");
    assert.equal((await t.repo.get(MODEL_TYPE, MODEL_ID, "n0", 1))?.name, "n0", "explicit version never follows");
    assert.equal((await t.repo.getLatestNoFollow(MODEL_TYPE, MODEL_ID, "n0"))?.renamedTo, "n1");
  } finally {
    await t.cleanup();
  }
});

test("deletion marker: last attributes + deletedAt + deletedByMethod, same id", async () => {
  const t = await tempRepo();
  try {
    const first = await t.repo.saveResource(resourceSpec("vpc"), { vpcId: "vpc-1", cidr: "10.0.0.0/16" });
    const marker = await t.repo.writeDeletionMarker(MODEL_TYPE, MODEL_ID, "vpc", { deletedByMethod: "delete", deletedAt: "2026-05-01T00:00:00.000Z" });
    assert.equal(marker.dataId, first.dataId);
    assert.equal(marker.version, 2);
    assert.deepEqual(marker.attributes, { vpcId: "vpc-1", cidr: "10.0.0.0/16", deletedAt: "2026-05-01T00:00:00.000Z", deletedByMethod: "delete" });
    const meta = await t.repo.get(MODEL_TYPE, MODEL_ID, "vpc");
    assert.equal(meta?.lifecycle, "deleted");
    assert.equal(meta?.renamedTo, undefined);
    assert.equal(meta?.streaming, false);
    assert.deepEqual((await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => [m.name, m.version]), [["vpc", 2]], "list includes deletion markers");
    await assert.rejects(() => t.repo.writeDeletionMarker(MODEL_TYPE, MODEL_ID, "vpc", { deletedByMethod: "delete" }), /already deleted or renamed/);
  } finally {
    await t.cleanup();
  }
});

test("versions and list come from the index; summaries mark the highest version", async () => {
  const t = await tempRepo({ now: steppingClock() });
  try {
    await t.repo.save(resourceSpec("b"), "{}");
    await t.repo.save(resourceSpec("a"), "{1}");
    await t.repo.save(resourceSpec("a"), "{22}");
    const summaries = await t.repo.versionSummaries(MODEL_TYPE, MODEL_ID, "a");
    assert.deepEqual(summaries.map((s) => [s.version, s.isLatest, s.size]), [[2, true, 4], [1, false, 3]]);
    assert.deepEqual(Object.keys(summaries[0]!), ["version", "createdAt", "size", "checksum", "isLatest"]);
    assert.deepEqual((await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => [m.name, m.version]), [["a", 2], ["b", 1]]);
    const file = join(t.dataRoot, "command", "shell", MODEL_ID, "a", "2", "metadata.yaml");
    assert.equal(parseMetadata(await readFile(file, "utf8")).version, 2);
  } finally {
    await t.cleanup();
  }
});

test("leftovers of an interrupted delete are invisible and swept", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("keep"), "{}");
    const modelDir = join(t.dataRoot, "command", "shell", MODEL_ID);
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(modelDir, ".gone.deleting-1234abcd", "1"), { recursive: true });
    await writeFile(join(modelDir, ".gone.deleting-1234abcd", "1", "metadata.yaml"), "id: x\n");
    await mkdir(join(modelDir, "keep", ".7.deleting-deadbeef"), { recursive: true });
    const fresh = new (await import("../../../kernel/data/repository.js")).DataRepository({ dataRoot: t.dataRoot });
    await rm(join(modelDir, ".index.jsonl"));
    assert.deepEqual((await fresh.list(MODEL_TYPE, MODEL_ID)).map((m) => m.name), ["keep"]);
    assert.equal(await t.repo.sweepTrash(MODEL_TYPE, MODEL_ID), 2);
    assert.equal(existsSync(join(modelDir, ".gone.deleting-1234abcd")), false);
    assert.equal(existsSync(join(modelDir, "keep", ".7.deleting-deadbeef")), false);
  } finally {
    await t.cleanup();
  }
});
