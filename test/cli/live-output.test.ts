import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import { LiveOutput } from "../../cli/live-output.js";

/** A stream that records each write call. */
function recorder(): Writable & { writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { writes });
}

test("live output: lines of one turn reach the stream in one write, on the next turn", async () => {
  const out = recorder();
  const err = recorder();
  const live = new LiveOutput(out, err);
  for (let i = 0; i < 1000; i++) live.line(`line ${i}`, "stdout");
  assert.equal(out.writes.length, 0, "nothing written before the turn ends");
  await nextTurn();
  assert.equal(out.writes.length, 1);
  assert.equal(out.writes[0], Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join(""));
  assert.equal(err.writes.length, 0);
});

test("live output: a batch is written once it reaches its size, and flush() writes the rest", () => {
  const out = recorder();
  const live = new LiveOutput(out, recorder(), 100);
  for (let i = 0; i < 25; i++) live.line("0123456789", "stdout");
  assert.equal(out.writes.length, 2, "two full batches of 10 lines (110 characters)");
  live.flush();
  assert.equal(out.writes.join(""), "0123456789\n".repeat(25));
  live.flush();
  assert.equal(out.writes.length, 3, "an empty flush writes nothing");
});

test("live output: switching streams writes what came before, so the order is kept", () => {
  const order: string[] = [];
  const tagged = (name: string) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        order.push(`${name}:${chunk.toString()}`);
        done();
      },
    });
  const live = new LiveOutput(tagged("out"), tagged("err"));
  live.line("a", "stdout");
  live.line("b", "stdout");
  live.line("oops", "stderr");
  live.line("c", "stdout");
  live.flush();
  assert.deepEqual(order, ["out:a\nb\n", "err:oops\n", "out:c\n"]);
});
