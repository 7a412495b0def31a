/**
 * The sdk's runtime helpers: lock bodies, expiry, the polling lock (against the lock
 * conformance and contention suites), and the secret-key rules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import {
  assertSecretKey,
  createLockInfo,
  createPollingLock,
  isLockExpired,
  secretKeyProblem,
  secretNotFoundError,
  type LockInfo,
  type LockStore,
} from "../../sdk/index.js";
import { assertLockConformance, assertLockContention } from "../../sdk/testing/index.js";

/** One in-memory backend holding every key; `create` is atomic by construction. */
function memoryBackend(): { storeFor(key: string): LockStore & { updates: number }; locks: Map<string, LockInfo> } {
  const locks = new Map<string, LockInfo>();
  return {
    locks,
    storeFor(key) {
      const store = {
        updates: 0,
        async create(info: LockInfo) {
          if (locks.has(key)) return false;
          locks.set(key, { ...info });
          return true;
        },
        async read() {
          const info = locks.get(key);
          return info ? { ...info } : null;
        },
        async update(info: LockInfo & { nonce: string }) {
          if (locks.get(key)?.nonce !== info.nonce) return false;
          store.updates++;
          locks.set(key, { ...info });
          return true;
        },
        async remove(nonce: string | undefined) {
          if (locks.get(key)?.nonce !== nonce) return false;
          locks.delete(key);
          return true;
        },
      };
      return store;
    },
  };
}

