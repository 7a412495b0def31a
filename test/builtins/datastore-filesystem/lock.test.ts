import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import type { LockInfo } from "../../../kernel/contract/ports/datastore.js";
import { atomicWriteFile } from "../../../kernel/runtime/atomic-write.js";
import {
  DEFAULT_LOCK_KEY,
  FileLock,
  lockPathFor,
} from "../../../builtins/datastore-filesystem/lock.js";

let root: string;
let counter = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "swamp-filelock-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh datastore directory per test. */
function freshDir(): string {
  counter++;
  return join(root, `ds-${counter}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The pid of a process that has certainly exited (spawned, finished and reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  assert.equal(typeof child.pid, "number");
  return child.pid as number;
}

async function writeLock(path: string, info: Partial<LockInfo> & Record<string, unknown>, ageMs = 0): Promise<void> {
  await atomicWriteFile(path, JSON.stringify(info, null, 2));
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    await utimes(path, then, then);
  }
}

async function readInfo(path: string): Promise<LockInfo> {
  return JSON.parse(await readFile(path, "utf8")) as LockInfo;
}

function isLockTimeout(err: unknown): boolean {
  return (err as { code?: unknown }).code === "lock_timeout";
}

describe("FileLock", () => {
  test("writes a pretty-printed LockInfo body and removes it on release", async () => {
    const dir = freshDir();
    const lock = new FileLock(dir);
    await lock.acquire();
    const path = join(dir, DEFAULT_LOCK_KEY);
    const raw = await readFile(path, "utf8");
    const info = JSON.parse(raw) as LockInfo;
    assert.equal(raw, JSON.stringify(info, null, 2));
    assert.equal(info.hostname, hostname());
    assert.equal(info.pid, process.pid);
    assert.equal(info.ttlMs, 30_000);
    assert.match(info.holder, new RegExp(`@${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    assert.match(info.nonce ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(Math.abs(Date.parse(info.acquiredAt) - Date.now()) < 5_000);
    assert.equal(lock.isHeld, true);
    await lock.release();
    assert.equal(lock.isHeld, false);
    assert.deepEqual(await readdir(dir), []);
  });

  test("per-model keys create their parent directories", async () => {
    const dir = freshDir();
    const lock = new FileLock(dir, { lockKey: "data/@org/aws/ec2/i-1/.lock" });
    await lock.withLock(async () => {
      assert.notEqual(await lock.inspect(), null);
      assert.ok((await readInfo(join(dir, "data/@org/aws/ec2/i-1/.lock"))).nonce);
    });
  });

  test("lockPathFor refuses keys that escape the datastore", () => {
    assert.throws(() => lockPathFor("/tmp/ds", "../escape.lock"), (err: unknown) => (err as { code?: string }).code === "path_traversal");
    assert.throws(() => new FileLock("/tmp/ds", { lockKey: "/etc/passwd" }));
    assert.equal(lockPathFor("/tmp/ds", "data/a/b/.lock"), "/tmp/ds/data/a/b/.lock");
  });

  test("acquire() while already held by the same instance throws a clear error", async () => {
    const lock = new FileLock(freshDir());
    await lock.acquire();
    try {
      await assert.rejects(lock.acquire(), /already held/);
    } finally {
      await lock.release();
    }
  });

  test("release is idempotent and safe without acquire", async () => {
    const dir = freshDir();
    const lock = new FileLock(dir);
    await lock.release();
    await lock.acquire();
    await lock.release();
    await lock.release();
    assert.equal(await lock.inspect(), null);
    await lock.acquire();
    assert.notEqual(await lock.inspect(), null);
    await lock.release();
  });

  test("withLock releases when the callback throws", async () => {
    const lock = new FileLock(freshDir());
    await assert.rejects(
      lock.withLock(async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await lock.inspect(), null);
    assert.equal(await lock.withLock(async () => "ok"), "ok");
  });

  test("a lock from another host whose acquiredAt and mtime are older than its TTL is taken over", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    await writeLock(
      path,
      {
        holder: "someone@other-host.invalid",
        hostname: "other-host.invalid",
        pid: 4242,
        acquiredAt: new Date(Date.now() - 60_000).toISOString(),
        ttlMs: 5_000,
        nonce: "old-nonce",
      },
      60_000,
    );
    const lock = new FileLock(dir, { maxWaitMs: 5_000 });
    const start = performance.now();
    await lock.acquire();
    try {
      assert.ok(performance.now() - start < 4_000, "stale lock should be taken over without waiting out maxWaitMs");
      const info = await lock.inspect();
      assert.notEqual(info?.nonce, "old-nonce");
      assert.equal(info?.pid, process.pid);
    } finally {
      await lock.release();
    }
    // The aside copy used for the takeover is gone.
    assert.deepEqual(await readdir(dir), []);
  });

  test("an old acquiredAt alone is not stale while the file itself was written recently", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    await writeLock(path, {
      holder: "someone@other-host.invalid",
      hostname: "other-host.invalid",
      pid: 4242,
      acquiredAt: new Date(Date.now() - 60_000).toISOString(),
      ttlMs: 30_000,
      nonce: "skewed-clock",
    });
    const lock = new FileLock(dir, { maxWaitMs: 300 });
    await assert.rejects(lock.acquire(), isLockTimeout);
    assert.equal((await readInfo(path)).nonce, "skewed-clock");
  });

  test("a fresh lock from another host is NOT taken even if its pid is dead on this host", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    const pid = deadPid();
    await writeLock(path, {
      holder: "someone@other-host.invalid",
      hostname: "other-host.invalid",
      pid,
      acquiredAt: new Date().toISOString(),
      ttlMs: 30_000,
      nonce: "foreign",
    });
    const lock = new FileLock(dir, { maxWaitMs: 400 });
    let caught: unknown;
    try {
      await lock.acquire();
    } catch (err) {
      caught = err;
    }
    assert.ok(isLockTimeout(caught), `expected lock_timeout, got ${String(caught)}`);
    assert.match((caught as Error).message, new RegExp(`held by someone@other-host\\.invalid \\(pid ${pid}\\)`));
    assert.match((caught as Error).message, /\.datastore\.lock/);
    assert.equal((await readInfo(path)).nonce, "foreign");
  });

  test("a fresh lock from this host whose pid is dead is taken over immediately", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    await writeLock(path, {
      holder: `someone@${hostname()}`,
      hostname: hostname(),
      pid: deadPid(),
      acquiredAt: new Date().toISOString(),
      ttlMs: 30_000,
      nonce: "crashed",
    });
    const lock = new FileLock(dir, { maxWaitMs: 10_000 });
    const start = performance.now();
    await lock.acquire();
    try {
      assert.ok(performance.now() - start < 3_000, "dead-pid lock should be taken without backing off to maxWaitMs");
      assert.notEqual((await lock.inspect())?.nonce, "crashed");
    } finally {
      await lock.release();
    }
  });

  test("a live, heartbeating holder is never stolen even with a short TTL", async () => {
    const dir = freshDir();
    const holder = new FileLock(dir, { ttlMs: 300 });
    await holder.acquire();
    const nonce = (await holder.inspect())?.nonce;
    const holdUntil = performance.now() + 1_500;
    try {
      const contender = new FileLock(dir, { maxWaitMs: 1_000 });
      const start = performance.now();
      await assert.rejects(contender.acquire(), isLockTimeout);
      assert.ok(performance.now() - start >= 800, "contender must wait for its budget");
      assert.equal(holder.isHeld, true);
      assert.equal((await holder.inspect())?.nonce, nonce);
      await sleep(Math.max(0, holdUntil - performance.now()));
      assert.equal(holder.isHeld, true);
      assert.equal((await holder.inspect())?.nonce, nonce);
    } finally {
      await holder.release();
    }
    assert.equal(await holder.inspect(), null);
  });

  test("the heartbeat refreshes acquiredAt with an atomic rewrite", async () => {
    const dir = freshDir();
    const lock = new FileLock(dir, { ttlMs: 300 });
    await lock.acquire();
    try {
      const first = await lock.inspect();
      await sleep(500);
      const second = await lock.inspect();
      assert.ok(first && second);
      assert.equal(second.nonce, first.nonce);
      assert.ok(Date.parse(second.acquiredAt) > Date.parse(first.acquiredAt), `${second.acquiredAt} > ${first.acquiredAt}`);
      // No temp files left behind by the rewrites.
      assert.deepEqual(await readdir(dir), [DEFAULT_LOCK_KEY]);
    } finally {
      await lock.release();
    }
  });

  test("a fenced-out holder self-revokes and its release leaves the successor's lock alone", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    const lock = new FileLock(dir, { ttlMs: 300 });
    await lock.acquire();
    const successor: LockInfo = {
      holder: "next@host",
      hostname: hostname(),
      pid: process.pid,
      acquiredAt: new Date().toISOString(),
      ttlMs: 30_000,
      nonce: "successor",
    };
    await writeLock(path, { ...successor });
    await sleep(500); // several heartbeats
    assert.equal(lock.isHeld, false, "heartbeat must notice the nonce change");
    assert.equal((await readInfo(path)).nonce, "successor", "heartbeat must not overwrite the successor");
    await lock.release();
    assert.equal((await readInfo(path)).nonce, "successor", "release must not delete the successor's lock");
  });

  test("release checks the nonce even before any heartbeat noticed the takeover", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    const lock = new FileLock(dir); // 30 s TTL: no heartbeat during this test
    await lock.acquire();
    await writeLock(path, {
      holder: "next@host",
      hostname: hostname(),
      pid: process.pid,
      acquiredAt: new Date().toISOString(),
      ttlMs: 30_000,
      nonce: "successor",
    });
    await lock.release();
    assert.equal((await readInfo(path)).nonce, "successor");
  });

  test("release during heartbeats never leaves the lock file behind", async () => {
    const dir = freshDir();
    for (let i = 0; i < 10; i++) {
      const lock = new FileLock(dir, { ttlMs: 15 }); // heartbeat every 5 ms
      await lock.acquire();
      await sleep(20 + (i % 4) * 3);
      await lock.release();
      await sleep(30);
      assert.equal(await lock.inspect(), null, `iteration ${i}: lock file re-created after release`);
    }
  });

  test("an unparseable lock is not deleted while fresh, but is taken once older than the TTL", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    await writeLock(path, { broken: true });
    await writeFile(path, "{ not json");
    const lock = new FileLock(dir, { maxWaitMs: 300, ttlMs: 5_000 });
    assert.equal(await lock.inspect(), null);
    await assert.rejects(lock.acquire(), isLockTimeout);
    assert.equal(await readFile(path, "utf8"), "{ not json");

    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await lock.acquire();
    assert.notEqual(await lock.inspect(), null);
    await lock.release();
  });

  test("an empty lock file inspects as null", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    await writeLock(path, {});
    await writeFile(path, "");
    assert.equal(await new FileLock(dir).inspect(), null);
  });

  test("forceRelease compares nonces and matches legacy bodies without one", async () => {
    const dir = freshDir();
    const path = join(dir, DEFAULT_LOCK_KEY);
    const lock = new FileLock(dir);
    assert.equal(await lock.forceRelease("anything"), false);
    await writeLock(path, { holder: "old@host", pid: 1, acquiredAt: new Date().toISOString(), ttlMs: 30_000 });
    assert.equal((await lock.inspect())?.hostname, "host", "legacy hostname derived from holder");
    assert.equal(await lock.forceRelease("some-nonce"), false);
    assert.equal(await lock.forceRelease(undefined as unknown as string), true);
    assert.equal(await lock.inspect(), null);
  });

  test("a waiter acquires promptly after the holder releases", async () => {
    const dir = freshDir();
    const holder = new FileLock(dir);
    await holder.acquire();
    const waiter = new FileLock(dir, { maxWaitMs: 10_000 });
    const start = performance.now();
    const pending = waiter.acquire();
    setTimeout(() => void holder.release(), 150);
    await pending;
    assert.ok(performance.now() - start < 5_000);
    await waiter.release();
  });

  test("onWait is reported once per acquire with the holder", async () => {
    const dir = freshDir();
    const holder = new FileLock(dir);
    await holder.acquire();
    try {
      const events: Array<LockInfo | null> = [];
      const waiter = new FileLock(dir, { maxWaitMs: 400, onWait: (e) => events.push(e.holder) });
      await assert.rejects(waiter.acquire(), isLockTimeout);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.pid, process.pid);
    } finally {
      await holder.release();
    }
  });
});

describe("FileLock edge cases", () => {
  test("a directory in the lock's place is never removed; acquire backs off and times out", async () => {
    const dir = join(root, "dir-in-the-way");
    await mkdir(join(dir, DEFAULT_LOCK_KEY), { recursive: true });
    const lock = new FileLock(dir, { maxWaitMs: 300 });
    assert.equal(await lock.inspect(), null);
    await assert.rejects(lock.acquire(), (err: unknown) => (err as { code?: unknown }).code === "lock_timeout");
    assert.ok((await stat(join(dir, DEFAULT_LOCK_KEY))).isDirectory());
  });

  test("maxWaitMs 0 still makes one attempt", async () => {
    const dir = join(root, "zero-wait");
    const lock = new FileLock(dir, { maxWaitMs: 0 });
    await lock.acquire();
    const other = new FileLock(dir, { maxWaitMs: 0 });
    await assert.rejects(other.acquire(), (err: unknown) => (err as { code?: unknown }).code === "lock_timeout");
    await lock.release();
  });
});
