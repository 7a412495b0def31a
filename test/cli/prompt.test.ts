import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { askLine, confirm, willAsk, type PromptStreams } from "../../cli/prompt.js";

/** stdin/stderr pairs that are, or are not, terminals (only `isTTY` is looked at before asking). */
function streams(stdinTTY: boolean, stderrTTY: boolean): PromptStreams {
  return { stdin: Object.assign(new PassThrough(), { isTTY: stdinTTY }), stderr: Object.assign(new PassThrough(), { isTTY: stderrTTY }) };
}

test("who is asked: --yes never; text mode always; --json only destructive commands on a terminal", () => {
  const tty = streams(true, true);
  const piped = streams(false, false);
  assert.equal(willAsk(tty, { json: false, yes: true }), false);
  assert.equal(willAsk(tty, { json: true, yes: true, destructive: true }), false);
  assert.equal(willAsk(piped, { json: false, yes: false }), true);
  assert.equal(willAsk(tty, { json: true, yes: false }), false);
  assert.equal(willAsk(tty, { json: true, yes: false, destructive: true }), true);
  assert.equal(willAsk(piped, { json: true, yes: false, destructive: true }), false);
  // stderr redirected: nobody would see the question.
  assert.equal(willAsk(streams(true, false), { json: true, yes: false, destructive: true }), false);
});

test("off a terminal: --json proceeds, text mode refuses and names --yes", async () => {
  const piped = streams(false, false);
  assert.equal(await confirm(piped, "Delete?", { json: true, yes: false, destructive: true }), true);
  await assert.rejects(confirm(piped, "Delete?", { json: false, yes: false, what: "delete data" }), /Refusing to delete data without confirmation.*--yes/);
});

test("askLine reads one line, and null once input ends", async () => {
  const io = streams(false, false);
  const answer = askLine(io, "name? ");
  (io.stdin as PassThrough).write("typed value\n");
  assert.equal(await answer, "typed value");
  const ended = askLine(io, "name? ");
  (io.stdin as PassThrough).end();
  assert.equal(await ended, null);
});