test("createLockInfo describes this process with a fresh nonce", () => {
  const a = createLockInfo({ ttlMs: 5_000 });
  const b = createLockInfo();
  assert.equal(a.pid, process.pid);
  assert.equal(a.hostname, hostname());
  assert.match(a.holder, new RegExp(`@${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
  assert.equal(a.ttlMs, 5_000);
  assert.equal(b.ttlMs, 30_000);
  assert.notEqual(a.nonce, b.nonce);
  assert.ok(Math.abs(Date.parse(a.acquiredAt) - Date.now()) < 5_000);
  assert.equal(createLockInfo({ holder: "ci@runner", nonce: "n" }).holder, "ci@runner");
});

test("isLockExpired: TTL since the last heartbeat; an unreadable time counts as expired", () => {
  const now = Date.parse("2026-01-01T00:00:10.000Z");
  const info = { holder: "h", hostname: "x", pid: 1, acquiredAt: "2026-01-01T00:00:00.000Z", ttlMs: 5_000 };
  assert.equal(isLockExpired(info, now), true);
  assert.equal(isLockExpired({ ...info, ttlMs: 20_000 }, now), false);
  assert.equal(isLockExpired({ ...info, acquiredAt: "yesterday-ish" }, now), true);
});

test("createPollingLock passes the lock conformance and contention suites", async () => {
  const backend = memoryBackend();
  await assertLockConformance(createPollingLock(backend.storeFor("conformance.lock"), { lockKey: "conformance.lock" }));
  await assertLockContention((options) => createPollingLock(backend.storeFor(options.lockKey ?? "default"), { retryIntervalMs: 50, ...options }));
  assert.equal(backend.locks.size, 0, "every lock was released");
});

test("createPollingLock: heartbeat extends acquiredAt; a fenced-out holder stops beating and keeps the successor's lock", async () => {
  const backend = memoryBackend();
  const store = backend.storeFor("hb.lock");
  const lock = createPollingLock(store, { lockKey: "hb.lock", ttlMs: 300, heartbeatIntervalMs: 40 });
  await lock.acquire();
  const first = await lock.inspect();
  assert.ok(first);
  let later = first;
  for (const deadline = Date.now() + 5_000; Date.now() < deadline && (store.updates < 2 || later.acquiredAt === first.acquiredAt); ) {
    await new Promise((r) => setTimeout(r, 20));
    later = (await lock.inspect()) ?? later;
  }
  assert.ok(Date.parse(later.acquiredAt) > Date.parse(first.acquiredAt), "acquiredAt moved forward");
  assert.ok(store.updates >= 2, "the heartbeat beat repeatedly");

  const successor = createPollingLock(backend.storeFor("hb.lock"), { lockKey: "hb.lock" });
  assert.equal(await successor.forceRelease(later.nonce!), true);
  await successor.acquire();
  const taken = await successor.inspect();
  const beats = store.updates;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(store.updates, beats, "the fenced-out holder's heartbeat stopped");
  await lock.release();
  assert.deepEqual(await successor.inspect(), taken, "release by the old holder left the successor's lock alone");
  await successor.release();
});

test("createPollingLock takes over an expired lock, or one its isStale rule rejects, and not a live one", async () => {
  const backend = memoryBackend();
  backend.locks.set("old.lock", { holder: "gone@elsewhere", hostname: "elsewhere", pid: 4242, acquiredAt: new Date(Date.now() - 60_000).toISOString(), ttlMs: 1_000, nonce: "old" });
  const lock = createPollingLock(backend.storeFor("old.lock"), { lockKey: "old.lock", maxWaitMs: 500 });
  await lock.acquire();
  assert.notEqual((await lock.inspect())?.nonce, "old");
  await lock.release();

  backend.locks.set("dead.lock", { ...createLockInfo({ nonce: "dead" }), pid: 99_999_999 });
  const stale = createPollingLock(backend.storeFor("dead.lock"), { lockKey: "dead.lock", maxWaitMs: 500, isStale: (info) => info.pid === 99_999_999 });
  await stale.acquire();
  await stale.release();

  backend.locks.set("live.lock", createLockInfo({ nonce: "live", holder: "someone@else" }));
  await assert.rejects(createPollingLock(backend.storeFor("live.lock"), { lockKey: "live.lock", maxWaitMs: 200, retryIntervalMs: 50 }).acquire(), (err: { code?: string; message: string }) => {
    assert.equal(err.code, "lock_timeout");
    assert.match(err.message, /live\.lock.*someone@else/);
    return true;
  });
});

test("createPollingLock takes over an expired legacy lock without a nonce, and judges a future-dated one by modifiedAt", async () => {
  const backend = memoryBackend();
  const old = new Date(Date.now() - 10 * 60_000).toISOString();
  backend.locks.set("legacy.lock", { holder: "old@box", hostname: "box", pid: 1, acquiredAt: old, ttlMs: 30_000 });
  const legacy = createPollingLock(backend.storeFor("legacy.lock"), { lockKey: "legacy.lock", maxWaitMs: 2_000, retryIntervalMs: 50 });
  await legacy.acquire();
  assert.ok((await legacy.inspect())?.nonce);
  await legacy.release();

  const future = new Date(Date.now() + 60 * 60_000).toISOString();
  assert.equal(isLockExpired({ holder: "x@y", hostname: "y", pid: 1, acquiredAt: future, ttlMs: 30_000, modifiedAt: old }), true);
  assert.equal(isLockExpired({ holder: "x@y", hostname: "y", pid: 1, acquiredAt: old, ttlMs: 30_000, modifiedAt: new Date().toISOString() }), false);
});

test("createPollingLock refuses a second acquire on the same instance", async () => {
  const lock = createPollingLock(memoryBackend().storeFor("k"), { lockKey: "k" });
  await lock.acquire();
  await assert.rejects(lock.acquire(), /already held by this lock instance/);
  await lock.release();
});

test("secret key rules and the vault errors", () => {
  for (const bad of ["", "a/b", "a\\b", "..", "x..y", "nul\0"]) assert.ok(secretKeyProblem(bad), JSON.stringify(bad));
  for (const good of ["api-token", "API_TOKEN", "a.b", "ünï", ".key", "k".repeat(200)]) assert.equal(secretKeyProblem(good), null);
  // At most 200 bytes of UTF-8, and an error quotes only a prefix of a long key.
  assert.match(secretKeyProblem("é".repeat(101)) ?? "", /202 bytes; secret keys are limited to 200 bytes/);
  assert.throws(() => assertSecretKey("dev", "k".repeat(10_000)), (err: Error) => err.message.length < 200 && /"k{40}… \(10000 bytes\)"/.test(err.message));
  assert.throws(() => assertSecretKey("dev", "../x"), { code: "vault_invalid_key", message: /Invalid secret key "..\/x" for vault 'dev'/ });
  const err = secretNotFoundError("dev", "token");
  assert.equal(err.code, "vault_secret_not_found");
  assert.equal(err.message, "Secret 'token' not found in vault 'dev'");
});
