/**
 * S3 sync at the kernel level: two repos with separate caches (different SWAMP_HOME) on one
 * bucket, through the real kernel, lock manager, coordinator and DataRepository.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, unlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { S3SyncService } from "../../../builtins/datastore-s3/sync.js";
import { readMarker, writeMarker } from "../../../kernel/runtime/marker.js";
import { SyncTimeoutError } from "../../../kernel/runtime/sync.js";
import { startS3Server, type S3TestServer } from "../../helpers/s3-server.js";
import { makeRepo, MODEL_TYPE, spec, versionsOf, writeVersion, type TestRepo } from "./harness.js";

let server: S3TestServer;
let root: string;
let n = 0;

before(async () => {
  server = await startS3Server();
  Object.assign(process.env, server.clientEnv());
  root = await mkdtemp(join(tmpdir(), "swamp-s3-sync-"));
});

after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** Two repos sharing a fresh prefix of the bucket. */
async function pair(extraEnv: Record<string, string> = {}): Promise<{ a: TestRepo; b: TestRepo; prefix: string }> {
  n++;
  const prefix = `t${n}`;
  return { a: await makeRepo(root, `a${n}`, server, prefix, extraEnv), b: await makeRepo(root, `b${n}`, server, prefix, extraEnv), prefix };
}

const service = (repo: TestRepo) => repo.sync.service as S3SyncService;

