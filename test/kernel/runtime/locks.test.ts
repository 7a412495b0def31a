import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFilesystemProvider } from "../../../builtins/datastore-filesystem/index.js";
import { LockManager, lockWaitMs, releaseHeldLocks } from "../../../kernel/runtime/locks.js";

const fresh = () => mkdtempSync(join(tmpdir(), "swamp-locks-"));
const manager = (dir: string, waitMs = 2000, env = {}) => new LockManager(createFilesystemProvider({ path: dir }), dir, waitMs, env, 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("lockWaitMs reads SWAMP_LOCK_TIMEOUT_MS and ignores invalid values", () => {
  assert.equal(lockWaitMs({}), 60_000);
  assert.equal(lockWaitMs({ SWAMP_LOCK_TIMEOUT_MS: "1500" }), 1500);
  for (const bad of ["0", "-5", "1.5", "abc", ""]) assert.equal(lockWaitMs({ SWAMP_LOCK_TIMEOUT_MS: bad }), 60_000, bad);
});

test("a model writer waits for a structural operation, then proceeds", async () => {
  const dir = fresh();
  const a = manager(dir);
  const b = manager(dir);
  const order: string[] = [];
  const structural = a.withGlobalLock(async () => {
    order.push("gc:start");
    await sleep(300);
    order.push("gc:end");
  });
  await sleep(50);
  await b.withModelLocks([{ modelType: "command/shell", modelId: "m1" }], async () => {
    order.push("write");
  });
  await structural;
  assert.deepEqual(order, ["gc:start", "gc:end", "write"]);
});

test("a structural operation drains live model locks first", async () => {
  const dir = fresh();
  const a = manager(dir);
  const b = manager(dir);
  const order: string[] = [];
  const writer = a.withModelLocks([{ modelType: "x/y", modelId: "m" }], async () => {
    order.push("write:start");
    await sleep(300);
    order.push("write:end");
  });
  await sleep(50);
  assert.equal((await b.listModelLocks()).length, 1);
  await b.withGlobalLock(async () => {
    order.push("gc");
  });
  await writer;
  assert.deepEqual(order, ["write:start", "write:end", "gc"]);
  assert.deepEqual(await b.listModelLocks(), []);
});

test("waiting for a held global lock times out with lock_timeout naming the holder", async () => {
  const dir = fresh();
  const holder = manager(dir);
  let release!: () => void;
  const held = holder.withGlobalLock(() => new Promise<void>((r) => (release = r)));
  await sleep(50);
  await assert.rejects(
    manager(dir, 300).withModelLocks([{ modelType: "a/b", modelId: "c" }], async () => {}),
    (err: { code?: string; message?: string }) => err.code === "lock_timeout" && new RegExp(`pid ${process.pid}`).test(err.message ?? ""),
  );
  release();
  await held;
});

test("nested swamp processes skip locks held by an ancestor", async () => {
  const dir = fresh();
  const parent = manager(dir);
  await parent.withModelLocks([{ modelType: "a/b", modelId: "c" }], async () => {
    // A child started now inherits SWAMP_LOCK_HOLDER_PID naming this process.
    const child = manager(dir, 300, { SWAMP_LOCK_HOLDER_PID: process.env.SWAMP_LOCK_HOLDER_PID });
    await child.withModelLocks([{ modelType: "a/b", modelId: "c" }], async () => {});
    await child.withGlobalLock(async () => {});
  });
  assert.equal(process.env.SWAMP_LOCK_HOLDER_PID, undefined);
});

test("releaseHeldLocks gives back every lock taken through a manager", async () => {
  const dir = fresh();
  const m = manager(dir);
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const pending = m.withModelLocks([{ modelType: "a/b", modelId: "c" }], async () => {
    entered();
    await sleep(200);
  });
  await inside;
  await releaseHeldLocks();
  assert.deepEqual((await m.listModelLocks()).filter((s) => s.info), []);
  await pending;
});

/** A lock manager and a data repository that fences its commits with `assertHeld`, in a fresh folder. */
async function fencedRepository() {
  const { DataRepository } = await import("../../../kernel/data/repository.js");
  const { assertHeld } = await import("../../../kernel/runtime/locks.js");
  const { modelLockKey } = await import("../../../kernel/contract/lock-keys.js");
  const dir = fresh();
  return { locks: manager(dir), repo: new DataRepository({ dataRoot: join(dir, "data"), beforeCommit: assertHeld }), modelLockKey };
}

/** A plain-text version of a command/shell model's data, as a method writes it. */
function shellVersion(modelId: string, name: string) {
  return {
    modelType: "command/shell",
    modelId,
    name,
    contentType: "text/plain",
    lifetime: "infinite",
    garbageCollection: 10,
    tags: { type: "resource" },
    ownerDefinition: { ownerType: "model-method", ownerRef: modelId },
  };
}

test("fencing: once a held lock is force-released, the data repository refuses to commit (lock_lost)", async () => {
  const { locks, repo, modelLockKey } = await fencedRepository();
  const ref = { modelType: "command/shell", modelId: "m1" };
  const spec = (name: string) => shellVersion(ref.modelId, name);
  await locks.withModelLocks([ref], async () => {
    await repo.save(spec("before"), "ok");
    const lock = locks.lock(modelLockKey(ref.modelType, ref.modelId));
    const info = await lock.inspect();
    assert.equal(await lock.forceRelease(info!.nonce!), true);
    await assert.rejects(repo.save(spec("after"), "too late"), { code: "lock_lost" });
    // Taken over by someone else in between: still ours to refuse.
    const other = locks.lock(modelLockKey(ref.modelType, ref.modelId));
    await other.acquire();
    await assert.rejects(repo.save(spec("after"), "too late"), { code: "lock_lost" });
    await other.release();
  });
  assert.equal((await repo.get(ref.modelType, ref.modelId, "before"))?.version, 1);
  assert.equal(await repo.get(ref.modelType, ref.modelId, "after"), null);
  assert.deepEqual(await repo.versions(ref.modelType, ref.modelId, "after").catch(() => []), []);
  // Outside any lock scope nothing is checked.
  await repo.save(spec("unlocked"), "fine");
});

test("fencing with two works in one process: a commit checks the lock of the model it writes; a model nobody here locked checks every held lock", async () => {
  const { locks, repo, modelLockKey } = await fencedRepository();
  const spec = shellVersion;
  let lostA!: () => void;
  const aLost = new Promise<void>((r) => (lostA = r));
  let bDone!: () => void;
  const bFinished = new Promise<void>((r) => (bDone = r));
  const workA = locks.withModelLocks([{ modelType: "command/shell", modelId: "a" }], async () => {
    await repo.save(spec("a", "x"), "1");
    const lock = locks.lock(modelLockKey("command/shell", "a"));
    assert.equal(await lock.forceRelease((await lock.inspect())!.nonce!), true);
    lostA();
    await bFinished;
    await assert.rejects(repo.save(spec("a", "x"), "2"), { code: "lock_lost" });
  });
  const workB = locks.withModelLocks([{ modelType: "command/shell", modelId: "b" }], async () => {
    await aLost;
    // B still holds its own lock: A's loss does not stop B's commits.
    await repo.save(spec("b", "y"), "1");
    // A model no work here locked: every held lock is checked, and A's is gone.
    await assert.rejects(repo.save(spec("c", "z"), "1"), { code: "lock_lost" });
    bDone();
  });
  await Promise.all([workA, workB]);
  assert.equal((await repo.get("command/shell", "a", "x"))?.version, 1);
  assert.equal((await repo.get("command/shell", "b", "y"))?.version, 1);
  assert.equal(await repo.get("command/shell", "c", "z"), null);
});
