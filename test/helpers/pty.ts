/**
 * Drives a program in a real pseudo-terminal (util-linux `script`): each reply is typed once
 * its cue has appeared in what the terminal shows after the previous cue. `finalScreen` tells
 * what the terminal shows at the end, for checks that a redrawn line left nothing behind.
 */
import { spawn } from "node:child_process";
import { cleanEnv } from "./cli.js";

export type Cue = [cue: string | RegExp, reply: string];

export interface TerminalOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Terminal width (COLUMNS); the environment's when absent. */
  columns?: number;
  timeoutMs?: number;
}

/** Everything the terminal showed. */
export async function inTerminal(command: readonly string[], cues: readonly Cue[], options: TerminalOptions = {}): Promise<string> {
  return (await runInTerminal(command, cues, options)).output;
}

/** Everything the terminal showed, and the program's exit code (130 after a Ctrl-C cue, …). */
export function runInTerminal(command: readonly string[], cues: readonly Cue[], options: TerminalOptions = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const child = spawn("script", ["-q", "-f", "-e", "-c", command.map(quote).join(" "), "/dev/null"], {
      env: cleanEnv({ ...(options.columns ? { COLUMNS: String(options.columns) } : {}), ...options.env }),
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let out = "";
    let seen = 0;
    let next = 0;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      for (let step = cues[next]; step; step = cues[next]) {
        const rest = out.slice(seen);
        const at = typeof step[0] === "string" ? rest.indexOf(step[0]) : rest.search(step[0]);
        if (at < 0) break;
        seen += at + 1;
        next++;
        child.stdin.write(step[1]);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: out });
    });
  });
}

/** Ctrl-C, as typed. */
export const CTRL_C = "\x03";

/** `\r` then "erase the whole line": how cli/progress.ts takes its line away. */
export const ERASE_LINE = "\r\x1b[2K";

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
      if (csi[2] === "K") line = csi[1] === "2" ? [] : line.slice(0, col);
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
