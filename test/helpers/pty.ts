/**
 * Drives a program in a real pseudo-terminal (util-linux `script`), so it sees a TTY on stdin,
 * stdout and stderr: each reply is typed once its cue has appeared in what the terminal shows
 * after the previous cue (`\r` is the Enter key, CTRL_C Ctrl-C). `finalScreen` tells what the
 * terminal shows at the end, for checks that a redrawn line left nothing behind.
 */
import { spawn } from "node:child_process";
import { cleanEnv, SWAMP_BIN } from "./cli.js";

export type Cue = [cue: string | RegExp, reply: string];

export interface TerminalOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Terminal width: `stty cols` for a shell line, COLUMNS for one program. */
  columns?: number;
  timeoutMs?: number;
}

export interface TerminalResult {
  /** Exit code of the shell command (`script -e`). */
  code: number;
  /** Everything the terminal showed (`\r\n` turned into `\n` by inTerminalShell only). */
  output: string;
}

const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;

/** A shell-quoted command line running the real swamp binary with `args`. */
export function swampCommand(args: readonly string[]): string {
  return [process.execPath, SWAMP_BIN, ...args].map(quote).join(" ");
}

/** Runs `shellLine` under `script`, typing each cue's reply; resolves to the exit code and the raw output. */
function drive(shellLine: string, cues: readonly Cue[], options: TerminalOptions): Promise<{ code: number; raw: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-f", "-e", "-c", shellLine, "/dev/null"], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
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
      resolve({ code: code ?? 1, raw: out });
    });
  });
}

/** Runs a shell command line (several commands, pipes, `stty -a` …) in a pseudo-terminal. */
export async function inTerminalShell(shellCommand: string, cues: readonly Cue[] = [], options: TerminalOptions = {}): Promise<TerminalResult> {
  const line = options.columns ? `stty cols ${options.columns} rows 40; ${shellCommand}` : shellCommand;
  const { code, raw } = await drive(line, cues, options);
  return { code, output: raw.replace(/\r\n/g, "\n") };
}

/** Runs one program (`command` is its argv) in a pseudo-terminal; everything the terminal showed, as is. */
export async function inTerminal(command: readonly string[], cues: readonly Cue[], options: TerminalOptions = {}): Promise<string> {
  return (await runInTerminal(command, cues, options)).output;
}

/** Everything the terminal showed, as is, and the program's exit code (130 after a Ctrl-C cue, …). */
export async function runInTerminal(command: readonly string[], cues: readonly Cue[], options: TerminalOptions = {}): Promise<TerminalResult> {
  const env = { ...(options.columns ? { COLUMNS: String(options.columns) } : {}), ...options.env };
  const { code, raw } = await drive(command.map(quote).join(" "), cues, { ...options, env });
  return { code, output: raw };
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
