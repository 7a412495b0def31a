/**
 * Runs shell commands in a real pseudo-terminal (util-linux `script`), so swamp sees a TTY on
 * stdin, stdout and stderr. Replies are typed once their prompt has appeared; `\r` ends a line
 * as the Enter key does. Use `swampCommand` to build the command line of the real binary.
 */
import { spawn } from "node:child_process";
import { cleanEnv, SWAMP_BIN } from "./cli.js";

export interface TerminalOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Terminal width (`stty cols`); the pty has no size otherwise. */
  columns?: number;
  /** `[prompt, keys]`: once `prompt` shows (after the previous reply), `keys` are typed as is. */
  replies?: Array<[prompt: string | RegExp, keys: string]>;
  timeoutMs?: number;
}

export interface TerminalResult {
  /** Exit code of the shell command (`script -e`). */
  code: number;
  /** Everything the terminal showed, `\r\n` turned into `\n`. */
  output: string;
}

/** A shell-quoted command line running the real swamp binary with `args`. */
export function swampCommand(args: readonly string[]): string {
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  return [process.execPath, SWAMP_BIN, ...args].map(quote).join(" ");
}

export function inTerminal(shellCommand: string, options: TerminalOptions = {}): Promise<TerminalResult> {
  const command = options.columns ? `stty cols ${options.columns} rows 40; ${shellCommand}` : shellCommand;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    const replies = [...(options.replies ?? [])];
    let output = "";
    let seen = 0;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
      const next = replies[0];
      if (!next) return;
      const rest = output.slice(seen);
      const at = typeof next[0] === "string" ? rest.indexOf(next[0]) : rest.search(next[0]);
      if (at < 0) return;
      replies.shift();
      seen = output.length;
      child.stdin.write(next[1]);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: output.replace(/\r\n/g, "\n") });
    });
  });
}
