/**
 * Drives a program in a real pseudo-terminal (util-linux `script`): each reply is typed once
 * its cue has appeared in what the terminal shows after the previous cue.
 */
import { spawn } from "node:child_process";
import { cleanEnv } from "./cli.js";

export type Cue = [cue: string | RegExp, reply: string];

export function inTerminal(command: readonly string[], cues: readonly Cue[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const child = spawn("script", ["-q", "-f", "-e", "-c", command.map(quote).join(" "), "/dev/null"], {
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
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
