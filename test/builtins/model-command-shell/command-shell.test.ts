import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { model, ExecuteArgumentsSchema } from "../../../builtins/model-command-shell/index.js";
import type { DataHandle, MethodResult } from "../../../kernel/contract/index.js";
import { FakeMethodContext } from "./fake-context.js";
import type { FakeContextOptions } from "./fake-context.js";
import { alive } from "../../helpers/processes.js";

const BIG_OUTPUT = fileURLToPath(new URL("./fixtures/big-output.js", import.meta.url));
const contexts: FakeMethodContext[] = [];
after(() => contexts.forEach((c) => c.cleanup()));

function newContext(options: FakeContextOptions = {}): FakeMethodContext {
  const ctx = new FakeMethodContext(options);
  contexts.push(ctx);
  return ctx;
}

async function run(
  args: Record<string, unknown>,
  options: FakeContextOptions = {},
): Promise<{ ctx: FakeMethodContext; result: MethodResult; handles: DataHandle[] }> {
  const ctx = newContext(options);
  const method = model.methods["execute"];
  assert.ok(method);
  const result = (await method.execute(args, ctx)) ?? {};
  return { ctx, result, handles: result.dataHandles ?? [] };
}

/** Runs a command expected to fail; returns the error and the context for inspection. */
async function runFailing(
  args: Record<string, unknown>,
  options: FakeContextOptions = {},
): Promise<{ ctx: FakeMethodContext; error: Error & { code?: string } }> {
  const ctx = newContext(options);
  const method = model.methods["execute"];
  assert.ok(method);
  try {
    await method.execute(args, ctx);
  } catch (error) {
    return { ctx, error: error as Error & { code?: string } };
  }
  assert.fail("expected execute to throw");
}

function resultData(ctx: FakeMethodContext): Record<string, unknown> {
  assert.equal(ctx.resources.length, 1);
  const write = ctx.resources[0]!;
  assert.equal(write.specName, "result");
  assert.equal(write.instanceName, "result");
  return write.data;
}

function logContent(ctx: FakeMethodContext): string {
  assert.equal(ctx.writers.length, 1);
  const writer = ctx.writers[0]!;
  assert.equal(writer.specName, "log");
  assert.equal(writer.name, "log");
  assert.equal(writer.state, "finalized");
  return writer.content();
}


async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "swamp-shell-test-"));
}

test("model declares command/shell with result and log outputs", () => {
  assert.equal(model.type, "command/shell");
  assert.equal(model.version, "2026.02.09.1");
  assert.deepEqual(Object.keys(model.methods), ["execute"]);
  assert.equal(model.methods["execute"]?.kind, undefined);
  const result = model.resources?.["result"];
  assert.equal(result?.description, "Shell command execution result");
  assert.equal(result?.lifetime, "infinite");
  assert.equal(result?.garbageCollection, 10);
  assert.deepEqual(model.files?.["log"], {
    description: "Shell command output",
    contentType: "text/plain",
    lifetime: "infinite",
    garbageCollection: 10,
    streaming: true,
  });
  assert.equal(ExecuteArgumentsSchema.safeParse({ run: "" }).success, false);
  assert.equal(ExecuteArgumentsSchema.safeParse({ run: "x", timeout: 0 }).success, false);
  assert.equal(ExecuteArgumentsSchema.safeParse({ run: "x", timeout: 1.5 }).success, false);
  assert.equal(ExecuteArgumentsSchema.safeParse({ run: "x", env: { A: 1 } }).success, false);
  assert.equal(
    ExecuteArgumentsSchema.safeParse({ run: "x", workingDir: "/", timeout: 5, env: { A: "b" }, ignoreExitCode: true }).success,
    true,
  );
});

