/**
 * The one retry loop: attempts, backoff with jitter, which failures retry, the time left,
 * the error given up with, and an abort signal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, retry, sleep, TryAgain } from "../../../kernel/contract/retry.js";

test("backoffDelay: exponential from the base, capped, jittered", () => {
  const mid = () => 0.5;
  assert.equal(backoffDelay(0, { baseMs: 100 }, mid), 100);
  assert.equal(backoffDelay(3, { baseMs: 100 }, mid), 800);
  assert.equal(backoffDelay(30, { baseMs: 100, maxMs: 1000 }, mid), 1000);
  assert.equal(backoffDelay(2, { baseMs: 200, factor: 3 }, mid), 1800);
  assert.equal(backoffDelay(5, { baseMs: 50, factor: 1, jitter: "none" }), 50);
  assert.equal(backoffDelay(0, { baseMs: 500, maxMs: 100, jitter: "none" }), 500, "the cap never goes below the base");
  assert.equal(backoffDelay(1_000, { baseMs: 1, maxMs: 10, jitter: "none" }), 10, "huge steps stay finite");
  for (let i = 0; i < 200; i++) {
    const spread = backoffDelay(2, { baseMs: 100 });
    assert.ok(spread >= 300 && spread < 500, String(spread));
    const full = backoffDelay(2, { baseMs: 100, jitter: "full" });
    assert.ok(full >= 0 && full < 400, String(full));
  }
});

test("retry: retryable failures are tried again up to the attempts; others are thrown at once", async () => {
  const seen: number[] = [];
  const flaky = new Error("flaky");
  const value = await retry(async (n) => {
    seen.push(n);
    if (n < 2) throw flaky;
    return "ok";
  }, { attempts: 4, baseMs: 1, retryable: (e) => e === flaky });
  assert.equal(value, "ok");
  assert.deepEqual(seen, [0, 1, 2]);

  let calls = 0;
  await assert.rejects(retry(async () => {
    calls++;
    throw flaky;
  }, { attempts: 3, baseMs: 1, retryable: () => true }), (e) => e === flaky);
  assert.equal(calls, 3, "the last failure is thrown once the attempts are spent");

  calls = 0;
  const fatal = new Error("fatal");
  await assert.rejects(retry(async () => {
    calls++;
    throw fatal;
  }, { attempts: 5, baseMs: 1, retryable: (e) => e === flaky, giveUp: () => new Error("not used") }), (e) => e === fatal);
  assert.equal(calls, 1);
});

test("retry: TryAgain retries within the time left, no sleep goes past it, giveUp names the last reason", async () => {
  const holder = new Error("held by someone");
  let tries = 0;
  const started = performance.now();
  await assert.rejects(
    retry(async (n) => {
      tries++;
      throw new TryAgain(holder, n === 0 ? { delayMs: 0 } : {});
    }, { baseMs: 60_000, remainingMs: () => (tries < 3 ? 1 : 0), giveUp: (last) => new Error(`timed out: ${((last as TryAgain).reason as Error).message}`) }),
    /timed out: held by someone/,
  );
  assert.equal(tries, 4, "attempts go on while time is left, and one more once it is up");
  assert.ok(performance.now() - started < 30_000, "a one-minute backoff step was cut to the 1 ms left");

  await assert.rejects(retry(async () => Promise.reject(new TryAgain(holder)), { attempts: 2, baseMs: 1 }), (e) => e === holder, "a TryAgain's reason is thrown by default");

  tries = 0;
  await assert.rejects(retry(async () => {
    tries++;
    throw new TryAgain(undefined, { atMostMs: 1 });
  }, { attempts: 3, baseMs: 60_000 }), TryAgain);
  assert.equal(tries, 3, "atMostMs caps a wait (the test would sleep minutes otherwise)");
  assert.ok(performance.now() - started < 30_000);

  tries = 0;
  await assert.rejects(retry(async () => {
    tries++;
    throw new TryAgain();
  }, { baseMs: 1, remainingMs: () => 0 }), TryAgain);
  assert.equal(tries, 1, "with no time left, one attempt is still made");
});

test("retry and sleep: an abort ends the wait at once with its reason", async () => {
  const controller = new AbortController();
  const reason = new Error("cancelled");
  const started = performance.now();
  const pending = retry(async () => {
    throw new TryAgain();
  }, { baseMs: 60_000, signal: controller.signal });
  setImmediate(() => controller.abort(reason));
  await assert.rejects(pending, (e) => e === reason);
  assert.ok(performance.now() - started < 10_000);
  await assert.rejects(retry(async () => "never", { baseMs: 1, signal: controller.signal }), (e) => e === reason, "an aborted signal starts nothing");
  await assert.rejects(sleep(10, AbortSignal.abort()), (e: Error) => e.name === "AbortError");
  await sleep(1);
});
