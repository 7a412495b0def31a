import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_RUN_LOG_MAX_BYTES, RunLog, runLogMaxBytes } from "../../../kernel/models/run-log.js";
import { Redactor } from "../../../kernel/runtime/redact.js";

test("run log cap: lines past SWAMP_RUN_LOG_MAX_BYTES are dropped after one note; live output keeps everything", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-runlog-"));
  try {
    const path = join(dir, "run.log");
    const live: string[] = [];
    const log = new RunLog(path, new Redactor(), { maxBytes: 1000, onOutput: (line) => live.push(line) });
    for (let i = 0; i < 200; i++) log.info(`line ${i} ${"x".repeat(40)}`);
    await log.close();
    const text = await readFile(path, "utf8");
    const lines = text.trimEnd().split("\n");
    const note = lines.pop() as string;
    assert.match(note, /run log truncated: it reached 1000 bytes \(SWAMP_RUN_LOG_MAX_BYTES\)/);
    assert.ok(Buffer.byteLength(lines.join("\n") + "\n") <= 1000, "the lines before the note fit the cap");
    assert.ok(lines.length > 5 && lines.length < 200);
    assert.match(lines[0] as string, / INFO line 0 x+$/);
    assert.equal(text.match(/truncated/g)?.length, 1, "one note only");
    assert.equal(log.truncated, true);
    assert.equal(live.length, 200, "the terminal still sees every line");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("run log under the cap: no note", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-runlog-"));
  try {
    const path = join(dir, "run.log");
    const log = new RunLog(path, new Redactor(), { maxBytes: 10_000 });
    log.info("hello");
    log.warn("careful");
    await log.close();
    const text = await readFile(path, "utf8");
    assert.doesNotMatch(text, /truncated/);
    assert.equal(text.trimEnd().split("\n").length, 2);
    assert.equal(log.truncated, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("runLogMaxBytes: env value when a positive integer, else 10 MiB", () => {
  assert.equal(runLogMaxBytes({}), DEFAULT_RUN_LOG_MAX_BYTES);
  assert.equal(DEFAULT_RUN_LOG_MAX_BYTES, 10 * 1024 * 1024);
  assert.equal(runLogMaxBytes({ SWAMP_RUN_LOG_MAX_BYTES: "4096" }), 4096);
  assert.equal(runLogMaxBytes({ SWAMP_RUN_LOG_MAX_BYTES: "0" }), DEFAULT_RUN_LOG_MAX_BYTES);
  assert.equal(runLogMaxBytes({ SWAMP_RUN_LOG_MAX_BYTES: "lots" }), DEFAULT_RUN_LOG_MAX_BYTES);
});

test("a run log that cannot be written reports one mapped failure and never throws", async () => {
  const failures: unknown[] = [];
  const log = new RunLog("/dev/full", new Redactor(), { maxBytes: 1 << 20, onFailure: (err) => failures.push(err) });
  for (let i = 0; i < 50; i++) log.info(`line ${i}`);
  await log.close();
  assert.equal(failures.length, 1);
  assert.equal((failures[0] as { code: string }).code, "disk_full");
  assert.equal((log.failed as { code: string }).code, "disk_full");
});

test("run log: lines reach the file by the next turn of the event loop, before close", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-runlog-"));
  try {
    const path = join(dir, "run.log");
    const log = new RunLog(path, new Redactor(), { maxBytes: 1 << 20 });
    for (let i = 0; i < 3000; i++) log.info(`line ${i}`);
    await new Promise((r) => setImmediate(r));
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    assert.equal(lines.length, 3000, "every line is on disk while the log is still open");
    assert.match(lines[2999] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO line 2999$/);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("run log output(): a block of lines is timestamped line by line, live output gets it in one call, redaction as per line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-runlog-"));
  try {
    const path = join(dir, "run.log");
    const live: Array<[string, string]> = [];
    const redactor = new Redactor();
    redactor.register("s3cr3t");
    redactor.register("two\nlines");
    const log = new RunLog(path, redactor, { maxBytes: 10_000, onOutput: (text, stream) => live.push([text, stream]) });
    log.output("one\ntwo s3cr3t\nthree", "stdout");
    log.output("two\nlines", "stderr");
    log.output("", "stdout");
    await log.close();
    const entries = (await readFile(path, "utf8")).split("\n").slice(0, -1).map((l) => l.replace(/^\S+ /, ""));
    // A multi-line secret is redacted line by line, as when each line is logged alone ("two" is
    // too short to be one of its registered lines).
    assert.deepEqual(entries, ["INFO one", "INFO two ***", "INFO three", "WARN two", "WARN ***", "INFO "]);
    assert.deepEqual(live, [
      ["one\ntwo ***\nthree", "stdout"],
      ["two\n***", "stderr"],
      ["", "stdout"],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
