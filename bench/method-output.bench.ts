/**
 * A method whose command prints a lot (issue 14, row "a method whose command prints 100 MB").
 *
 *   node dist/bench/method-output.bench.js      (BENCH_OUTPUT_MB, default 100; BENCH_ROUNDS, default 3)
 *
 * Baseline: `sh -c '<cmd> > file'`. Ours: `swamp model method run` of a command/shell model
 * running the same command, its stdout redirected to a file (it also writes the `log` data
 * version and the run log). Interleaved rounds, medians; wall-time ratio, and the peak memory
 * of the big run against a run of `echo hi` (flat memory: close to 1x).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SWAMP_BIN } from "../test/helpers/cli.js";
import { benchBin, benchRow, measure, median, type Cost } from "./support/process-cost.js";

const bin = benchBin(SWAMP_BIN);
const mb = Number(process.env.BENCH_OUTPUT_MB ?? 100);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), "swamp-bench-output-"));
const repo = join(dir, "repo");
const cmd = `yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c ${mb * 1_000_000}`;

const setup = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args, "--repo-dir", repo], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
};
spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
setup(["model", "create", "command/shell", "big"]);
setup(["model", "create", "command/shell", "tiny"]);

const out = join(dir, "out.txt");
const runOf = (model: string, run: string) => [bin, "model", "method", "run", model, "execute", "--input", `run=${run}`, "--repo-dir", repo];
const shell: Cost[] = [];
const big: Cost[] = [];
const tiny: Cost[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    shell.push(await measure("sh", ["-c", cmd], { stdoutPath: out }));
    big.push(await measure(process.execPath, runOf("big", cmd), { stdoutPath: out }));
    tiny.push(await measure(process.execPath, runOf("tiny", "echo hi"), { stdoutPath: out }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const wall = (xs: Cost[]) => median(xs.map((c) => c.wallMs));
const rss = (xs: Cost[]) => median(xs.map((c) => c.maxRssKb));
console.log(`sh -c '<${mb} MB> > file'     median wall ${wall(shell).toFixed(0)} ms`);
console.log(`swamp model method run       median wall ${wall(big).toFixed(0)} ms, peak ${(rss(big) / 1024).toFixed(0)} MiB`);
console.log(`swamp run of echo hi         median wall ${wall(tiny).toFixed(0)} ms, peak ${(rss(tiny) / 1024).toFixed(0)} MiB`);
benchRow(`method printing ${mb} MB (wall)`, "sh -c … > file", "swamp model method run", wall(big) / wall(shell), "≤ 10x");
benchRow(`method printing ${mb} MB (peak memory)`, "run of echo hi", `run printing ${mb} MB`, rss(big) / rss(tiny), "flat (~1x)");
