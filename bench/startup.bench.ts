/**
 * CLI start-up: `swamp --version` and `swamp datastore status` against bare `node -e 0`.
 * Runs interleaved rounds and reports medians, so background load hits all three alike.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/swamp.js", import.meta.url));
const repo = join(mkdtempSync(join(tmpdir(), "swamp-bench-")), "repo");
spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });

const cases: Array<[string, string[]]> = [
  ["node -e 0", ["-e", "0"]],
  ["swamp --version", [bin, "--version"]],
  ["swamp datastore status", [bin, "datastore", "status", "--repo-dir", repo]],
];

function time(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (r.status !== 0 && !args.includes("status")) throw new Error(`failed: ${args.join(" ")}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const samples = cases.map(() => [] as number[]);
for (const [, args] of cases) time(args); // warm the page cache
for (let i = 0; i < rounds; i++) cases.forEach(([, args], j) => samples[j]!.push(time(args)));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples[0]!);
for (const [j, [name]] of cases.entries()) {
  const m = median(samples[j]!);
  console.log(`${name.padEnd(24)} median ${m.toFixed(1).padStart(6)} ms   ratio to node -e 0: ${(m / base).toFixed(2)}x`);
}
rmSync(join(repo, ".."), { recursive: true, force: true });
