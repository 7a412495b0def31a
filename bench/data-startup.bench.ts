/**
 * CPU of `swamp data get` and `swamp data list` (a small repo: one model, two items) against
 * `node -e 0`: whole processes, interleaved rounds (BENCH_ROUNDS, default 15); ratios of the
 * trimmed mean CPU (see process-cost.ts), medians printed too.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchBin, benchRow, measure, median, startupEnvironmentNote, trimmedMean } from "./support/process-cost.js";

const swampBin = benchBin(fileURLToPath(new URL("../bin/swamp.js", import.meta.url)));

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const root = mkdtempSync(join(tmpdir(), "swamp-startup-bench-"));
try {
  const repo = join(root, "repo");
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [swampBin, ...args, "--repo-dir", repo], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  };
  spawnSync(process.execPath, [swampBin, "repo", "init", repo], { stdio: "ignore" });
  run(["model", "create", "command/shell", "m"]);
  run(["model", "method", "run", "m", "execute", "--input", "run=echo hi"]);
  const cases: Array<[string, string[]]> = [
    ["node -e 0", ["-e", "0"]],
    ["swamp data get m result", [swampBin, "data", "get", "m", "result", "--repo-dir", repo]],
    ["swamp data list m", [swampBin, "data", "list", "m", "--repo-dir", repo]],
  ];
  for (const [, args] of cases) await measure(process.execPath, args); // warm the page cache
  const cpu = cases.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) for (const [j, [, args]] of cases.entries()) cpu[j]!.push((await measure(process.execPath, args)).cpuMs);
  const base = trimmedMean(cpu[0]!);
  startupEnvironmentNote();
  for (const [j, [name]] of cases.entries()) {
    const m = trimmedMean(cpu[j]!);
    console.log(`${name.padEnd(26)} CPU trimmed mean ${m.toFixed(1).padStart(6)} ms (median ${median(cpu[j]!).toFixed(0)})   ratio to node -e 0: ${(m / base).toFixed(2)}x`);
    if (j > 0) benchRow(`${name.replace(" m result", "").replace(" m", "")}, CPU`, "node -e 0", `${m.toFixed(0)} ms vs ${base.toFixed(0)} ms`, m / base, "≤ 1.8x");
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
