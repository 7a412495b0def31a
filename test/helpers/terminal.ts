/**
 * Runs the real `swamp` binary in a pseudo-terminal (util-linux `script`), so stdin and stdout
 * are both TTYs, and types keys as the screen asks for them: each step waits until `when`
 * has appeared in the output since the previous step (escape sequences and carriage returns
 * removed, see `plain`), then sends `keys`.
 */
import { spawn } from "node:child_process";
import { cleanEnv, SWAMP_BIN } from "./cli.js";

export const KEYS = { up: "\x1b[A", down: "\x1b[B", enter: "\r", escape: "\x1b", ctrlC: "\x03" } as const;

export interface TerminalStep {
  when: string | RegExp;
  keys: string;
}

export interface TerminalResult {
  code: number;
  /** Everything the terminal showed, escape sequences included. */
  output: string;
}

export interface TerminalOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  steps?: readonly TerminalStep[];
  columns?: number;
  timeoutMs?: number;
  /** A shell command run in the same terminal after swamp exits (e.g. `stty -a`); swamp's exit code is kept. */
  then?: string;
}

/** Terminal output without escape sequences and carriage returns. */
export function plain(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, "").replace(/\r/g, "");
}

export function inTerminal(args: readonly string[], options: TerminalOptions = {}): Promise<TerminalResult> {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const swampCommand = [process.execPath, SWAMP_BIN, ...args].map(quote).join(" ");
  const command = `stty cols ${options.columns ?? 120} rows 30 2>/dev/null; ${swampCommand}; code=$?; ${options.then ?? ":"}; exit $code`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    const steps = [...(options.steps ?? [])];
    let output = "";
    let seen = 0;
    const advance = () => {
      const step = steps[0];
      if (!step) return;
      const fresh = plain(output.slice(seen));
      const at = typeof step.when === "string" ? fresh.indexOf(step.when) : fresh.search(step.when);
      if (at < 0) return;
      steps.shift();
      seen = output.length;
      child.stdin.write(step.keys);
      advance();
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
      advance();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (steps.length > 0) reject(new Error(`the terminal never showed ${String(steps[0]!.when)}; it showed:\n${plain(output)}`));
      else resolve({ code: code ?? 1, output });
    });
  });
}
