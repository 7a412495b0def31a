/**
 * The one progress reporter: drawn only on a terminal outside --json, throttled, erased when
 * done, around lines written above it, and for good when the shutdown signal fires.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createProgress, ERASE_LINE, REDRAW_MS } from "../../cli/progress.js";

function fakeTerminal(isTTY = true, columns = 60) {
  const writes: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

/** A fake clock and timer: `advance` moves time and runs what came due. */
function clock() {
  let t = 1000;
  let timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => t,
    schedule: (fn: () => void, ms: number) => {
      const timer = { at: t + ms, fn };
      timers.push(timer);
      return () => (timers = timers.filter((x) => x !== timer));
    },
    get scheduled() {
      return timers.length;
    },
    advance(ms: number) {
      t += ms;
      const due = timers.filter((x) => x.at <= t);
      timers = timers.filter((x) => x.at > t);
      for (const x of due) x.fn();
    },
  };
}

test("nothing is written off a terminal or under --json", () => {
  for (const [isTTY, json] of [[false, false], [true, true], [false, true]] as const) {
    const { stream, writes } = fakeTerminal(isTTY);
    const p = createProgress(stream, { json, signal: new AbortController().signal });
    p.start("Working", 10, "items");
    p.update(5);
    let wrote = false;
    p.above(() => (wrote = true));
    p.clear();
    assert.deepEqual(writes, []);
    assert.equal(wrote, true, "lines written above still go out");
  }
});

test("redraws are throttled; a new step and the last unit draw at once", () => {
  const { stream, writes } = fakeTerminal();
  const c = clock();
  const p = createProgress(stream, { json: false, now: c.now, schedule: c.schedule, signal: new AbortController().signal });
  p.start("Collecting garbage", 100, "items");
  assert.deepEqual(writes, [`${ERASE_LINE}Collecting garbage  0/100 items`]);
  for (let i = 1; i <= 50; i++) p.update(i);
  assert.equal(writes.length, 1, "updates within REDRAW_MS are not drawn");
  assert.equal(c.scheduled, 1, "one redraw is scheduled for the end of the window");
  c.advance(REDRAW_MS);
  assert.equal(writes.at(-1), `${ERASE_LINE}Collecting garbage  50/100 items`, "the last state shows once the window ends");
  c.advance(REDRAW_MS);
  p.update(51);
  assert.equal(writes.at(-1), `${ERASE_LINE}Collecting garbage  51/100 items`);
  p.update(100);
  assert.equal(writes.at(-1), `${ERASE_LINE}Collecting garbage  100/100 items`, "the final count is always shown");
  p.update(100, { total: 120, detail: "build.compile" });
  assert.equal(writes.length, 4, "a grown total is not a reason to draw early");
  c.advance(REDRAW_MS);
  assert.equal(writes.at(-1), `${ERASE_LINE}Collecting garbage  100/120 items · build.compile`);
  p.start("Pushing");
  assert.equal(writes.at(-1), `${ERASE_LINE}Pushing`, "a new step starts without the old detail");
  assert.equal(writes.length, 6);
  p.update(3);
  p.clear();
  c.advance(REDRAW_MS);
  assert.equal(writes.at(-1), ERASE_LINE, "a cleared line is not drawn again by a scheduled redraw");
});

test("bytes are shown as sizes with a percentage; long lines are cut to the terminal width", () => {
  const { stream, writes } = fakeTerminal(true, 40);
  const c = clock();
  const p = createProgress(stream, { json: false, now: c.now, schedule: c.schedule, signal: new AbortController().signal });
  p.start("Downloading x", 2048);
  c.advance(REDRAW_MS);
  p.update(1024);
  assert.match(writes.at(-1)!, /Downloading x {2}1(\.0)?\s?KB \/ 2(\.0)?\s?KB \(50%\)$/);
  p.start(`Running ${"step-".repeat(20)}`, 3, "steps");
  const line = writes.at(-1)!.slice(ERASE_LINE.length);
  assert.equal(line.length, 39);
  assert.ok(line.endsWith("…"));
});

test("clear erases once; lines written above erase and redraw the line", () => {
  const { stream, writes } = fakeTerminal();
  const p = createProgress(stream, { json: false, signal: new AbortController().signal });
  p.clear();
  assert.deepEqual(writes, [], "nothing drawn, nothing erased");
  p.start("Workflow w: 0/2 steps", 2, "steps");
  p.above(() => stream.write("✓ step one\n"));
  assert.deepEqual(writes.slice(1), [ERASE_LINE, "✓ step one\n", `${ERASE_LINE}Workflow w: 0/2 steps  0/2 steps`]);
  p.clear();
  p.clear();
  assert.equal(writes.filter((w) => w === ERASE_LINE).length, 2);
  p.above(() => stream.write("after\n"));
  assert.equal(writes.at(-1), "after\n", "a cleared line is not drawn again by a line above it");
});

test("the shutdown signal erases the line and nothing is drawn after it", () => {
  const { stream, writes } = fakeTerminal();
  const c = clock();
  const shutdown = new AbortController();
  const p = createProgress(stream, { json: false, now: c.now, schedule: c.schedule, signal: shutdown.signal });
  p.start("Workflow w", 3, "steps");
  shutdown.abort(new Error("SIGINT"));
  assert.equal(writes.at(-1), ERASE_LINE);
  const count = writes.length;
  c.advance(REDRAW_MS * 10);
  p.update(2);
  p.start("Workflow w: cancelling", 3, "steps");
  p.above(() => stream.write("Cancelled\n"));
  assert.deepEqual(writes.slice(count), ["Cancelled\n"]);
});
