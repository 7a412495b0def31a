/**
 * Runs the real `swamp` in a pseudo-terminal (util-linux `script`), so stdin, stdout and stderr
 * are all a TTY, as for a person at a terminal. Resolves to everything the terminal showed and
 * the exit code.
 */
import { spawn } from "node:child_process";
import { cleanEnv, SWAMP_BIN } from "./cli.js";

export interface TerminalOptions {
  cwd?: string;
  /** Added to the cleaned environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Terminal width (default 100). */
  columns?: number;
  /** Types Ctrl-C once the output matches. */
  interruptWhen?: RegExp;
  /** Types each reply (followed by Enter) once its prompt has appeared, in order. */
  replies?: Array<[prompt: string, reply: string]>;
  timeoutMs?: number;
}

export interface TerminalResult {
  code: number;
  output: string;
}

/** `\r` then "erase the whole line": how cli/progress.ts takes its line away. */
export const ERASE_LINE = "\r\x1b[2K";

export function inTerminal(args: string[], options: TerminalOptions = {}): Promise<TerminalResult> {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, SWAMP_BIN, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: cleanEnv({ COLUMNS: String(options.columns ?? 100), ...options.env }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    let interrupted = false;
    let reply = 0;
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
      if (options.interruptWhen && !interrupted && options.interruptWhen.test(output)) {
        interrupted = true;
        child.stdin.write("\x03");
      }
      const pending = options.replies?.[reply];
      if (pending && output.includes(pending[0])) {
        reply++;
        child.stdin.write(`${pending[1]}\r`);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/**
 * The lines the terminal shows at the end: `\r` moves back to the line's start and later text
 * overwrites, `ESC[2K` erases the whole line and `ESC[K` the rest of it; colours are dropped.
 * A progress line that was erased leaves nothing behind; one that was not stays visible.
 */
export function finalScreen(output: string): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const csi = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(output.slice(i, i + 16));
    if (csi) {
      if (csi[2] === "K" && (csi[1] === "2")) line = [];
      else if (csi[2] === "K") line = line.slice(0, col);
      i += csi[0].length - 1;
    } else if (output[i] === "\r") col = 0;
    else if (output[i] === "\n") {
      lines.push(line.join("").trimEnd());
      line = [];
      col = 0;
    } else {
      while (line.length < col) line.push(" ");
      line[col++] = output[i] as string;
    }
  }
  lines.push(line.join("").trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
