/**
 * Progress on stderr: one line, rewritten in place, for long work (downloads, installs,
 * publishing, bundling, gc, sync, setup copies, workflow runs). The one place the CLI draws
 * progress, so every command looks the same.
 *
 * Drawn only when stderr is a terminal and the command is not in `--json` mode; otherwise every
 * call is a no-op and no progress byte reaches a pipe or a file. The line is erased when the work
 * ends, before an error is printed, and at once when Ctrl-C or SIGTERM arrives (after which it
 * stays off, so nothing is drawn over the shutdown messages).
 *
 * A small renderer rather than a library: one line with a label and a count is all we draw,
 * and the libraries that draw bars do not erase their line when a signal ends the process.
 * Loaded lazily (SwampCommand.progress()), so plain commands never load it.
 */
import { shutdownSignal } from "../kernel/runtime/shutdown.js";
import { formatBytes } from "./output.js";
import { monotonicMs } from "../kernel/runtime/clock.js";

export interface ProgressReporter {
  /**
   * A new step, replacing the previous one and drawn at once. `total` counts `unit`s when
   * known: bytes by default (shown as sizes), else a noun such as "files" or "steps".
   */
  start(label: string, total?: number, unit?: string): void;
  /**
   * Done so far in the current step, with a new total when it grew and a short detail shown
   * after the count (what is running now); redrawn at most every REDRAW_MS.
   */
  update(done: number, more?: { total?: number; detail?: string }): void;
  /** Writes lines above the progress line: it is erased first and drawn again after. */
  above(write: () => void): void;
  /** Erases the line; the next `start` draws again. */
  clear(): void;
}

export const ERASE_LINE = "\r\x1b[2K";
/** Redraws at most this often while work advances; a new step always draws at once. */
export const REDRAW_MS = 80;

const NO_PROGRESS: ProgressReporter = {
  start() {},
  update() {},
  above(write) {
    write();
  },
  clear() {},
};

class TerminalProgress implements ProgressReporter {
  private label = "";
  private total: number | undefined;
  private unit = "bytes";
  private done = 0;
  private detail = "";
  private drawn = false;
  private lastDraw = -Infinity;
  private stopped = false;
  /** A redraw scheduled for the end of the throttle window, so the last state always shows. */
  private pending: (() => void) | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number,
    private readonly schedule: Schedule,
    signal: AbortSignal,
  ) {
    const stop = () => {
      this.clear();
      this.stopped = true;
    };
    if (signal.aborted) this.stopped = true;
    else signal.addEventListener("abort", stop, { once: true });
  }

  start(label: string, total?: number, unit = "bytes"): void {
    this.label = label;
    this.total = total;
    this.unit = unit;
    this.done = 0;
    this.detail = "";
    this.draw();
  }

  update(done: number, more: { total?: number; detail?: string } = {}): void {
    this.done = done;
    if (more.total !== undefined) this.total = more.total;
    if (more.detail !== undefined) this.detail = more.detail;
    const finished = this.total !== undefined && done >= this.total;
    const wait = this.lastDraw + REDRAW_MS - this.now();
    if (finished || wait <= 0) this.draw();
    else if (this.drawn) this.pending ??= this.schedule(() => {
      this.pending = undefined;
      if (this.drawn) this.draw();
    }, wait);
  }

  above(write: () => void): void {
    const wasDrawn = this.drawn;
    this.clear();
    write();
    if (wasDrawn) this.draw();
  }

  clear(): void {
    this.cancelPending();
    if (this.drawn) this.stream.write(ERASE_LINE);
    this.drawn = false;
  }

  private cancelPending(): void {
    this.pending?.();
    this.pending = undefined;
  }

  private text(): string {
    return this.detail ? `${this.count()} · ${this.detail}` : this.count();
  }

  private count(): string {
    const { done, total } = this;
    if (this.unit === "bytes") {
      if (done === 0 && total === undefined) return this.label;
      const percent = total ? ` (${Math.min(100, Math.floor((done / total) * 100))}%)` : "";
      return `${this.label}  ${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ""}${percent}`;
    }
    if (total === undefined) return done > 0 ? `${this.label}  ${done} ${this.unit}` : this.label;
    return `${this.label}  ${done}/${total} ${this.unit}`;
  }

  private draw(): void {
    this.cancelPending();
    if (this.stopped) return;
    let text = this.text();
    const width = (this.stream.columns || 80) - 1;
    if (text.length > width) text = `${text.slice(0, Math.max(0, width - 1))}…`;
    this.stream.write(`${ERASE_LINE}${text}`);
    this.drawn = true;
    this.lastDraw = this.now();
  }
}

/** Runs `fn` after `ms`; returns its cancellation. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface ProgressOptions {
  json: boolean;
  /** The clock and timer throttling redraws (tests pass their own). */
  now?: () => number;
  schedule?: Schedule;
  /** Aborting it erases the line for good (default: the process's SIGINT/SIGTERM signal). */
  signal?: AbortSignal;
}

/** A reporter drawing on `stream` when it is a terminal and `json` is off; a no-op otherwise. */
export function createProgress(stream: NodeJS.WritableStream, options: ProgressOptions): ProgressReporter {
  const tty = stream as NodeJS.WriteStream;
  if (options.json || !tty.isTTY) return NO_PROGRESS;
  return new TerminalProgress(tty, options.now ?? monotonicMs, options.schedule ?? realSchedule, options.signal ?? shutdownSignal);
}