test("echo hi: result, log and live output", async () => {
  const { ctx, handles } = await run({ run: "echo hi" });
  const data = resultData(ctx);
  assert.equal(data.exitCode, 0);
  assert.equal(data.stdout, "hi");
  assert.equal(data.stderr, "");
  assert.equal(data.command, "echo hi");
  assert.equal(typeof data.durationMs, "number");
  assert.ok((data.durationMs as number) >= 0);
  assert.equal(new Date(data.executedAt as string).toISOString(), data.executedAt);
  assert.equal("stdoutTruncated" in data, false);
  assert.equal(logContent(ctx), "[stdout]\nhi");
  assert.deepEqual(ctx.lines("info"), ["hi"]);
  assert.deepEqual(ctx.lines("warn"), []);
  assert.deepEqual(
    handles.map((h) => [h.kind, h.specName, h.name]),
    [
      ["resource", "result", "result"],
      ["file", "log", "log"],
    ],
  );
  ctx.cleanup();
});

test("stdout and stderr: log sections, captured text, logger levels", async () => {
  const { ctx } = await run({ run: "echo out1; echo err1 >&2; echo out2; echo err2 >&2" });
  const data = resultData(ctx);
  assert.equal(data.stdout, "out1\nout2");
  assert.equal(data.stderr, "err1\nerr2");
  assert.equal(logContent(ctx), "[stdout]\nout1\nout2\n[stderr]\nerr1\nerr2");
  assert.deepEqual(ctx.lines("info"), ["out1", "out2"]);
  assert.deepEqual(ctx.lines("warn"), ["err1", "err2"]);
  ctx.cleanup();
});

test("stderr only, no output, and newline handling", async () => {
  let { ctx } = await run({ run: "echo oops >&2" });
  assert.equal(logContent(ctx), "[stderr]\noops");
  assert.equal(resultData(ctx).stdout, "");
  ctx.cleanup();

  ({ ctx } = await run({ run: "true" }));
  assert.equal(logContent(ctx), "");
  assert.deepEqual([resultData(ctx).stdout, resultData(ctx).stderr], ["", ""]);
  ctx.cleanup();

  ({ ctx } = await run({ run: "echo" }));
  assert.equal(resultData(ctx).stdout, "");
  assert.equal(logContent(ctx), "");
  ctx.cleanup();

  ({ ctx } = await run({ run: "printf 'a\\n\\n'" }));
  assert.equal(resultData(ctx).stdout, "a\n");
  assert.equal(logContent(ctx), "[stdout]\na\n");
  ctx.cleanup();

  ({ ctx } = await run({ run: "printf 'x\\r\\ny'" }));
  assert.equal(resultData(ctx).stdout, "x\ny");
  ctx.cleanup();

  ({ ctx } = await run({ run: "printf '\\n\\nz\\n'" }));
  assert.equal(resultData(ctx).stdout, "\n\nz");
  assert.equal(logContent(ctx), "[stdout]\n\n\nz");
  ctx.cleanup();

  ({ ctx } = await run({ run: "printf 'h\\303\\251llo \\342\\202\\254\\n'" }));
  assert.equal(resultData(ctx).stdout, "héllo €");
  ctx.cleanup();
});

test("failing command throws command_failed and writes no data", async () => {
  const { ctx, error } = await runFailing({ run: "echo partial; echo bad >&2; exit 3" });
  assert.equal(error.code, "command_failed");
  assert.equal(error.message, "Command exited with code 3");
  assert.equal(ctx.resources.length, 0);
  const writer = ctx.writers[0]!;
  assert.equal(writer.state, "aborted");
  assert.equal(existsSync(writer.path), false);
  assert.deepEqual(ctx.lines("info"), ["partial"]);
  assert.deepEqual(ctx.lines("warn"), ["bad"]);
  ctx.cleanup();
});

