/**
 * The built-in `command/shell` model type: one `execute` method that runs `sh -c <run>` and
 * stores what happened as the `result` resource and the `log` file.
 *
 * Output handling (bounded memory whatever the command prints):
 * - stdout and stderr are read as blocks of whole lines; each line is redacted
 *   (`context.redact`) and passed on as it arrives, so the host can stream it live: a block at
 *   a time to `context.logger.output` when the logger has it, else line by line to
 *   `context.logger.info` (stdout) / `context.logger.warn` (stderr).
 * - The `log` file is `[stdout]\n<stdout>` and/or `[stderr]\n<stderr>` joined by "\n" (a section
 *   only when its text is non-empty). stdout lines are appended to the writer as they arrive;
 *   stderr lines wait in a spool (memory, then a temp file) and are appended at the end.
 * - `result.stdout` / `result.stderr` are the lines joined by "\n" (one trailing newline
 *   dropped: `echo hi` gives "hi"), capped at 1 MiB each; a cut adds `stdoutTruncated: true` /
 *   `stderrTruncated: true`. The log file always holds everything.
 *
 * Failure writes no data: on a non-zero exit (without `ignoreExitCode`), a timeout, a spawn
 * error or an abort, the log writer is aborted (never finalized) and nothing is committed.
 * Hosts must discard a writer that a method left unfinalized.
 *
 * Secrets: `context.secretEnv` (e.g. `__SWAMP_VAULT_0`) goes into the child's environment
 * only; `run` already references the variables, and `command` in the result is `run` as given.
 */
import * as z from "zod";
import { stat } from "node:fs/promises";
import { SwampError } from "../../kernel/contract/errors.js";
import type { DataHandle, MethodContext, MethodLogger, MethodResult, ModelTypePlugin } from "../../kernel/contract/index.js";
import { CappedText, LineBlockSplitter, runProcess } from "../../kernel/runtime/child-process.js";
import { redactLines } from "../../kernel/runtime/redact.js";
import { JoinedLineWriter, LogSection, WriteWindow } from "./lines.js";
import { LineSpool } from "./spool.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export const COMMAND_SHELL_TYPE = "command/shell";
export const COMMAND_SHELL_VERSION = "2026.02.09.1";

/** Most bytes of stdout (and of stderr) kept in the `result` resource. */
export const CAPTURE_CAP_BYTES = 1024 * 1024;

export const ShellErrorCode = {
  commandFailed: "command_failed",
  commandTimeout: "command_timeout",
  cancelled: "cancelled",
} as const;

export const ExecuteArgumentsSchema = z.object({
  run: z.string().min(1).describe("Shell command to run (sh -c)"),
  workingDir: z.string().optional().describe("Working directory of the command"),
  timeout: z.number().int().positive().optional().describe("Timeout in milliseconds"),
  env: z.record(z.string(), z.string()).optional().describe("Environment variables added to the inherited environment"),
  ignoreExitCode: z.boolean().optional().describe("Do not fail on a non-zero exit code"),
});
export type ExecuteArguments = z.infer<typeof ExecuteArgumentsSchema>;

