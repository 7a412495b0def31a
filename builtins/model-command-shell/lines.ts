/**
 * Line handling for process output: splitting byte chunks into lines, a size-capped capture of
 * the joined text, and composing the `log` file so that its content is exactly the sections
 * joined by "\n" while it is written line by line.
 */
import { StringDecoder } from "node:string_decoder";
import type { DataHandle, DataWriter } from "../../kernel/contract/index.js";

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
