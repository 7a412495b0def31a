/**
 * Composing the `log` file so that its content is exactly the sections joined by "\n" while it
 * is written line by line.
 */
import type { DataHandle, DataWriter } from "../../kernel/contract/index.js";

/**
 * One `[name]` section of the log. The header is written lazily, only once the section's joined
 * text is non-empty (a single empty line joins to "", like no output at all).
 */
export class LogSection {
  private open = false;
  private heldEmpty = false;

  constructor(private readonly header: string) {}

  /** The lines to append to the log for these output lines (header included when it opens). */
  feed(lines: string[]): string[] {
    if (this.open || lines.length === 0) return lines;
    const all = this.heldEmpty ? ["", ...lines] : lines;
    if (all.length === 1 && all[0] === "") {
      this.heldEmpty = true;
      return [];
    }
    this.open = true;
    this.heldEmpty = false;
    return [this.header, ...all];
  }
}

/**
 * Writes lines to a DataWriter so that the content is the lines joined by "\n" with no
 * trailing newline: every line but the last goes through `writeLine` (batched per call), the
 * last one is written by `writeText` at the end, which appends it and finalizes.
 */
export class JoinedLineWriter {
  private held: string | null = null;

  constructor(private readonly writer: DataWriter) {}

  get started(): boolean {
    return this.held !== null;
  }

  async push(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const last = lines[lines.length - 1] as string;
    const batch = lines.slice(0, -1);
    if (this.held !== null) batch.unshift(this.held);
    this.held = last;
    if (batch.length > 0) await this.writer.writeLine(batch.join("\n"));
  }

  /** Commits the content (an empty file when nothing was pushed). */
  finish(): Promise<DataHandle> {
    if (this.held === null) return this.writer.writeAll(new Uint8Array(0));
    const last = this.held;
    this.held = null;
    return this.writer.writeText(last);
  }
}

/**
 * Lets a few writes run while the next output is read (the pipe keeps flowing while the disk
 * works), and waits once `limit` are in flight, so memory stays bounded. The first failed write
 * is reported to `onFailure` at once (the caller stops the command) and thrown by `drain`.
 */
export class WriteWindow {
  private readonly inflight: Promise<void>[] = [];
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly onFailure: (error: unknown) => void,
    private readonly limit = 4,
  ) {}

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  async add(write: Promise<void>): Promise<void> {
    this.throwIfFailed();
    const tracked = write.catch((error: unknown) => {
      if (this.failure) return;
      this.failure = { error };
      this.onFailure(error);
    });
    this.inflight.push(tracked);
    if (this.inflight.length >= this.limit) await this.inflight.shift();
    this.throwIfFailed();
  }

  /** Waits for every write; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inflight.splice(0));
    this.throwIfFailed();
  }
}
