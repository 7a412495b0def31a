/**
 * A method's live output on the terminal, batched: lines are gathered and written in one call
 * per batch instead of one per line. stdout and stderr of a process are written synchronously
 * (files, pipes and terminals on POSIX), so a command printing millions of lines would
 * otherwise cost one system call per line.
 *
 * A batch is written when it reaches `maxBytes`, when the other stream gets a line (so the
 * order of stdout and stderr lines is kept), on the next turn of the event loop (output stays
 * live), and on `flush()`. Memory stays bounded by `maxBytes`.
 */
import type { Writable } from "node:stream";

export const LIVE_BATCH_BYTES = 64 * 1024;

export class LiveOutput {
  private pending: string[] = [];
  private pendingChars = 0;
  private stream: "stdout" | "stderr" = "stdout";
  private scheduled: NodeJS.Immediate | null = null;

  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
    private readonly maxBytes = LIVE_BATCH_BYTES,
  ) {}

  /** Queues one line, or several joined by "\n" (without the last newline), for `stream`. */
  readonly line = (text: string, stream: "stdout" | "stderr"): void => {
    if (stream !== this.stream) {
      this.flush();
      this.stream = stream;
    }
    this.pending.push(text);
    this.pendingChars += text.length + 1;
    if (this.pendingChars >= this.maxBytes) this.flush();
    else if (this.scheduled === null) this.scheduled = setImmediate(() => this.flush());
  };

  /** Writes whatever is queued. */
  flush(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.pending.length === 0) return;
    const text = this.pending.join("\n") + "\n";
    this.pending = [];
    this.pendingChars = 0;
    (this.stream === "stdout" ? this.stdout : this.stderr).write(text);
  }
}
