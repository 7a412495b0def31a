/**
 * Drives a program in a real pseudo-terminal (util-linux `script`): each reply is typed once
 * its cue has appeared in what the terminal shows after the previous cue.
 */
import { spawn } from "node:child_process";
import { cleanEnv, SWAMP_BIN } from "./cli.js";

export type Cue = [cue: string | RegExp, reply: string];

export const KEYS = { up: "\x1b[A", down: "\x1b[B", enter: "\r", escape: "\x1b", ctrlC: "\x03" } as const;

/** Terminal output without escape sequences and carriage returns. */
export function plain(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, "").replace(/\r/g, "");
}

interface DriveOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /**
   * Match cues against the output without escape sequences (see `plain`), and only against
   * what appeared after the previous reply was typed.
   */
  plainCues?: boolean;
}

const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;

function drive(shellCommand: string, cues: readonly Cue[], options: DriveOptions): Promise<{ code: number; output: string; waitingFor: Cue | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-f", "-e", "-c", shellCommand, "/dev/null"], {
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
        const rest = options.plainCues ? plain(out.slice(seen)) : out.slice(seen);
        const at = typeof step[0] === "string" ? rest.indexOf(step[0]) : rest.search(step[0]);
        if (at < 0) break;
        seen = options.plainCues ? out.length : seen + at + 1;
        next++;
        child.stdin.write(step[1]);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: out, waitingFor: cues[next] });
    });
  });
}

export async function inTerminal(command: readonly string[], cues: readonly Cue[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<string> {
  return (await drive(command.map(quote).join(" "), cues, options)).output;
}

export interface SwampTerminalOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  columns?: number;
  timeoutMs?: number;
  /** A shell command run in the same terminal after swamp exits (e.g. `stty -a`); swamp's exit code is kept. */
  then?: string;
}

/**
 * Runs the real `swamp` binary in a terminal `columns` wide, typing each reply once its cue
 * shows (cues match the plain text that appeared since the previous reply). Resolves with
 * swamp's exit code and everything the terminal showed; rejects when a cue never showed.
 */
export async function swampInTerminal(args: readonly string[], cues: readonly Cue[], options: SwampTerminalOptions = {}): Promise<{ code: number; output: string }> {
  const swamp = [process.execPath, SWAMP_BIN, ...args].map(quote).join(" ");
  const command = `stty cols ${options.columns ?? 120} rows 30 2>/dev/null; ${swamp}; code=$?; ${options.then ?? ":"}; exit $code`;
  const r = await drive(command, cues, { ...options, plainCues: true });
  if (r.waitingFor) throw new Error(`the terminal never showed ${String(r.waitingFor[0])}; it showed:\n${plain(r.output)}`);
  return { code: r.code, output: r.output };
}
