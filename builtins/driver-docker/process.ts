/**
 * Runs the container CLI as a child in its own process group, splitting stdout/stderr into
 * lines as they arrive. A timeout or an abort sends SIGTERM to the group (the CLI forwards it
 * to the container with its default `--sig-proxy`), then SIGKILL after a grace period.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";

export const KILL_GRACE_MS = 5000;
export const DRAIN_GRACE_MS = 5000;

export interface CliRun {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Whole chunks of stdout (bundle mode reads a JSON document). */
  onStdoutChunk?(chunk: Buffer): void;
  onStdoutLine?(line: string): void;
  onStderrLine?(line: string): void;
}

export interface CliOutcome {
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  spawnError?: NodeJS.ErrnoException;
}

/** Splits UTF-8 chunks at "\n" (a trailing "\r" is dropped). */
export class Lines {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  push(chunk: Buffer): string[] {
    const lines = (this.partial + this.decoder.write(chunk)).split("\n");
    this.partial = lines.pop() ?? "";
    return lines.map(dropCR);
  }

  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return rest.length > 0 ? [dropCR(rest)] : [];
  }
}

function dropCR(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

export async function runCli(run: CliRun): Promise<CliOutcome> {
  if (run.signal?.aborted) return { exitCode: null, timedOut: false, aborted: true };
  let child: ChildProcess;
  try {
    child = spawn(run.file, run.args, { env: run.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    return { exitCode: null, timedOut: false, aborted: false, spawnError: err as NodeJS.ErrnoException };
  }

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
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
      killTimer = setTimeout(() => signalGroup("SIGKILL"), KILL_GRACE_MS);
      killTimer.unref();
    }
  };
  const timer =
    run.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          terminate();
        }, run.timeoutMs)
      : undefined;
  const onAbort = () => {
    aborted = true;
    terminate();
  };
  run.signal?.addEventListener("abort", onAbort, { once: true });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>(
    (resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
    },
  );

  let stopReading = false;
  const read = async (stream: Readable | null, onChunk?: (c: Buffer) => void, onLine?: (l: string) => void) => {
    if (!stream) return;
    const lines = new Lines();
    try {
      for await (const chunk of stream) {
        onChunk?.(chunk as Buffer);
        if (onLine) for (const line of lines.push(chunk as Buffer)) onLine(line);
      }
    } catch (err) {
      if (!stopReading) throw err;
    }
    if (onLine) for (const line of lines.end()) onLine(line);
  };
  const reading = Promise.all([
    read(child.stdout, run.onStdoutChunk, run.onStdoutLine),
    read(child.stderr, undefined, run.onStderrLine),
  ]);
  // A throwing callback must not leave the CLI running.
  reading.catch(() => signalGroup("SIGKILL"));

  const exit = await exited;
  if (timer) clearTimeout(timer);
  let graceTimer: NodeJS.Timeout | undefined;
  const grace = new Promise<"grace">((resolve) => {
    graceTimer = setTimeout(() => resolve("grace"), DRAIN_GRACE_MS);
  });
  try {
    if ((await Promise.race([reading.then(() => "done" as const), grace])) === "grace") {
      stopReading = true;
      child.stdout?.destroy();
      child.stderr?.destroy();
      await reading;
    }
  } finally {
    clearTimeout(graceTimer);
    run.signal?.removeEventListener("abort", onAbort);
  }

  if (exit.error) return { exitCode: null, timedOut, aborted, spawnError: exit.error };
  const bySignal = exit.signal ? 128 + (constants.signals[exit.signal] ?? 0) : null;
  return { exitCode: exit.code ?? bySignal, timedOut, aborted };
}