test("output reaches the logger while the command still runs", async () => {
  const ctx = newContext();
  const t0 = performance.now();
  await model.methods["execute"]!.execute({ run: "echo first; sleep 1; echo second" }, ctx);
  const done = performance.now();
  const first = ctx.logs.find((l) => l.message === "first");
  assert.ok(first);
  assert.ok(done - first.at > 600, `first line logged ${(first.at - t0).toFixed(0)}ms in, run took ${(done - t0).toFixed(0)}ms`);
  ctx.cleanup();
});

test("a failing log writer stops the command and fails the run", async () => {
  const started = Date.now();
  const { ctx, error } = await runFailing(
    { run: "for i in 1 2 3; do echo line$i; sleep 0.2; done; sleep 30" },
    { failWriteLineAt: 1 },
  );
  assert.equal(error.message, "disk full (fake)");
  assert.ok(Date.now() - started < 5000, "the command was not stopped");
  assert.equal(ctx.resources.length, 0);
  assert.equal(ctx.writers[0]?.state, "aborted");
  ctx.cleanup();
});

test("ignoreExitCode writes the result with the exit code", async () => {
  const { ctx, handles } = await run({ run: "echo done; exit 3", ignoreExitCode: true });
  assert.equal(resultData(ctx).exitCode, 3);
  assert.equal(resultData(ctx).stdout, "done");
  assert.equal(logContent(ctx), "[stdout]\ndone");
  assert.equal(handles.length, 2);
  ctx.cleanup();
});

test("a command killed by a signal reports 128 + signal", async () => {
  const { ctx } = await run({ run: "kill -9 $$", ignoreExitCode: true });
  assert.equal(resultData(ctx).exitCode, 137);
  ctx.cleanup();
});

