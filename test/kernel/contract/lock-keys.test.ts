/**
 * The one staleness rule every lock uses (lock waits back off through kernel/contract/retry.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isLockStale, lastSignOfLife } from "../../../kernel/contract/lock-keys.js";
import type { LockInfo } from "../../../kernel/contract/ports/datastore.js";

const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const info = (acquiredAt: number, extra: Partial<LockInfo> = {}): LockInfo => ({ holder: "u@h", hostname: "h", pid: 1, acquiredAt: iso(acquiredAt), ttlMs: 30_000, ...extra });

test("last sign of life: the newest of body time and modification time, never later than now", () => {
  assert.equal(lastSignOfLife({ acquiredAt: iso(NOW - 2 * MIN), modifiedAt: NOW - 1000 }, NOW), NOW - 1000);
  assert.equal(lastSignOfLife({ acquiredAt: iso(NOW - 1000), modifiedAt: NOW - 2 * MIN }, NOW), NOW - 2 * MIN, "a body time counts no later than its write");
  assert.equal(lastSignOfLife({ acquiredAt: iso(NOW + 60 * MIN) }, NOW), NOW, "future body time clamped to now");
  assert.equal(lastSignOfLife({ modifiedAt: NOW + MIN }, NOW), NOW, "future mtime clamped to now");
  assert.equal(lastSignOfLife({ acquiredAt: "garbage", modifiedAt: NOW - 5 }, NOW), NOW - 5);
  assert.equal(lastSignOfLife({ acquiredAt: "garbage" }, NOW), null);
});

test("a holder whose clock is 2 minutes behind but whose file is fresh is live", () => {
  assert.equal(isLockStale(info(NOW - 2 * MIN), { now: NOW, modifiedAt: NOW - 2000 }), false);
  assert.equal(isLockStale(info(NOW - 2 * MIN, { modifiedAt: iso(NOW - 2000) }), { now: NOW }), false, "modifiedAt from inspect()");
  assert.equal(isLockStale(info(NOW - 2 * MIN), { now: NOW }), true, "without a modification time only the body speaks");
});

test("a lock dated in the future is stale once its modification time is older than its TTL", () => {
  assert.equal(isLockStale(info(NOW + 60 * MIN), { now: NOW, modifiedAt: NOW - 5 * MIN }), true);
  assert.equal(isLockStale(info(NOW + 60 * MIN), { now: NOW, modifiedAt: NOW - 1000 }), false);
});

test("unreadable bodies fall back to the modification time and the default TTL; nothing readable is stale", () => {
  assert.equal(isLockStale(null, { now: NOW, modifiedAt: NOW - 10 * MIN }), true);
  assert.equal(isLockStale(null, { now: NOW, modifiedAt: NOW - 1000 }), false);
  assert.equal(isLockStale(null, { now: NOW }), true);
  assert.equal(isLockStale(info(NOW - MIN, { ttlMs: Number.NaN }), { now: NOW, modifiedAt: NOW - 1000 }), false);
});

test("a provably gone holder is stale at once; a live one is asked only when its TTL has not run out", () => {
  assert.equal(isLockStale(info(NOW), { now: NOW, modifiedAt: NOW, holderGone: () => true }), true);
  assert.equal(isLockStale(info(NOW), { now: NOW, modifiedAt: NOW, holderGone: () => false }), false);
});
