/** Process facts tests need: whether a pid is alive, and a pid that surely is not. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** True while `pid` is a live process (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The pid of a process that was started and killed with SIGKILL (its owner is gone). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await new Promise((r) => child.once("spawn", r));
  const pid = child.pid as number;
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  return pid;
}
