import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseMetadata } from "../../../kernel/data/metadata.js";
import { queryData } from "../../../kernel/data/query.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { MODEL_TYPE, tempRepo } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/child.js", import.meta.url));
const FILE_LOCK = fileURLToPath(new URL("../../../builtins/datastore-filesystem/lock.js", import.meta.url));

function runChild(args: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

async function checkName(dataRoot: string, modelId: string, name: string): Promise<number[]> {
  const nameDir = join(dataRoot, ...MODEL_TYPE.split("/"), modelId, name);
  const versions: number[] = [];
  for (const entry of await readdir(nameDir)) {
    if (!/^[1-9][0-9]*$/.test(entry)) continue;
    const dir = join(nameDir, entry);
    if (!existsSync(join(dir, "metadata.yaml"))) continue;
    const meta = parseMetadata(await readFile(join(dir, "metadata.yaml"), "utf8"));
    const raw = await readFile(join(dir, "raw"));
    assert.equal(meta.checksum, createHash("sha256").update(raw).digest("hex"), `checksum of v${entry}`);
    assert.equal(meta.size, raw.byteLength);
    assert.equal(meta.version, Number(entry));
    versions.push(Number(entry));
  }
  return versions.sort((a, b) => a - b);
}

test("8 processes × 50 versions of one name under the per-model lock: 1..400, checksums, latest", async () => {
  const t = await tempRepo();
  try {
    const lock = existsSync(FILE_LOCK) ? "file" : "excl";
    const modelId = "shared-model";
    const base = { mode: "write", dataRoot: t.dataRoot, datastorePath: join(t.root, ".swamp"), modelType: MODEL_TYPE, modelId, name: "shared", count: 50, lock };
    await Promise.all(Array.from({ length: 8 }, (_, i) => runChild({ ...base, tag: `p${i}` })));
    const versions = await checkName(t.dataRoot, modelId, "shared");
    assert.deepEqual(versions, Array.from({ length: 400 }, (_, i) => i + 1));
    const nameDir = join(t.dataRoot, ...MODEL_TYPE.split("/"), modelId, "shared");
    assert.equal(await readFile(join(nameDir, "latest"), "utf8"), "400");
    const repo = new DataRepository({ dataRoot: t.dataRoot });
    assert.equal((await repo.versions(MODEL_TYPE, modelId, "shared")).length, 400, "the index saw every commit");
    const q = await queryData(repo, 'name == "shared"');
    assert.deepEqual(q.records.map((r) => r.version), [400]);
    const contents = new Set<string>();
    for (const v of versions) contents.add((await readFile(join(nameDir, String(v), "raw"), "utf8")).split("-").slice(0, 2).join("-"));
    assert.equal(contents.size, 400, "every write landed exactly once");
  } finally {
    await t.cleanup();
  }
});

test("without any lock, concurrent writers still get distinct versions and latest ends at the max", async () => {
  const t = await tempRepo();
  try {
    const modelId = "unlocked-model";
    const base = { mode: "write", dataRoot: t.dataRoot, modelType: MODEL_TYPE, modelId, name: "free", count: 25, lock: "none" };
    await Promise.all(Array.from({ length: 4 }, (_, i) => runChild({ ...base, tag: `q${i}` })));
    const versions = await checkName(t.dataRoot, modelId, "free");
    assert.deepEqual(versions, Array.from({ length: 100 }, (_, i) => i + 1));
    const nameDir = join(t.dataRoot, ...MODEL_TYPE.split("/"), modelId, "free");
    assert.equal(await readFile(join(nameDir, "latest"), "utf8"), "100");
    const repo = new DataRepository({ dataRoot: t.dataRoot });
    assert.equal((await repo.versions(MODEL_TYPE, modelId, "free")).length, 100);
  } finally {
    await t.cleanup();
  }
});

test("kill -9 during a large streamed write leaves no torn version", async () => {
  const t = await tempRepo();
  try {
    const modelId = "killed-model";
    for (let round = 0; round < 2; round++) {
      const args = { mode: "stream-loop", dataRoot: t.dataRoot, modelType: MODEL_TYPE, modelId, name: "big", chunkBytes: 1 << 16, chunks: 48 };
      const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      let killedAt = 0;
      const exited = new Promise((r) => child.on("exit", r));
      await new Promise<void>((resolve) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const committed = (out.match(/committed/g) ?? []).length;
          const mid = /mid (\d+)\n$/.exec(out);
          if (committed >= 2 && mid && killedAt === 0) {
            killedAt = Number(mid[1]);
            child.kill("SIGKILL"); // half-way through streaming version `killedAt`
            resolve();
          }
        });
      });
      await exited;
      const torn = join(t.dataRoot, ...MODEL_TYPE.split("/"), modelId, "big", String(killedAt));
      assert.ok(existsSync(join(torn, "raw")), "killed mid-write: a claimed version with partial raw");
      assert.equal(existsSync(join(torn, "metadata.yaml")), false);
    }
    const nameDir = join(t.dataRoot, ...MODEL_TYPE.split("/"), modelId, "big");
    const committed = await checkName(t.dataRoot, modelId, "big");
    assert.ok(committed.length >= 4);
    const repo = new DataRepository({ dataRoot: t.dataRoot });
    const latest = await repo.get(MODEL_TYPE, modelId, "big");
    assert.ok(latest && committed.includes(latest.version), "latest resolves to a committed version");
    const pointer = Number(await readFile(join(nameDir, "latest"), "utf8"));
    assert.ok(committed.includes(pointer), "the latest file names a committed version");
    const listed = (await repo.versions(MODEL_TYPE, modelId, "big")).map((m) => m.version).sort((a, b) => a - b);
    assert.deepEqual(listed, committed, "versions shows exactly the committed ones");
    const q = await queryData(repo, 'name == "big" && version >= 0');
    assert.deepEqual(q.records.map((r) => r.version).sort((a, b) => a - b), committed);
    for (const record of (await repo.list(MODEL_TYPE, modelId))) assert.ok(committed.includes(record.version));
    // The next writer skips any torn claim and commits cleanly.
    const w = repo.createWriter({
      modelType: MODEL_TYPE,
      modelId,
      name: "big",
      contentType: "text/plain",
      lifetime: "infinite",
      garbageCollection: 1000,
      streaming: true,
      tags: { type: "file", specName: "log", modelName: "child-model" },
      ownerDefinition: { ownerType: "model-method", ownerRef: modelId },
    });
    await w.writeLine("after the crash");
    const h = await w.finalize();
    assert.ok(h.version > Math.max(...committed));
    assert.equal((await repo.get(MODEL_TYPE, modelId, "big"))?.version, h.version);
  } finally {
    await t.cleanup();
  }
});
