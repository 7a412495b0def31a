/**
 * FileLock throughput.
 *
 *   node dist/bench/lock.bench.js
 *
 * Prints uncontended acquire+release per second (one process, 2 s) and total acquisitions
 * per second with 4 processes contending for one lock (this file re-runs itself as the worker).
 * Figures only; no assertions.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { FileLock } from "../builtins/datastore-filesystem/lock.js";

const UNCONTENDED_MS = 2_000;
const CONTENDED_MS = 3_000;
const PROCESSES = 4;

async function uncontended(dir: string): Promise<number> {
  const lock = new FileLock(dir, { maxWaitMs: 10_000 });
  let count = 0;
  const start = performance.now();
  const end = start + UNCONTENDED_MS;
  while (performance.now() < end) {
    await lock.acquire();
    await lock.release();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

/** Worker mode: from `startAt` (epoch ms) for `durationMs`, count acquire+release cycles. */
async function worker(dir: string, startAt: number, durationMs: number): Promise<void> {
  const lock = new FileLock(dir, { maxWaitMs: 60_000 });
  while (Date.now() < startAt) await new Promise((resolve) => setTimeout(resolve, 5));
  const end = startAt + durationMs;
  let count = 0;
  while (Date.now() < end) {
    await lock.acquire();
    if (Date.now() <= end) count++;
    await lock.release();
  }
  process.stdout.write(`${JSON.stringify({ count })}\n`);
}

async function contended(dir: string): Promise<{ perSecond: number; counts: number[] }> {
  const self = fileURLToPath(import.meta.url);
  const startAt = Date.now() + 750; // time for the children to boot
  const runs = Array.from({ length: PROCESSES }, () => {
    const child = spawn(process.execPath, [self, "--worker", dir, String(startAt), String(CONTENDED_MS)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    return new Promise<number>((resolve, reject) => {
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`bench worker exited with ${code}`));
        resolve((JSON.parse(out.trim()) as { count: number }).count);
      });
    });
  });
  const counts = await Promise.all(runs);
  const total = counts.reduce((a, b) => a + b, 0);
  return { perSecond: total / (CONTENDED_MS / 1000), counts };
}

async function main(): Promise<void> {
  if (process.argv[2] === "--worker") {
    await worker(process.argv[3] ?? "", Number(process.argv[4]), Number(process.argv[5]));
    return;
  }
  const root = await mkdtemp(join(tmpdir(), "swamp-lock-bench-"));
  try {
    const solo = await uncontended(join(root, "uncontended"));
    console.log(`lock uncontended: ${Math.round(solo)} acquire+release/s`);
    const multi = await contended(join(root, "contended"));
    console.log(
      `lock contended (${PROCESSES} processes): ${Math.round(multi.perSecond)} acquisitions/s ` +
        `(per process: ${multi.counts.map((c) => Math.round(c / (CONTENDED_MS / 1000))).join(", ")} /s)`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
