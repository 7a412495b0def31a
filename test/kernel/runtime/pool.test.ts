/**
 * The one concurrency limiter: never more than the limit in flight, results in order, failures
 * collected or thrown, an abort stops new work.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLimiter, mapLimited, settleLimited } from "../../../kernel/runtime/pool.js";

/** A task body that records how many run at once, finishing on a later turn. */
function tracker() {
  let active = 0;
  let peak = 0;
  return {
    get peak() {
      return peak;
    },
    async run<T>(value: T): Promise<T> {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setImmediate(r));
      active--;
      return value;
    },
  };
}

test("createLimiter: at most n tasks of one limiter in flight, shared across callers", async () => {
  const t = tracker();
  const limit = createLimiter(3);
  const out = await Promise.all(Array.from({ length: 20 }, (_, i) => limit(() => t.run(i))));
  assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(t.peak, 3);
  await assert.rejects(limit(async () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await limit(() => t.run("after a failure")), "after a failure", "a failed task frees its slot");
});

test("mapLimited: results in input order, the limit held, the first failure rejects", async () => {
  const t = tracker();
  const out = await mapLimited([5, 4, 3, 2, 1, 0], 2, (n, i) => t.run(n * 10 + i));
  assert.deepEqual(out, [50, 41, 32, 23, 14, 5]);
  assert.equal(t.peak, 2);
  assert.deepEqual(await mapLimited([], 4, async () => 1), []);
  await assert.rejects(mapLimited([1, 2, 3], 2, async (n) => (n === 2 ? Promise.reject(new Error("two")) : n)), /two/);
});

test("settleLimited: every item tried, failures returned in order, an abort stops new items", async () => {
  const t = tracker();
  const seen: number[] = [];
  const failures = await settleLimited([1, 2, 3, 4, 5, 6], { limit: 3 }, async (n) => {
    await t.run(n);
    seen.push(n);
    if (n % 2 === 0) throw new Error(`even ${n}`);
  });
  assert.equal(seen.length, 6);
  assert.equal(t.peak, 3);
  assert.deepEqual(failures.map((e) => (e as Error).message), ["even 2", "even 4", "even 6"]);

  const controller = new AbortController();
  const reason = new Error("deadline");
  const started: number[] = [];
  const aborted = await settleLimited([1, 2, 3, 4, 5, 6], { limit: 2, signal: controller.signal }, async (n) => {
    started.push(n);
    if (n === 2) controller.abort(reason);
    await t.run(n);
  });
  assert.deepEqual(started, [1, 2], "nothing starts after the abort");
  assert.deepEqual(aborted, [reason]);

  const done = new AbortController();
  const all = await settleLimited([1], { limit: 1, signal: done.signal }, async () => done.abort(new Error("late")));
  assert.deepEqual(all, [], "an abort after the last item leaves nothing undone");
});
