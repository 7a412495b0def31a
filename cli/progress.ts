/**
 * Progress on stderr: one line, rewritten in place, for long work (downloads, installs,
 * publishing). The one place the CLI draws progress, so every command looks the same.
 *
 * Drawn only when stderr is a terminal and the command is not in `--json` mode; otherwise every
 * call is a no-op and no progress byte reaches a pipe or a file. The line is erased when the work
 * ends, before an error is printed, and when Ctrl-C or SIGTERM stops the process.
 *
 * A small renderer rather than a library: one line with a label and a byte count is all we
 * draw, and the libraries that draw bars do not erase their line when a signal ends the process.
 */
import { registerCleanup } from "../kernel/runtime/shutdown.js";
import { formatBytes } from "./output.js";

export interface ProgressReporter {
  /** A new step (replacing the previous one); `total` bytes when known. */
  start(label: string, total?: number): void;
  /** Bytes done so far in the current step. */
  update(done: number): void;
  /** Erases the line; the next `start` draws again. */
  clear(): void;
}

const ERASE_LINE = "\r\x1b[2K";
/** Redraws at most this often while bytes arrive; a new step always draws at once. */
const REDRAW_MS = 80;

const NO_PROGRESS: ProgressReporter = { start() {}, update() {}, clear() {} };

class TerminalProgress implements ProgressReporter {
  private label = "";
  private total: number | undefined;
  private done = 0;
  private drawn = false;
  private lastDraw = 0;
  private unregister: (() => void) | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(label: string, total?: number): void {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.draw();
  }

  update(done: number): void {
    this.done = done;
    if (Date.now() - this.lastDraw >= REDRAW_MS || (this.total !== undefined && done >= this.total)) this.draw();
  }

  clear(): void {
    if (this.drawn) this.stream.write(ERASE_LINE);
    this.drawn = false;
    this.unregister?.();
    this.unregister = undefined;
  }

  private draw(): void {
    let text = this.label;
    if (this.done > 0 || this.total !== undefined) {
      text += `  ${formatBytes(this.done)}`;
      if (this.total) text += ` / ${formatBytes(this.total)} (${Math.min(100, Math.floor((this.done / this.total) * 100))}%)`;
    }
    const width = (this.stream.columns || 80) - 1;
    if (text.length > width) text = `${text.slice(0, Math.max(0, width - 1))}…`;
    this.stream.write(`${ERASE_LINE}${text}`);
    this.drawn = true;
    this.lastDraw = Date.now();
    // A signal exits without unwinding the command: erase the line on the way out.
    this.unregister ??= registerCleanup(() => this.clear());
  }
}

/** A reporter drawing on `stream` when it is a terminal and `json` is off; a no-op otherwise. */
export function createProgress(stream: NodeJS.WritableStream, options: { json: boolean }): ProgressReporter {
  const tty = stream as NodeJS.WriteStream;
  return !options.json && tty.isTTY ? new TerminalProgress(tty) : NO_PROGRESS;
}