test("timeout kills the process group, grandchildren included", async () => {
  const dir = tempDir();
  const pidFile = join(dir, "sleep.pid");
  const started = Date.now();
  const { ctx, error } = await runFailing({ run: `sleep 30 & echo $! > '${pidFile}'; wait`, timeout: 300 });
  const elapsed = Date.now() - started;
  assert.equal(error.code, "command_timeout");
  assert.equal(error.message, "Command timed out after 300ms");
  assert.ok(elapsed < 4000, `took ${elapsed}ms`);
  assert.equal(ctx.resources.length, 0);
  assert.equal(ctx.writers[0]?.state === "finalized", false);
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  assert.ok(pid > 0);
  assert.equal(await waitGone(pid), true, `sleep ${pid} still running`);
  ctx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("timeout with ignoreExitCode records exitCode -1 and the message", async () => {
  const { ctx } = await run({ run: "echo before; sleep 30", timeout: 200, ignoreExitCode: true });
  const data = resultData(ctx);
  assert.equal(data.exitCode, -1);
  assert.equal(data.stderr, "Command timed out after 200ms");
  assert.equal(data.stdout, "before");
  ctx.cleanup();
});

test("SIGKILL follows when the group ignores SIGTERM", { timeout: 20000 }, async () => {
  const started = Date.now();
  const { error } = await runFailing({ run: "trap '' TERM; sleep 30", timeout: 200 });
  assert.equal(error.code, "command_timeout");
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 5000 && elapsed < 12000, `took ${elapsed}ms`);
});

test("abort signal kills the process group and throws AbortError", async () => {
  const dir = tempDir();
  const pidFile = join(dir, "sleep.pid");
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const { ctx, error } = await runFailing(
    { run: `sleep 30 & echo $! > '${pidFile}'; echo started; wait` },
    { signal: controller.signal },
  );
  assert.equal(error.name, "AbortError");
  assert.equal(error.code, "cancelled");
  assert.equal(ctx.resources.length, 0);
  assert.equal(ctx.writers[0]?.state, "aborted");
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  assert.equal(await waitGone(pid), true, `sleep ${pid} still running`);
  ctx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("an already aborted signal runs nothing", async () => {
  const dir = tempDir();
  const marker = join(dir, "ran");
  const { ctx, error } = await runFailing({ run: `touch '${marker}'` }, { signal: AbortSignal.abort() });
  assert.equal(error.name, "AbortError");
  assert.equal(existsSync(marker), false);
  ctx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a background grandchild holding the pipes does not hang the run", { timeout: 20000 }, async () => {
  const started = Date.now();
  const { ctx } = await run({ run: "(sleep 8 &); echo hi" });
  const elapsed = Date.now() - started;
  assert.equal(resultData(ctx).stdout, "hi");
  assert.ok(elapsed < 7500, `took ${elapsed}ms`);
  ctx.cleanup();
});

test("workingDir sets the cwd; a missing one is a clear error", async () => {
  const dir = tempDir();
  const { ctx } = await run({ run: "pwd", workingDir: dir });
  assert.equal(resultData(ctx).stdout, realpathSync(dir));
  ctx.cleanup();

  const missing = join(dir, "nope");
  const failed = await runFailing({ run: "pwd", workingDir: missing });
  assert.equal(failed.error.code, "command_failed");
  assert.equal(failed.error.message, `Command could not be started: Working directory does not exist: ${missing}`);
  assert.equal(failed.ctx.resources.length, 0);
  failed.ctx.cleanup();

  const ignored = await run({ run: "pwd", workingDir: missing, ignoreExitCode: true });
  assert.equal(resultData(ignored.ctx).exitCode, -1);
  assert.equal(resultData(ignored.ctx).stderr, `Working directory does not exist: ${missing}`);
  ignored.ctx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("env is added to the inherited environment", async () => {
  const { ctx } = await run({ run: `printf '%s|%s' "$SWAMP_TEST_FOO" "$PATH"`, env: { SWAMP_TEST_FOO: "bar baz" } });
  assert.equal(resultData(ctx).stdout, `bar baz|${process.env.PATH}`);
  ctx.cleanup();
});

test("secret env reaches the child literally and never the command text", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "x"), "keep");
  const secret = `"; rm -rf x; echo "`;
  const runText = `printf %s "$__SWAMP_VAULT_0"`;
  const { ctx } = await run({ run: runText, workingDir: dir }, { secretEnv: { __SWAMP_VAULT_0: secret } });
  const data = resultData(ctx);
  assert.equal(data.stdout, secret);
  assert.equal(data.command, runText);
  assert.equal(JSON.stringify(data.command).includes("rm -rf"), false);
  assert.equal(existsSync(join(dir, "x")), true);
  ctx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("redact is applied to every line, the log and the command", async () => {
  const redact = (text: string) => text.replaceAll("s3cr3t", "***");
  const { ctx } = await run({ run: "echo s3cr3t; echo 'also s3cr3t' >&2" }, { redact });
  const data = resultData(ctx);
  assert.equal(data.stdout, "***");
  assert.equal(data.stderr, "also ***");
  assert.equal(data.command, "echo ***; echo 'also ***' >&2");
  assert.equal(logContent(ctx), "[stdout]\n***\n[stderr]\nalso ***");
  assert.deepEqual(ctx.lines("info"), ["***"]);
  ctx.cleanup();
});

test("captured stdout is capped at 1 MiB; the log keeps everything", async () => {
  const { ctx } = await run({ run: "head -c 3000000 /dev/zero | tr '\\0' 'a' | fold -w 1000" });
  const data = resultData(ctx);
  assert.equal(Buffer.byteLength(data.stdout as string), 1024 * 1024);
  assert.equal(data.stdoutTruncated, true);
  assert.equal("stderrTruncated" in data, false);
  const writer = ctx.writers[0]!;
  assert.equal(writer.size, "[stdout]\n".length + 3000000 + 2999);
  assert.ok(writer.writeLineCalls < 3000, `writeLine called ${writer.writeLineCalls} times`);
  ctx.cleanup();
});

test("large stderr spills to a temp file and lands after stdout in the log", async () => {
  const { ctx } = await run({ run: "echo first; head -c 2000000 /dev/zero | tr '\\0' 'e' | fold -w 100 >&2; echo last" });
  const data = resultData(ctx);
  assert.equal(data.stdout, "first\nlast");
  assert.equal(data.stderrTruncated, true);
  const content = logContent(ctx);
  assert.equal(content.length, "[stdout]\nfirst\nlast\n[stderr]\n".length + 2000000 + 19999);
  assert.ok(content.startsWith("[stdout]\nfirst\nlast\n[stderr]\neeee"));
  assert.ok(content.endsWith("eeee"));
  ctx.cleanup();
});

function bigRun(stream: "stdout" | "stderr", bytes: number) {
  const out = execFileSync(process.execPath, [BIG_OUTPUT, stream, String(bytes)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
    rssBefore: number;
    rssPeak: number;
    ms: number;
    logSize: number;
    head: string;
    tail: string;
    capturedBytes: number;
    truncated: boolean;
    logCounts: { info: number; warn: number };
  };
}

test("100 MB of stdout runs in bounded memory and the log holds every byte", { timeout: 120000 }, () => {
  const bytes = 104857600;
  const r = bigRun("stdout", bytes);
  const lines = bytes / 100;
  assert.equal(r.logSize, "[stdout]\n".length + bytes + (lines - 1));
  assert.equal(r.head, "[stdout]\naaaaaaa");
  assert.equal(r.tail, "aaaaaaaaaaaaaaaa");
  assert.equal(r.capturedBytes, 1024 * 1024);
  assert.equal(r.truncated, true);
  assert.equal(r.logCounts.info, lines);
  const growthMb = (r.rssPeak - r.rssBefore) / 1024;
  assert.ok(growthMb < 150, `peak RSS grew by ${growthMb.toFixed(1)} MB`);
});

test("50 MB of stderr runs in bounded memory too", { timeout: 120000 }, () => {
  const bytes = 52428800;
  const r = bigRun("stderr", bytes);
  assert.equal(r.logSize, "[stderr]\n".length + bytes + (bytes / 100 - 1));
  assert.equal(r.head, "[stderr]\naaaaaaa");
  assert.equal(r.truncated, true);
  assert.equal(r.logCounts.warn, bytes / 100);
  const growthMb = (r.rssPeak - r.rssBefore) / 1024;
  assert.ok(growthMb < 150, `peak RSS grew by ${growthMb.toFixed(1)} MB`);
});

test("a logger with output() gets whole blocks of lines; content and per-line redaction unchanged", async () => {
  const redact = (text: string) => text.replaceAll("s3cr3t", "***");
  const ctx = newContext({ redact });
  const blocks: Array<[string, string]> = [];
  Object.assign(ctx.logger, { output: (text: string, stream: string) => blocks.push([text, stream]) });
  const method = model.methods["execute"]!;
  await method.execute({ run: "seq 1 20000; echo 's3cr3t\r'; printf 'e1\\ne2 s3cr3t\\n' >&2; printf tail" }, ctx);
  const expected = [...Array.from({ length: 20000 }, (_, i) => String(i + 1)), "***", "tail"];
  const out = blocks.filter(([, s]) => s === "stdout").map(([t]) => t);
  assert.deepEqual(out.join("\n").split("\n"), expected);
  assert.ok(out.length < 1000, `${out.length} calls for ${expected.length} lines`);
  assert.deepEqual(blocks.filter(([, s]) => s === "stderr").map(([t]) => t).join("\n"), "e1\ne2 ***");
  assert.deepEqual(ctx.lines("info"), [], "no per-line calls when output() exists");
  const data = resultData(ctx);
  assert.equal(data.stdout, expected.join("\n"));
  assert.equal(data.stderr, "e1\ne2 ***");
  assert.equal(logContent(ctx), `[stdout]\n${expected.join("\n")}\n[stderr]\ne1\ne2 ***`);
  ctx.cleanup();
});
