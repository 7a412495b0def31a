/**
 * Holds stderr lines until the command ends (they go after stdout in the log). Small output
 * stays in memory; past `spillBytes` it moves to a private temp file, so memory stays bounded
 * however much a command writes to stderr.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineSplitter } from "../../kernel/runtime/child-process.js";

export const DEFAULT_SPILL_BYTES = 256 * 1024;

export class LineSpool {
  private lines: string[] = [];
  private bytes = 0;
  private dir: string | null = null;
  private file: FileHandle | null = null;
  private count = 0;

  constructor(private readonly spillBytes = DEFAULT_SPILL_BYTES) {}

  get lineCount(): number {
    return this.count;
  }

  async add(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    this.count += lines.length;
    if (this.file) {
      await this.file.write(lines.join("\n") + "\n");
      return;
    }
    for (const line of lines) {
      this.lines.push(line);
      this.bytes += line.length + 1;
    }
    if (this.bytes > this.spillBytes) {
      this.dir = await mkdtemp(join(tmpdir(), "swamp-shell-"));
      this.file = await open(join(this.dir, "stderr"), "wx", 0o600);
      await this.file.write(this.lines.join("\n") + "\n");
      this.lines = [];
      this.bytes = 0;
    }
  }

  /** The lines in order, in batches. */
  async *replay(): AsyncGenerator<string[]> {
    if (!this.file || !this.dir) {
      if (this.lines.length > 0) yield this.lines;
      return;
    }
    await this.file.close();
    this.file = null;
    // Lines were written verbatim: split on "\n" only, keep any "\r", never cut a line.
    const splitter = new LineSplitter({ stripCR: false, maxLineChars: Infinity });
    for await (const chunk of createReadStream(join(this.dir, "stderr"), { highWaterMark: 1 << 16 })) {
      const lines = splitter.push(chunk as Buffer);
      if (lines.length > 0) yield lines;
    }
    const rest = splitter.end();
    if (rest.length > 0) yield rest;
  }

  /** Removes the temp file (safe to call more than once). */
  async dispose(): Promise<void> {
    this.lines = [];
    if (this.file) {
      await this.file.close().catch(() => {});
      this.file = null;
    }
    if (this.dir) {
      await rm(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }
}
