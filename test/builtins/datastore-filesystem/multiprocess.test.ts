/**
 * FileLock across real processes: mutual exclusion, TTL takeover after a crash (kill -9), and
 * no stealing from a live, heartbeating holder.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";
import { FileLock } from "../../../builtins/datastore-filesystem/lock.js";

const WORKER = fileURLToPath(new URL("./fixtures/lock-worker.js", import.meta.url));

let root: string;
let counter = 0;
const children = new Set<ChildProcess>();

before(async () => {
  root = await mkdtemp(join(tmpdir(), "swamp-filelock-mp-"));
});

afterEach(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function freshDir(): string {
  counter++;
  return join(root, `ds-${counter}`);
}

interface Worker {
  child: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix`. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  const scan = (): void => {
    const lines = stdout.split("\n");
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (!waiter) continue;
      const line = lines.find((l) => l.startsWith(waiter.prefix));
      if (line !== undefined) {
        waiters.splice(i, 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    scan();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    child,
    exited,
    waitFor(prefix: string, timeoutMs = 15_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker did not print "${prefix}" within ${timeoutMs}ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        const done = (line: string): void => {
          clearTimeout(timer);
          resolve(line);
        };
        waiters.push({ prefix, resolve: done });
        scan();
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`worker exited (code ${code}, signal ${signal}) before printing "${prefix}"; stderr: ${stderr}`));
        });
      });
    },
  };
}

describe("FileLock across processes", () => {
  test("4 processes x 50 locked increments of a shared counter end at exactly 200", async () => {
    const dir = freshDir();
    const counterFile = join(root, `counter-${counter}.txt`);
    await writeFile(counterFile, "0");
    const workers = Array.from({ length: 4 }, () => startWorker(["increment", dir, counterFile, "50"]));
    const results = await Promise.all(workers.map((w) => w.exited));
    for (const result of results) assert.equal(result.code, 0, `worker failed: ${result.stderr}`);
    assert.equal(await readFile(counterFile, "utf8"), "200");
    assert.equal(await new FileLock(dir).inspect(), null, "no lock left behind");
  });

  test("a holder killed with SIGKILL is taken over once its TTL has passed", async () => {
    const dir = freshDir();
    const ttlMs = 1_500;
    // The worker poses as another machine, so only the TTL can free the lock (no PID probe).
    const holder = startWorker(["hold", dir, String(ttlMs), "60000", "crashed-host.invalid"]);
    await holder.waitFor("acquired");
    // Let at least one heartbeat happen so the file carries a refreshed acquiredAt.
    await new Promise((resolve) => setTimeout(resolve, 600));
    holder.child.kill("SIGKILL");
    await holder.exited;
    const killedAt = Date.now();

    const probe = new FileLock(dir);
    const last = await probe.inspect();
    assert.ok(last, "the dead holder's lock is still on disk");
    assert.equal(last.hostname, "crashed-host.invalid");
    const lastAlive = Date.parse(last.acquiredAt);

    const contender = new FileLock(dir, { maxWaitMs: 15_000 });
    await contender.acquire();
    const acquiredAt = Date.now();
    try {
      // Not before the TTL of the last sign of life (small slack for clock/mtime granularity).
      assert.ok(acquiredAt - lastAlive >= ttlMs - 100, `taken over ${acquiredAt - lastAlive}ms after the last heartbeat`);
      // The heartbeat interval is ttl/3, so at least ttl - ttl/3 passes after the kill.
      assert.ok(acquiredAt - killedAt >= ttlMs - ttlMs / 3 - 150, `taken over ${acquiredAt - killedAt}ms after the kill`);
      const info = await contender.inspect();
      assert.equal(info?.pid, process.pid);
    } finally {
      await contender.release();
    }
  });

  test("a live, heartbeating holder process is never stolen from", async () => {
    const dir = freshDir();
    const holder = startWorker(["hold", dir, "600", "3000"]);
    const line = await holder.waitFor("acquired");
    const pid = Number(line.split(" ")[1]);
    assert.equal(pid, holder.child.pid);

    const contender = new FileLock(dir, { maxWaitMs: 1_500 });
    const start = performance.now();
    let caught: unknown;
    try {
      await contender.acquire();
    } catch (err) {
      caught = err;
    }
    const elapsed = performance.now() - start;
    if (caught === undefined) {
      await contender.release();
      assert.fail("the contender stole a live holder's lock");
    }
    assert.equal((caught as { code?: unknown }).code, "lock_timeout");
    assert.match((caught as Error).message, new RegExp(`\\(pid ${pid}\\)`));
    assert.ok(elapsed >= 1_200, `gave up after ${Math.round(elapsed)}ms`);

    await holder.waitFor("released");
    const result = await holder.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await contender.inspect(), null);
  });
});
