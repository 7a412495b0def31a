/**
 * The log file of one method run (`outputs/…/<id>-<startedAt>.log`): every line the method
 * logs, timestamped and redacted. It is capped (`SWAMP_RUN_LOG_MAX_BYTES`, default 10 MiB):
 * past the cap one note says so and further lines go only to the live output. A write failure
 * (a full disk, say) never escapes as a stream error: the log stops, remembers the failure as a
 * SwampError and reports it once through `onFailure`.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { MethodLogger } from "../contract/ports/model-type.js";
import type { Env } from "../runtime/env-path.js";
import { fsWriteError } from "../runtime/fs-errors.js";
import { redactLines, type Redactor } from "../runtime/redact.js";

export const DEFAULT_RUN_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const RUN_LOG_MAX_ENV = "SWAMP_RUN_LOG_MAX_BYTES";

/** `SWAMP_RUN_LOG_MAX_BYTES` when it is a positive integer, else 10 MiB. */
export function runLogMaxBytes(env: Env): number {
  const raw = env[RUN_LOG_MAX_ENV]?.trim();
  if (raw && /^\d+$/.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  return DEFAULT_RUN_LOG_MAX_BYTES;
}

export interface RunLogOptions {
  maxBytes: number;
  /** Live output of the method (already redacted; one line or several joined by "\n"); not capped. */
  onOutput?(text: string, stream: "stdout" | "stderr"): void;
  /** Called once when the file cannot be written (the error is already mapped). */
  onFailure?(err: unknown): void;
}

/** Lines are gathered and written to the file in batches of about this many characters. */
const BATCH_CHARS = 64 * 1024;

export class RunLog implements MethodLogger {
  private fd: number | null = null;
  private bytes = 0;
  private capped = false;
  private failure: unknown = null;
  private pending: string[] = [];
  private pendingChars = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private stampMs = -1;
  private stamp = "";

  constructor(
    private readonly path: string,
    private readonly redactor: Redactor,
    private readonly options: RunLogOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.fd = openSync(path, "a", 0o600);
    } catch (err) {
      // Reported like a later write failure: the caller's handler runs once the constructor returned.
      queueMicrotask(() => this.fail(err));
    }
  }

  /** The write failure, if the log could not be written. */
  get failed(): unknown {
    return this.failure;
  }

  /** True once the cap was reached. */
  get truncated(): boolean {
    return this.capped;
  }

  private fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = fsWriteError(err, this.path);
    this.pending = [];
    this.pendingChars = 0;
    this.closeFile();
    this.options.onFailure?.(this.failure);
  }

  /** The current time as ISO text; one Date per millisecond however many lines arrive in it. */
  private now(): string {
    const ms = Date.now();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = new Date(ms).toISOString();
    }
    return this.stamp;
  }

  private queue(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= BATCH_CHARS) this.flush();
    else if (this.scheduled === null) this.scheduled = setImmediate(() => this.flush());
  }

  /** Writes the gathered lines (synchronously, so memory stays bounded by one batch). */
  private flush(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.pending.length === 0 || this.fd === null) return;
    const bytes = Buffer.from(this.pending.join(""), "utf8");
    this.pending = [];
    this.pendingChars = 0;
    try {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
    } catch (err) {
      this.fail(err);
    }
  }

  private append(level: string, text: string): void {
    if (this.failure !== null || this.capped) return;
    const line = `${this.now()} ${level} ${text}\n`;
    const size = Buffer.byteLength(line, "utf8");
    if (this.bytes + size > this.options.maxBytes) {
      this.capped = true;
      this.queue(`${this.now()} WARN run log truncated: it reached ${this.options.maxBytes} bytes (${RUN_LOG_MAX_ENV}); later lines are not in this file\n`);
      return;
    }
    this.bytes += size;
    this.queue(line);
  }

  private write(line: string, stream: "stdout" | "stderr", level: string): void {
    const text = this.redactor.redact(line);
    this.append(level, text);
    this.options.onOutput?.(text, stream);
  }

  /**
   * Lines joined by "\n", as if each were logged alone: each line is redacted on its own and
   * timestamped in the file (until the cap); live output gets the block in one call.
   */
  output(block: string, stream: "stdout" | "stderr"): void {
    const text = redactLines(this.redactor, block);
    if (this.failure === null && !this.capped) {
      const level = stream === "stdout" ? "INFO" : "WARN";
      for (const line of text.split("\n")) this.append(level, line);
    }
    this.options.onOutput?.(text, stream);
  }

  debug(message: string): void {
    this.append("DEBUG", this.redactor.redact(message));
  }
  info(message: string): void {
    this.write(message, "stdout", "INFO");
  }
  warn(message: string): void {
    this.write(message, "stderr", "WARN");
  }
  error(message: string): void {
    this.write(message, "stderr", "ERROR");
  }

  private closeFile(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // nothing left to save
    }
  }

  /** Writes what is gathered and closes the file; resolves whether or not the writes succeeded. */
  close(): Promise<void> {
    this.flush();
    this.closeFile();
    return Promise.resolve();
  }
}
