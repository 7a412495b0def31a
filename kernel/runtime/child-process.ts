/**
 * Child processes for methods and drivers (command/shell, the docker CLI): run one in its own
 * process group, feed its output to async consumers with backpressure (a slow consumer pauses
 * the pipe, so memory stays bounded), split it into lines, capture a size-capped copy.
 *
 * Stopping: a timeout or an abort sends SIGTERM to the whole group (the shell and everything
 * it started) — or the signal the abort reason names (`reason.signal`, e.g. the SIGINT the CLI
 * received) — then SIGKILL to the group after `killGraceMs`. The run only ends once the group is
 * gone, so nothing it started can write afterwards. When the main process has exited normally
 * but a background grandchild still holds the pipes, reading stops after `drainGraceMs`.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { KILL_GRACE_MS } from "./shutdown.js";

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
  spawnError?: NodeJS.ErrnoException;
}

export { KILL_GRACE_MS };
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
  let killDeadline = Infinity;
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
  const killGraceMs = options.killGraceMs ?? KILL_GRACE_MS;
  const terminate = (sig: NodeJS.Signals) => {
    signalGroup(sig);
    if (!killTimer) {
      killDeadline = Date.now() + killGraceMs;
      killTimer = setTimeout(() => signalGroup("SIGKILL"), killGraceMs);
      killTimer.unref();
    }
  };
  const timeoutTimer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          terminate("SIGTERM");
        }, options.timeoutMs)
      : undefined;
  const onAbort = () => {
    aborted = true;
    terminate(forwardedSignal(options.signal?.reason));
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
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
  if (killTimer && child.pid !== undefined) {
    // Stopped by us: the rest of the group gets what is left of the grace period, then SIGKILL.
    await groupGone(child.pid, killDeadline);
    signalGroup("SIGKILL");
    clearTimeout(killTimer);
  }

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

/** The signal an abort asks to forward (SIGINT or SIGTERM), SIGTERM when it names none. */
function forwardedSignal(reason: unknown): NodeJS.Signals {
  const sig = reason && typeof reason === "object" ? (reason as { signal?: unknown }).signal : undefined;
  return sig === "SIGINT" || sig === "SIGTERM" ? sig : "SIGTERM";
}

/**
 * Whether process group `pgid` has a live member. On Linux, /proc tells a live member from a
 * zombie (an init that never reaps would otherwise make a dead group look alive forever);
 * elsewhere a signal-0 probe of the group answers.
 */
export function groupAlive(pgid: number): boolean {
  let entries: string[] | null = null;
  try {
    entries = readdirSync("/proc");
  } catch {
    entries = null;
  }
  if (entries === null) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

/** Waits until process group `pgid` is empty or `deadline` (epoch ms) has passed. */
async function groupGone(pgid: number, deadline: number): Promise<void> {
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A partial line longer than this is emitted as a line of its own (keeps memory bounded). */
export const MAX_LINE_CHARS = 4 * 1024 * 1024;

/**
 * Splits UTF-8 chunks at "\n". A trailing "\r" is dropped from each line when `stripCR` is set
 * (so "\r\n" output reads like "\n" output). Multi-byte characters split across chunks are
 * decoded correctly.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private readonly stripCR: boolean;
  private readonly maxLineChars: number;

  constructor(options: { stripCR?: boolean; maxLineChars?: number } = {}) {
    this.stripCR = options.stripCR ?? true;
    this.maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
  }

  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    if (this.partial.length > this.maxLineChars) {
      lines.push(this.partial);
      this.partial = "";
    }
    return this.stripCR ? lines.map(dropCR) : lines;
  }

  /** The last line when the output did not end with "\n". */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest.length === 0) return [];
    return [this.stripCR ? dropCR(rest) : rest];
  }
}

/**
 * Like LineSplitter, but yields the complete lines of what arrived as one block (the lines
 * joined by "\n"), or null when no line is complete yet: a consumer that only passes lines on
 * pays per chunk, not per line. `block.split("\n")` gives exactly the lines LineSplitter yields.
 */
export class LineBlockSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private readonly maxLineChars: number;

  constructor(options: { maxLineChars?: number } = {}) {
    this.maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
  }

  push(chunk: Buffer | string): string | null {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const nl = text.lastIndexOf("\n");
    let block: string | null = null;
    if (nl >= 0) {
      block = text.slice(0, nl);
      this.partial = text.slice(nl + 1);
    } else this.partial = text;
    if (this.partial.length > this.maxLineChars) {
      block = block === null ? this.partial : `${block}\n${this.partial}`;
      this.partial = "";
    }
    return block === null ? null : dropCRs(block);
  }

  /** The last line when the output did not end with "\n". */
  end(): string | null {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return rest.length === 0 ? null : dropCRs(rest);
  }
}

/** dropCR for every line of a block. */
function dropCRs(block: string): string {
  return block.includes("\r") ? block.replace(/\r(?=\n|$)/g, "") : block;
}

function dropCR(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Lines joined by "\n", keeping at most `capBytes` UTF-8 bytes of the head. */
export class CappedText {
  private text = "";
  private bytes = 0;
  private count = 0;
  truncated = false;

  constructor(private readonly capBytes: number) {}

  add(line: string): void {
    const piece = this.count === 0 ? line : "\n" + line;
    this.count++;
    if (this.truncated) return;
    const size = Buffer.byteLength(piece, "utf8");
    if (this.bytes + size <= this.capBytes) {
      this.text += piece;
      this.bytes += size;
      return;
    }
    const room = this.capBytes - this.bytes;
    // Cutting may split a multi-byte character: drop the replacement character it decodes to.
    this.text += Buffer.from(piece, "utf8").subarray(0, room).toString("utf8").replace(/\uFFFD$/, "");
    this.bytes = this.capBytes;
    this.truncated = true;
  }

  /** Replaces the captured text (e.g. with an error message). */
  set(text: string): void {
    this.text = text;
    this.bytes = Buffer.byteLength(text, "utf8");
    this.count = 1;
    this.truncated = false;
  }

  get value(): string {
    return this.text;
  }
}
