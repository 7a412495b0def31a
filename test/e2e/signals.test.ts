/**
 * Signals delivered only to the CLI (as `timeout`, `kill <pid>` and CI runners do): the method's
 * command is stopped before the CLI exits — the signal is forwarded to its process group, then
 * SIGKILL after a grace period — the run is recorded as cancelled, the lock is released last,
 * and the exit code is 128 + the signal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { groupAlive } from "../../kernel/runtime/child-process.js";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alive and not a zombie (an init that does not reap leaves zombies behind). */
function exists(pid: number): boolean {
  if (!existsSync("/proc/self")) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (entry.name.endsWith(".yaml")) out.push(p);
  }
  return out;
}

async function signalMidRun(signal: NodeJS.Signals, script: (pidFile: string, marker: string) => string) {
  return withRepo(async (repo) => {
    parseJson((await swamp(["model", "create", "command/shell", "sig", "--json", "--repo-dir", repo])).stdout);
    const pidFile = join(repo, "..", "child.pid");
    const marker = join(repo, "..", "late");
    const cli = spawn(process.execPath, [SWAMP_BIN, "model", "method", "run", "sig", "execute", "--input", `run=${script(pidFile, marker)}`, "--json", "--repo-dir", repo], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    cli.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => cli.on("exit", (code) => resolve(code)));

    // The command is running once it has written its pid (the leader of its process group).
    for (let i = 0; i < 600 && !(existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== ""); i++) await sleep(25);
    const childPid = Number(readFileSync(pidFile, "utf8").trim());
    assert.ok(childPid > 0);
    process.kill(cli.pid!, signal); // the CLI only, not its process group
    const code = await exited;

    // By the time the CLI has exited, the command and everything in its group are gone, so the
    // write it would have made later can never happen.
    assert.equal(exists(childPid), false, `the command (pid ${childPid}) outlived the CLI`);
    assert.equal(groupAlive(childPid), false, "its process group outlived the CLI");
    assert.equal(existsSync(marker), false, "the command wrote after the signal");
    assert.deepEqual(await readdir(join(repo, ".swamp", ".locks", "models")).catch(() => []), [], "the model lock was released");
    assert.equal(parseJson(stderr).error.code, "cancelled", stderr);
    const records = await Promise.all((await yamlFiles(join(repo, ".swamp", "outputs"))).map((f) => readFile(f, "utf8")));
    assert.equal(records.length, 1);
    assert.match(records[0] as string, /^status: cancelled$/m);
    return code;
  });
}

test("SIGTERM to the CLI stops the method's command, records the run cancelled, releases the lock, exits 143", async () => {
  const code = await signalMidRun("SIGTERM", (pidFile, marker) => `echo $$ > ${pidFile}; sleep 5; echo late > ${marker}`);
  assert.equal(code, 143);
});

test("SIGINT to the CLI alone (not its group) does the same and exits 130", async () => {
  const code = await signalMidRun("SIGINT", (pidFile, marker) => `echo $$ > ${pidFile}; sleep 5; echo late > ${marker}`);
  assert.equal(code, 130);
});

test("a command that ignores the signal is killed after the grace period", async () => {
  const code = await signalMidRun("SIGTERM", (pidFile, marker) => `trap '' TERM INT; echo $$ > ${pidFile}; sleep 12; echo late > ${marker}`);
  assert.equal(code, 143);
});

/** CPU ticks (user + system) the process has used so far. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Resolves once the process has used no CPU for a second: it is waiting for something. */
async function idle(pid: number): Promise<void> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 150 && still < 5; i++) {
    await sleep(200);
    const now = cpuTicks(pid);
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

test("Ctrl-C while an --input value waits for stdin (key=@-) exits 130 at once and runs nothing", { skip: !existsSync("/proc/self/stat") && "needs /proc" }, async () => {
  await withRepo(async (repo) => {
    assert.equal((await swamp(["model", "create", "command/shell", "typed", "--repo-dir", repo])).code, 0);
    const cli = spawn(process.execPath, [SWAMP_BIN, "model", "method", "run", "typed", "execute", "--input", "run=@-", "--json", "--repo-dir", repo], {
      env: cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    cli.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => cli.on("exit", (code) => resolve(code)));
    try {
      cli.stdin!.write("echo half a line"); // a person typing, stdin still open
      await idle(cli.pid!);
      cli.kill("SIGINT");
      const code = await Promise.race([exited, sleep(10_000).then(() => "still waiting")]);
      assert.equal(code, 130, stderr);
    } finally {
      cli.stdin!.end();
      cli.kill("SIGKILL");
    }
    assert.deepEqual(await yamlFiles(join(repo, ".swamp", "outputs")), [], "no run was recorded");
  });
});
