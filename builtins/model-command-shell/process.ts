/**
 * Runs one child process in its own process group and feeds its output to async consumers
 * with backpressure (a slow consumer pauses the pipe, so memory stays bounded).
 *
 * Stopping: a timeout or an abort sends SIGTERM to the whole group (the shell and everything
 * it started), then SIGKILL after `killGraceMs`. When the main process has exited but a
 * background grandchild still holds the pipes, reading stops after `drainGraceMs`.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { Readable } from "node:stream";

export interface RunOptions {
  file: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  killGraceMs?: number;
  drainGraceMs?: number;
  onStdout(chunk: Buffer): Promise<void> | void;
  onStderr(chunk: Buffer): Promise<void> | void;
}

export interface RunOutcome {
  /** Exit status; 128 + signal number when the process died of a signal; null when it never ran. */
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  spawnError?: Error;
}

export const KILL_GRACE_MS = 5000;
export const DRAIN_GRACE_MS = 5000;

export async function runProcess(options: RunOptions): Promise<RunOutcome> {
  if (options.signal?.aborted) return { exitCode: null, timedOut: false, aborted: true };
  let child: ChildProcess;
  try {
    child = spawn(options.file, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    return { exitCode: null, timedOut: false, aborted: false, spawnError: asError(err) };
  }

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // The group is gone (or never formed): signal the child itself.
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
  };
  const terminate = () => {
    signalGroup("SIGTERM");
    if (!killTimer) {
      killTimer = setTimeout(() => signalGroup("SIGKILL"), options.killGraceMs ?? KILL_GRACE_MS);
      killTimer.unref();
    }
  };
  const timeoutTimer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          terminate();
        }, options.timeoutMs)
      : undefined;
  const onAbort = () => {
    aborted = true;
    terminate();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
  });

  let stopReading = false;
  let consumerError: unknown;
  const consume = async (stream: Readable | null, onChunk: (chunk: Buffer) => Promise<void> | void) => {
    if (!stream) return;
    try {
      for await (const chunk of stream) await onChunk(chunk as Buffer);
    } catch (err) {
      if (stopReading) return;
      if (consumerError === undefined) consumerError = err;
      signalGroup("SIGKILL");
      stream.destroy();
    }
  };
  const reading = Promise.all([consume(child.stdout, options.onStdout), consume(child.stderr, options.onStderr)]);

  const exit = await exited;
  if (timeoutTimer) clearTimeout(timeoutTimer);

  let graceTimer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<"grace">((resolve) => {
    graceTimer = setTimeout(() => resolve("grace"), options.drainGraceMs ?? DRAIN_GRACE_MS);
  });
  if ((await Promise.race([reading.then(() => "done" as const), graceOver])) === "grace") {
    // A background process kept the pipes open: stop reading what it writes.
    stopReading = true;
    child.stdout?.destroy();
    child.stderr?.destroy();
    await reading;
  }
  clearTimeout(graceTimer);
  options.signal?.removeEventListener("abort", onAbort);
  if (consumerError !== undefined) throw consumerError;

  if (exit.error) return { exitCode: null, timedOut, aborted, spawnError: exit.error };
  let exitCode = exit.code;
  if (exitCode === null && exit.signal) exitCode = 128 + (constants.signals[exit.signal] ?? 0);
  return { exitCode, timedOut, aborted };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
