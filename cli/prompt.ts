/**
 * The one place the CLI asks a person something: a yes/no confirmation, a line of text, and a
 * hidden value (a secret). Questions are written on stderr (stdout stays for the command's
 * output, JSON included) and answers read from stdin.
 *
 * Ctrl-C at a prompt ends the command as Ctrl-C anywhere does (`cancelled`, exit 130), after the
 * terminal is back in its normal mode: a prompt that turned echo off always turns it on again,
 * also when a signal ends the process while it waits.
 */
import { createInterface } from "node:readline";
import { UsageError } from "../kernel/contract/errors.js";
import { CancelledError, registerCleanup } from "../kernel/runtime/shutdown.js";

export interface PromptStreams {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
}

const isTTY = (stream: NodeJS.ReadableStream | NodeJS.WritableStream) => (stream as NodeJS.ReadStream).isTTY === true;

export interface ConfirmOptions {
  /** The command prints JSON. */
  json: boolean;
  /** `-y/--yes` (or the command's `-f/--force`): never ask. */
  yes: boolean;
  /**
   * A destructive command: under --json it still asks when a person sits at a terminal (stdin
   * and stderr both terminals). Off a terminal, --json proceeds without asking, as scripts
   * written for swamp expect.
   */
  destructive?: boolean;
  /** What the command would do, for the refusal without a terminal ("delete data"). */
  what?: string;
}

/** Whether `confirm` would ask (commands print their preview only then). */
export function willAsk(io: PromptStreams, opts: ConfirmOptions): boolean {
  if (opts.yes) return false;
  if (opts.json) return opts.destructive === true && isTTY(io.stdin) && isTTY(io.stderr);
  return true;
}

/**
 * Asks `question [y/N]`; true only for y/yes. In text mode without a terminal it refuses
 * (usage error) rather than hang on input nobody will type; `--yes` runs non-interactively.
 */
export async function confirm(io: PromptStreams, question: string, opts: ConfirmOptions): Promise<boolean> {
  if (!willAsk(io, opts)) return true;
  if (!isTTY(io.stdin)) {
    throw new UsageError(`Refusing to ${opts.what ?? "continue"} without confirmation: stdin is not a terminal. Pass --yes (-y) to proceed non-interactively.`);
  }
  const answer = await askLine(io, `${question} [y/N] `);
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
}

/** Reads one typed line (echoed, with line editing on a terminal). Null when input ends. */
export function askLine(io: PromptStreams, prompt: string): Promise<string | null> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: isTTY(io.stdin) });
  return new Promise<string | null>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      rl.close(); // gives the terminal its mode back
    };
    rl.once("close", () => settle(() => resolve(null)));
    rl.once("SIGINT", () =>
      settle(() => {
        io.stderr.write("\n");
        reject(new CancelledError("SIGINT"));
      }),
    );
    rl.question(prompt, (answer) => settle(() => resolve(answer)));
  });
}

/**
 * Reads a line from the terminal without echoing it (a secret). Enter or Ctrl-D ends it,
 * backspace removes the last character, Ctrl-C cancels.
 */
export function askHidden(io: PromptStreams, prompt: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  return new Promise((resolve, reject) => {
    // Echo goes off before the prompt shows, so nothing typed after it is ever echoed.
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    const unregister = registerCleanup(() => void stdin.setRawMode(wasRaw));
    io.stderr.write(prompt);
    stdin.setEncoding("utf8");
    let value = "";
    const done = (error: Error | null) => {
      stdin.removeListener("data", onData);
      stdin.setRawMode(wasRaw);
      unregister();
      stdin.pause();
      io.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done(null);
        if (ch === "\u0003") return done(new CancelledError("SIGINT"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}
