/**
 * Concurrent runs of one model (issue 14, row "concurrent runs of one model").
 *
 *   node dist/bench/method-locks.bench.js       (BENCH_ROUNDS, default 3; BENCH_RUNS, default 4)
 *
 * BENCH_RUNS `swamp model method run` processes of `sleep 1` started together, all on one
 * model, against the same number on as many different models (the baseline: no lock is
 * shared). Wall time of the whole batch, interleaved rounds, medians.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SWAMP_BIN } from "../test/helpers/cli.js";
import { benchBin, benchRow, median } from "./support/process-cost.js";

const bin = benchBin(SWAMP_BIN);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const runs = Number(process.env.BENCH_RUNS ?? 4);
const dir = mkdtempSync(join(tmpdir(), "swamp-bench-locks-"));
const repo = join(dir, "repo");
const must = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args, "--repo-dir", repo], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stdout}${r.stderr}`);
};
spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
for (let i = 0; i < runs; i++) must(["model", "create", "command/shell", `m${i}`]);

function runOne(model: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "model", "method", "run", model, "execute", "--input", "run=sleep 1", "--repo-dir", repo], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`run of ${model} exited ${code}`))));
  });
}

async function batch(models: string[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(models.map(runOne));
  return performance.now() - t0;
}

const one: number[] = [];
const many: number[] = [];
try {
  await batch(["m0"]); // warm
  for (let i = 0; i < rounds; i++) {
    many.push(await batch(Array.from({ length: runs }, (_, k) => `m${k}`)));
    one.push(await batch(Array.from({ length: runs }, () => "m0")));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${runs} runs on ${runs} models   median wall ${median(many).toFixed(0)} ms`);
console.log(`${runs} runs on one model    median wall ${median(one).toFixed(0)} ms`);
benchRow(`${runs} concurrent runs of one model (wall)`, `${runs} runs on different models`, `${runs} runs on one model`, median(one) / median(many), "≈ 1x (lock only around what needs it)");
