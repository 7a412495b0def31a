/**
 * The log file of one method run (`outputs/…/<id>-<startedAt>.log`): every line the method
 * logs, timestamped and redacted. It is capped (`SWAMP_RUN_LOG_MAX_BYTES`, default 10 MiB):
 * past the cap one note says so and further lines go only to the live output. A write failure
 * (a full disk, say) never escapes as a stream error: the log stops, remembers the failure as a
 * SwampError and reports it once through `onFailure`.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { MethodLogger } from "../contract/ports/model-type.js";
import type { Env } from "../runtime/env-path.js";
import { fsWriteError } from "../runtime/fs-errors.js";
import type { Redactor } from "../runtime/redact.js";

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
  /** Live output of the method (already redacted); not capped. */
  onOutput?(line: string, stream: "stdout" | "stderr"): void;
  /** Called once when the file cannot be written (the error is already mapped). */
  onFailure?(err: unknown): void;
}

export class RunLog implements MethodLogger {
  private readonly stream: WriteStream;
  private bytes = 0;
  private capped = false;
  private failure: unknown = null;

  constructor(
    private readonly path: string,
    private readonly redactor: Redactor,
    private readonly options: RunLogOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: "a", mode: 0o600 });
    this.stream.on("error", (err) => {
      if (this.failure !== null) return;
      this.failure = fsWriteError(err, path);
      this.options.onFailure?.(this.failure);
    });
  }

  /** The write failure, if the log could not be written. */
  get failed(): unknown {
    return this.failure;
  }

  /** True once the cap was reached. */
  get truncated(): boolean {
    return this.capped;
  }

  private append(level: string, text: string): void {
    if (this.failure !== null || this.capped) return;
    const line = `${new Date().toISOString()} ${level} ${text}\n`;
    const size = Buffer.byteLength(line, "utf8");
    if (this.bytes + size > this.options.maxBytes) {
      this.capped = true;
      this.stream.write(
        `${new Date().toISOString()} WARN run log truncated: it reached ${this.options.maxBytes} bytes (${RUN_LOG_MAX_ENV}); later lines are not in this file\n`,
      );
      return;
    }
    this.bytes += size;
    this.stream.write(line);
  }

  private write(line: string, stream: "stdout" | "stderr", level: string): void {
    const text = this.redactor.redact(line);
    this.append(level, text);
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

  /** Flushes and closes the file; resolves whether or not the writes succeeded. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.destroyed) return resolve();
      this.stream.once("close", () => resolve());
      this.stream.end();
    });
  }
}