describe("s3 sync between two repos", () => {
  test("data written by one repo is read by the other after its pull, index included", async () => {
    const { a, b } = await pair();
    assert.notEqual(a.cache, b.cache);
    const model = randomUUID();
    await writeVersion(a, model, "result", "hello from a");
    // b's next per-model writer pulls (scoped) before it runs
    const seen = await b.kernel.locks.withModelLocks([{ modelType: MODEL_TYPE, modelId: model }], async () => b.data.get(MODEL_TYPE, model, "result"));
    assert.equal(seen?.version, 1);
    assert.equal((await b.data.getContent(MODEL_TYPE, model, "result", 1))?.toString(), "hello from a");
    assert.deepEqual((await b.data.list(MODEL_TYPE, model)).map((m) => m.name), ["result"]);
    // a model b never saw is registered in its index after a full pull
    const other = randomUUID();
    await writeVersion(a, other, "thing", "x");
    await b.sync.pull();
    const models = await b.data.index.models();
    assert.ok(models.some((m) => m.id === other), "pulled model registered in the data index");
  });

  test("no-op sync is one request; a one-file change is O(1) requests, independent of bucket size", async () => {
    const { a, b } = await pair();
    await writeVersion(a, randomUUID(), "seed", "seed");
    await b.sync.pull();
    await a.sync.pull();

    server.resetCounts();
    assert.equal((await b.sync.pull()).files, 0);
    assert.equal((await b.sync.push()).files, 0);
    assert.deepEqual(server.counts(), { GetObject: 1 }, "no-op pull = one conditional GET (304), no-op push = nothing");

    const measure = async (label: string) => {
      const rel = `files/${label}-${randomUUID()}.txt`;
      await mkdir(join(a.cache, "files"), { recursive: true });
      await service(a).markDirty({ relPath: rel });
      await writeFile(join(a.cache, ...rel.split("/")), `content ${label}`);
      server.resetCounts();
      assert.equal((await a.sync.push()).files, 1);
      const pushCounts = server.total();
      server.resetCounts();
      assert.equal((await b.sync.pull()).files, 1);
      const pullCounts = server.total();
      assert.equal(await readFile(join(b.cache, ...rel.split("/")), "utf8"), `content ${label}`);
      return { pushCounts, pullCounts };
    };
    const small = await measure("small");
    assert.ok(small.pushCounts <= 3, `one-file push took ${small.pushCounts} requests`);
    assert.ok(small.pullCounts <= 3, `one-file pull took ${small.pullCounts} requests`);

    // grow the bucket by 200 objects in 20 directories, then measure again
    const c = await makeRepo(root, `c${n}`, server, `t${n}`);
    for (let i = 0; i < 20; i++) {
      const dir = `files/bulk-${i}`;
      await mkdir(join(c.cache, ...dir.split("/")), { recursive: true });
      await service(c).markDirty({ relPath: dir });
      for (let j = 0; j < 10; j++) await writeFile(join(c.cache, "files", `bulk-${i}`, `f${j}.txt`), `${i}-${j}`);
    }
    assert.equal((await c.sync.push()).files, 200);
    await a.sync.pull();
    await b.sync.pull();
    server.resetCounts();
    await b.sync.pull();
    assert.equal(server.total(), 1, "no-op pull stays one request with 200 more objects");
    const large = await measure("large");
    assert.equal(large.pushCounts, small.pushCounts, "push cost independent of bucket size");
    assert.equal(large.pullCounts, small.pullCounts, "pull cost independent of bucket size");
  });

  test("pull and push report files moved of those to move, through DatastoreSync.onTransfer", async () => {
    const { a, b } = await pair();
    const seen: string[] = [];
    a.sync.onTransfer = (direction, done, total) => seen.push(`${direction} ${done}/${total}`);
    b.sync.onTransfer = (direction, done, total) => seen.push(`${direction} ${done}/${total}`);
    await mkdir(join(a.cache, "files", "batch"), { recursive: true });
    await service(a).markDirty({ relPath: "files/batch" });
    for (let i = 0; i < 3; i++) await writeFile(join(a.cache, "files", "batch", `f${i}.txt`), String(i));
    assert.equal((await a.sync.push()).files, 3);
    assert.deepEqual(seen, ["push 0/3", "push 1/3", "push 2/3", "push 3/3"]);
    seen.length = 0;
    assert.equal((await b.sync.pull()).files, 3);
    assert.deepEqual(seen, ["pull 0/3", "pull 1/3", "pull 2/3", "pull 3/3"]);
    seen.length = 0;
    await b.sync.pull();
    await a.sync.push();
    assert.deepEqual(seen, [], "nothing to move, nothing reported");
  });

  test("a one-version write reads the index replicas of its own shards, not of the whole bucket", async () => {
    const { a } = await pair();
    for (let i = 0; i < 30; i++) {
      const dir = `files/spread-${i}`;
      await mkdir(join(a.cache, ...dir.split("/")), { recursive: true });
      await service(a).markDirty({ relPath: dir });
      await writeFile(join(a.cache, "files", `spread-${i}`, "f.txt"), String(i));
    }
    assert.equal((await a.sync.push()).files, 30);
    const replicas = (await service(a).store.replicaIds()).length;
    assert.ok(replicas >= 20, `expected the files spread over many shards, got ${replicas}`);

    const store = service(a).store;
    const read = store.readReplica.bind(store);
    const seen: string[] = [];
    store.readReplica = (id: string) => {
      seen.push(id);
      return read(id);
    };
    const model = randomUUID();
    try {
      // The command's areas include outputs/ and definitions-evaluated/ paths it never wrote.
      assert.equal((await writeVersion(a, model, "result", "one")).version, 1);
    } finally {
      store.readReplica = read;
    }
    assert.ok(new Set(seen).size <= 8, `read ${new Set(seen).size} of ${replicas} replicas: ${[...new Set(seen)].join(" ")}`);
    assert.deepEqual(await versionsOf(a, model, "result"), [1]);
  });

  test("a configured pull concurrency above the SDK's 50 sockets really runs that many downloads at once", async () => {
    const { a } = await pair();
    for (let i = 0; i < 4; i++) {
      const dir = `files/wide-${i}`;
      await mkdir(join(a.cache, ...dir.split("/")), { recursive: true });
      await service(a).markDirty({ relPath: dir });
      for (let j = 0; j < 40; j++) await writeFile(join(a.cache, "files", `wide-${i}`, `f${j}.txt`), `${i}-${j}`);
    }
    assert.equal((await a.sync.push()).files, 160);
    const wide = await makeRepo(root, `wide${n}`, server, `t${n}`);
    const marker = await readMarker(wide.repoDir);
    marker.datastore = { type: "s3", config: { ...(marker.datastore?.config ?? {}), pullConcurrency: 80 } };
    await writeMarker(wide.repoDir, marker);
    const reopened = await wide.reopen();
    server.setReadLatency(300);
    server.resetCounts();
    try {
      assert.equal((await reopened.sync.pull()).files, 160);
    } finally {
      server.setReadLatency(0);
    }
    assert.ok(server.maxInFlight() > 50, `at most ${server.maxInFlight()} requests were in flight`);
  });

  test("both repos writing the same model at once lose no version", async () => {
    const { a, b } = await pair();
    const model = randomUUID();
    const perRepo = 4;
    const run = async (repo: TestRepo) => {
      for (let i = 0; i < perRepo; i++) await writeVersion(repo, model, "counter", `${repo.name}-${i}`);
    };
    await Promise.all([run(a), run(b)]);
    await a.sync.pull();
    await b.sync.pull();
    const expected = Array.from({ length: perRepo * 2 }, (_, i) => i + 1);
    assert.deepEqual(await versionsOf(a, model, "counter"), expected);
    assert.deepEqual(await versionsOf(b, model, "counter"), expected);
    const contents = new Set<string>();
    for (const v of expected) contents.add(String(await a.data.getContent(MODEL_TYPE, model, "counter", v)));
    assert.equal(contents.size, perRepo * 2, "every version holds a distinct write");
    assert.equal((await a.data.get(MODEL_TYPE, model, "counter"))?.version, perRepo * 2);
  });

  test("deletes travel as tombstones and do not come back", async () => {
    const { a, b } = await pair();
    const model = randomUUID();
    await writeVersion(a, model, "doomed", "v1");
    await writeVersion(a, model, "doomed", "v2");
    await writeVersion(a, model, "kept", "k");
    await b.sync.pull();
    assert.deepEqual(await versionsOf(b, model, "doomed"), [1, 2]);

    await a.kernel.locks.withModelLocks([{ modelType: MODEL_TYPE, modelId: model }], () => a.data.delete(MODEL_TYPE, model, "doomed", 1));
    await b.sync.pull();
    assert.deepEqual(await versionsOf(b, model, "doomed"), [2], "version delete reached b");

    await b.kernel.locks.withModelLocks([{ modelType: MODEL_TYPE, modelId: model }], () => b.data.delete(MODEL_TYPE, model, "doomed"));
    // further writes and syncs from both sides must not resurrect anything
    await writeVersion(a, model, "kept", "k2");
    await writeVersion(b, model, "kept", "k3");
    await a.sync.pull();
    await b.sync.pull();
    assert.deepEqual(await versionsOf(a, model, "doomed"), []);
    assert.deepEqual(await versionsOf(b, model, "doomed"), []);
    assert.deepEqual(await versionsOf(a, model, "kept"), [1, 2, 3]);
    const keys = await server.keys();
    assert.ok(!keys.some((k) => k.includes(`${model}/doomed/`)), "objects of deleted data are removed from the bucket");
    // a newcomer never sees them either
    const c = await makeRepo(root, `late${n}`, server, `t${n}`);
    await c.sync.pull();
    assert.deepEqual(await versionsOf(c, model, "doomed"), []);
    assert.deepEqual(await versionsOf(c, model, "kept"), [1, 2, 3]);
  });

  test("a structural command's deletions (gc removing a whole model) propagate", async () => {
    const { a, b } = await pair();
    const gone = randomUUID();
    const kept = randomUUID();
    await writeVersion(a, gone, "old", "1");
    await writeVersion(a, kept, "new", "2");
    await b.sync.pull();
    await a.kernel.locks.withGlobalLock(async () => {
      await a.data.markDirty(); // what gc does: a bulk mark, then removal
      await rm(join(a.cache, "data", MODEL_TYPE, gone), { recursive: true, force: true });
    });
    await b.sync.pull();
    assert.deepEqual(await versionsOf(b, gone, "old"), []);
    assert.deepEqual(await versionsOf(b, kept, "new"), [1]);
  });

  test("a bulk markDirty uploads but never deletes remotely", async () => {
    const { a, b } = await pair();
    const model = randomUUID();
    await writeVersion(a, model, "item", "one");
    const nameDir = join(a.cache, "data", MODEL_TYPE, model, "item");
    await service(a).markDirty();
    await rm(nameDir, { recursive: true, force: true });
    await a.sync.push();
    await b.sync.pull();
    assert.deepEqual(await versionsOf(b, model, "item"), [1], "bulk mark is not a deletion signal");
    // and the deleting cache does not get the file back on pull
    await a.sync.pull();
    await assert.rejects(readFile(join(nameDir, "1", "raw")));
  });

  test("a new joiner hydrates everything; a remote-only file is never skipped", async () => {
    const { a, b } = await pair();
    const m1 = randomUUID();
    await writeVersion(a, m1, "x", "1");
    // b pushes its own change before ever pulling: the push must not mark b as up to date
    const rel = "files/b-only.txt";
    await mkdir(join(b.cache, "files"), { recursive: true });
    await service(b).markDirty({ relPath: rel });
    await writeFile(join(b.cache, "files", "b-only.txt"), "b");
    await b.sync.push();
    await b.sync.pull();
    assert.deepEqual(await versionsOf(b, m1, "x"), [1], "a's data is pulled after b's own push");
  });

  test("dirty marks survive a crash between write and push", async () => {
    const { a, b } = await pair();
    const rel = "files/crash.txt";
    await mkdir(join(a.cache, "files"), { recursive: true });
    await service(a).markDirty({ relPath: rel });
    await writeFile(join(a.cache, "files", "crash.txt"), "survives");
    const reopened = await a.reopen(); // new process: in-memory state gone
    assert.equal((await reopened.sync.push()).files, 1);
    await b.sync.pull();
    assert.equal(await readFile(join(b.cache, "files", "crash.txt"), "utf8"), "survives");
  });

  test("a missing index is rebuilt from a listing; a failed listing publishes nothing", async () => {
    const { a, b, prefix } = await pair();
    const model = randomUUID();
    await writeVersion(a, model, "r", "content");
    const dir = join(server.directory, server.bucket, prefix, ".swamp-index");
    await rm(dir, { recursive: true, force: true });
    server.inject({ op: "ListObjectsV2", status: 500, code: "InternalError", times: 4 });
    await assert.rejects(b.sync.pull(), /InternalError|ListObjectsV2/);
    assert.ok(!(await server.keys()).some((k) => k.startsWith(`${prefix}/.swamp-index/`)), "no index published after a failed listing");
    await b.sync.pull();
    assert.deepEqual(await versionsOf(b, model, "r"), [1]);
    assert.ok((await server.keys()).includes(`${prefix}/.swamp-index/root.json`), "the rebuilt index is stored");
    // and writes continue on top of the healed index
    await writeVersion(b, model, "r", "more");
    await a.sync.pull();
    assert.deepEqual(await versionsOf(a, model, "r"), [1, 2]);
  });

  test("a dangling index entry is skipped and reported, not fatal", async () => {
    const { a, b, prefix } = await pair();
    const model = randomUUID();
    await writeVersion(a, model, "gone", "x");
    await writeVersion(a, model, "fine", "y");
    await unlink(join(server.directory, server.bucket, prefix, "data", "command", "shell", model, "gone", "1", "raw._S3rver_object"));
    const result = await b.sync.pull();
    assert.ok(result.warnings.some((w) => w.includes("missing from the bucket")));
    assert.deepEqual(await versionsOf(b, model, "fine"), [1]);
    assert.equal((await b.sync.pull()).files, 0, "not retried until the entry changes");
  });

  test("a pull failure aborts the command; a push failure after success is an error and the data goes with the next push", async () => {
    const { a, b } = await pair();
    const model = randomUUID();
    await writeVersion(a, model, "r", "1");
    server.inject({ op: "GetObject", keyIncludes: ".swamp-index/root.json", status: 503, code: "SlowDown", times: 8 });
    let ran = false;
    await assert.rejects(
      b.kernel.locks.withModelLocks([{ modelType: MODEL_TYPE, modelId: model }], async () => {
        ran = true;
      }),
      /SlowDown/,
    );
    assert.equal(ran, false, "the command body never ran on a stale cache");
    server.clearFaults();

    server.inject({ op: "PutObject", keyIncludes: "/data/", status: 403, code: "AccessDenied", times: 1 });
    await assert.rejects(writeVersion(b, model, "r", "2"), (err: Error & { code?: string }) => {
      assert.equal(err.code, "sync_push_failed");
      assert.match(err.message, /command succeeded/);
      assert.match(err.message, /AccessDenied/);
      return true;
    });
    server.clearFaults();
    assert.ok((await b.sync.push()).files > 0, "the dirty change is pushed later");
    await a.sync.pull();
    assert.deepEqual(await versionsOf(a, model, "r"), [1, 2]);
  });

  test("transient 5xx are retried; 4xx are not", async () => {
    const { a } = await pair();
    await mkdir(join(a.cache, "files"), { recursive: true });
    await service(a).markDirty({ relPath: "files/r.txt" });
    await writeFile(join(a.cache, "files", "r.txt"), "r");
    server.resetCounts();
    server.inject({ op: "PutObject", status: 503, code: "SlowDown", times: 2 });
    assert.equal((await a.sync.push()).files, 1);
    assert.equal(server.counts().PutObject, 5, "object put retried twice, then shard and root");

    await service(a).markDirty({ relPath: "files/s.txt" });
    await writeFile(join(a.cache, "files", "s.txt"), "s");
    server.resetCounts();
    server.inject({ op: "PutObject", status: 400, code: "InvalidRequest", times: 1 });
    await assert.rejects(a.sync.push(), /InvalidRequest/);
    assert.equal(server.counts().PutObject, 1, "a 4xx is not retried");
  });

  test("every sync is bounded by SWAMP_DATASTORE_SYNC_TIMEOUT_MS", async () => {
    const { b } = await pair({ SWAMP_DATASTORE_SYNC_TIMEOUT_MS: "700" });
    server.inject({ op: "GetObject", keyIncludes: "root.json", status: 503, code: "SlowDown", times: 1, delayMs: 3000 });
    const started = Date.now();
    await assert.rejects(b.sync.pull(), (err: unknown) => err instanceof SyncTimeoutError);
    assert.ok(Date.now() - started < 6500, "gave up near the deadline");
    server.clearFaults();
  });

  test("a version written elsewhere under the same number is never overwritten", async () => {
    const { a, b } = await pair();
    const model = randomUUID();
    // b writes v1 while unable to push, a writes its own v1 and pushes
    server.inject({ op: "PutObject", keyIncludes: "/data/", status: 403, code: "AccessDenied", times: 1 });
    await assert.rejects(writeVersion(b, model, "clash", "from b"));
    server.clearFaults();
    await writeVersion(a, model, "clash", "from a");
    await assert.rejects(b.sync.push(), (err: Error & { code?: string }) => err.code === "sync_conflict");
    const c = await makeRepo(root, `c-clash${n}`, server, `t${n}`);
    await c.sync.pull();
    assert.equal(String(await c.data.getContent(MODEL_TYPE, model, "clash", 1)), "from a", "remote v1 kept");
    assert.equal(String(await b.data.getContent(MODEL_TYPE, model, "clash", 1)), "from b", "local v1 kept");
  });

  test("internal files never travel", async () => {
    const { a } = await pair();
    const model = randomUUID();
    await writeVersion(a, model, "r", "1");
    await writeFile(join(a.cache, "data", ".junk.tmp"), "tmp");
    await service(a).markDirty();
    await a.sync.push();
    const keys = await server.keys();
    const mine = keys.filter((k) => k.startsWith(`t${n}/`));
    assert.ok(mine.length > 0);
    for (const k of mine) {
      const rel = k.slice(`t${n}/`.length);
      if (rel.startsWith(".swamp-index/")) continue;
      assert.ok(!rel.split("/").some((s) => s.startsWith(".")), `internal file synced: ${k}`);
    }
    assert.ok(!mine.some((k) => k.endsWith(".index.jsonl") || k.endsWith(".models.jsonl")));
  });

  test("save through the repository marks the name directory before writing", async () => {
    const { a } = await pair();
    const model = randomUUID();
    await a.data.save(spec(model, "direct"), "no lock");
    const marks = await service(a)["dirty"].peek();
    assert.ok([...marks.paths].some((p) => p === `data/${MODEL_TYPE}/${model}/direct`));
  });
});
