/**
 * Drives a program in a real pseudo-terminal (util-linux `script`), so it sees a TTY on stdin,
 * stdout and stderr: each reply is typed once its cue has appeared in what the terminal shows
 * after the previous cue (`\r` is the Enter key, `\u0003` Ctrl-C).
 */
import { spawn } from "node:child_process";
import { cleanEnv, SWAMP_BIN } from "./cli.js";

export type Cue = [cue: string | RegExp, reply: string];

export interface TerminalOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Terminal width (`stty cols`); the pty has no size otherwise. */
  columns?: number;
  timeoutMs?: number;
}

export interface TerminalResult {
  /** Exit code of the shell command (`script -e`). */
  code: number;
  /** Everything the terminal showed, `\r\n` turned into `\n`. */
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

/** Runs one program (`command` is its argv) in a pseudo-terminal; resolves to what the terminal showed, as is. */
export async function inTerminal(command: readonly string[], cues: readonly Cue[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<string> {
  return (await drive(command.map(quote).join(" "), cues, options)).raw;
}