export const ResultSchema = z.object({
  exitCode: z.number().int(),
  executedAt: z.string(),
  command: z.string(),
  durationMs: z.number().nonnegative(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean().optional(),
  stderrTruncated: z.boolean().optional(),
});
export type ShellResult = z.infer<typeof ResultSchema>;

async function execute(rawArgs: Record<string, unknown>, context: MethodContext): Promise<MethodResult> {
  const args = ExecuteArgumentsSchema.parse(rawArgs);
  const redactOne = context.redact ? (text: string) => context.redact!(text) : (text: string) => text;
  const redact = context.redact ? (block: string) => redactLines({ redact: redactOne }, block) : redactOne;
  const output = outputOf(context.logger);
  const env: NodeJS.ProcessEnv = { ...process.env, ...args.env, ...context.secretEnv };

  const writer = context.createFileWriter("log", "log");
  const log = new JoinedLineWriter(writer);
  const stdoutSection = new LogSection("[stdout]");
  const stderrSection = new LogSection("[stderr]");
  const stdout = new CappedText(CAPTURE_CAP_BYTES);
  const stderr = new CappedText(CAPTURE_CAP_BYTES);
  const stderrSpool = new LineSpool();
  // Output is handled as blocks of whole lines (one per pipe read), never line by line: a
  // command printing millions of lines costs a call per chunk in every sink.
  const stdoutLines = new LineBlockSplitter();
  // A failed log write stops the command (its output could not be kept).
  const stop = new AbortController();
  const logWrites = new WriteWindow(() => stop.abort());
  const stderrLines = new LineBlockSplitter();

  const onStdout = async (block: string | null) => {
    if (block === null) return;
    const clean = redact(block);
    output(clean, "stdout");
    stdout.add(clean);
    await logWrites.add(log.push(stdoutSection.feed([clean])));
  };
  const onStderr = async (block: string | null) => {
    if (block === null) return;
    const clean = redact(block);
    output(clean, "stderr");
    stderr.add(clean);
    await stderrSpool.add([clean]);
  };

  const executedAt = new Date().toISOString();
  const started = monotonicMs();
  let succeeded = false;
  try {
    const outcome = await runProcess({
      file: "sh",
      args: ["-c", args.run],
      cwd: args.workingDir,
      env,
      timeoutMs: args.timeout,
      signal: context.signal ? AbortSignal.any([context.signal, stop.signal]) : stop.signal,
      onStdout: (chunk) => onStdout(stdoutLines.push(chunk)),
      onStderr: (chunk) => onStderr(stderrLines.push(chunk)),
    });
    await onStdout(stdoutLines.end());
    await onStderr(stderrLines.end());
    await logWrites.drain();
    const durationMs = Math.round(monotonicMs() - started);

    if (outcome.aborted) {
      const err = new SwampError(ShellErrorCode.cancelled, "Command cancelled");
      err.name = "AbortError";
      throw err;
    }

    let exitCode: number;
    let failure: SwampError | null = null;
    if (outcome.timedOut) {
      exitCode = -1;
      const message = `Command timed out after ${args.timeout}ms`;
      stderr.set(message);
      failure = new SwampError(ShellErrorCode.commandTimeout, message, { details: { timeoutMs: args.timeout } });
    } else if (outcome.spawnError || outcome.exitCode === null) {
      exitCode = -1;
      const message = await spawnFailureMessage(outcome.spawnError, args.workingDir);
      stderr.set(message);
      failure = new SwampError(ShellErrorCode.commandFailed, `Command could not be started: ${message}`, {
        details: { exitCode },
        cause: outcome.spawnError,
      });
    } else {
      exitCode = outcome.exitCode;
      if (exitCode !== 0) {
        failure = new SwampError(ShellErrorCode.commandFailed, `Command exited with code ${exitCode}`, {
          details: { exitCode },
        });
      }
    }
    if (failure && !args.ignoreExitCode) throw failure;

    for await (const lines of stderrSpool.replay()) await log.push(stderrSection.feed(lines));
    const logHandle = await log.finish();

    const result: ShellResult = {
      exitCode,
      executedAt,
      command: redact(args.run),
      durationMs,
      stdout: stdout.value,
      stderr: stderr.value,
    };
    if (stdout.truncated) result.stdoutTruncated = true;
    if (stderr.truncated) result.stderrTruncated = true;
    const resultHandle: DataHandle = await context.writeResource("result", "result", result);
    succeeded = true;
    return { dataHandles: [resultHandle, logHandle] };
  } finally {
    await stderrSpool.dispose();
    if (!succeeded) await writer.abort?.().catch(() => {});
  }
}

/** The logger's `output` for blocks of lines, or its `info`/`warn` per line when it has none. */
function outputOf(logger: MethodLogger): (block: string, stream: "stdout" | "stderr") => void {
  if (logger.output) return (block, stream) => logger.output!(block, stream);
  return (block, stream) => {
    for (const line of block.split("\n")) (stream === "stdout" ? logger.info(line) : logger.warn(line));
  };
}

async function spawnFailureMessage(error: Error | undefined, workingDir: string | undefined): Promise<string> {
  if (workingDir !== undefined) {
    const isDir = await stat(workingDir).then((s) => s.isDirectory(), () => false);
    if (!isDir) return `Working directory does not exist: ${workingDir}`;
  }
  return error?.message ?? "the process did not start";
}

export const model: ModelTypePlugin = {
  type: COMMAND_SHELL_TYPE,
  version: COMMAND_SHELL_VERSION,
  resources: {
    result: {
      description: "Shell command execution result",
      schema: ResultSchema,
      lifetime: "infinite",
      garbageCollection: 10,
    },
  },
  files: {
    log: {
      description: "Shell command output",
      contentType: "text/plain",
      lifetime: "infinite",
      garbageCollection: 10,
      streaming: true,
    },
  },
  methods: {
    execute: {
      description: "Run a shell command and store its exit code and output",
      arguments: ExecuteArgumentsSchema,
      execute,
    },
  },
};
