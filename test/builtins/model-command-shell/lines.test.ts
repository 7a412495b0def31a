import { test } from "node:test";
import assert from "node:assert/strict";
import { WriteWindow } from "../../../builtins/model-command-shell/lines.js";

const deferred = () => {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

test("write window: add waits only once `limit` writes are in flight", async () => {
  const window = new WriteWindow(() => {}, 2);
  const first = deferred();
  await window.add(first.promise); // one in flight: returns at once
  let returned = false;
  const second = window.add(Promise.resolve()).then(() => (returned = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(returned, false, "the second add waits for the first write");
  first.resolve();
  await second;
  await window.drain();
});

test("write window: the first failure is reported at once, then thrown by add and drain", async () => {
  const reported: unknown[] = [];
  const window = new WriteWindow((err) => reported.push(err), 8);
  const write = deferred();
  await window.add(write.promise);
  write.reject(new Error("disk full"));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(reported.map((e) => (e as Error).message), ["disk full"], "reported without another add");
  await assert.rejects(window.add(Promise.resolve()), /disk full/);
  await assert.rejects(window.drain(), /disk full/);
  assert.equal(reported.length, 1);
});
