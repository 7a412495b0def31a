/**
 * `swamp data query 'true' --limit 100000` in text form over 100,000 versions (1,000 models ×
 * 100 names × 1 version), against the same query projected with `--select name`: CPU time of
 * the whole process, interleaved rounds, medians. Scale with BENCH_QUERY_MODELS (default 1000).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDataTree } from "./support/data-tree.js";
import { benchBin, benchRow, measure, median } from "./support/process-cost.js";

const swampBin = benchBin(fileURLToPath(new URL("../bin/swamp.js", import.meta.url)));

const MODELS = Number(process.env.BENCH_QUERY_MODELS ?? 1000);
const NAMES = 100;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const root = mkdtempSync(join(tmpdir(), "swamp-query-bench-"));
try {
  const repo = join(root, "repo");
  if (spawnSync(process.execPath, [swampBin, "repo", "init", repo], { stdio: "ignore" }).status !== 0) throw new Error("repo init failed");
  generateDataTree(join(repo, ".swamp", "data"), { type: "bench/model", models: MODELS, names: NAMES, versions: 1 });
  const total = MODELS * NAMES;
  const base = ["data", "query", "true", "--limit", String(total), "--repo-dir", repo];
  const cases: Array<[string, string[]]> = [
    ["--select name", [swampBin, ...base, "--select", "name"]],
    ["text", [swampBin, ...base]],
  ];
  // The first run builds the index cache; both cases then read it alike.
  for (const [, args] of cases) await measure(process.execPath, args);
  const cpu = cases.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) for (const [j, [, args]] of cases.entries()) cpu[j]!.push((await measure(process.execPath, args)).cpuMs);
  const [select, text] = cpu.map(median) as [number, number];
  console.log(`data query 'true' --limit ${total} over ${total} versions, ${rounds} rounds (CPU ms, medians)`);
  console.log(`  --select name  ${select.toFixed(0)} ms`);
  console.log(`  text           ${text.toFixed(0)} ms   ratio ${(text / select).toFixed(2)}x (goal <= 1.5x)`);
  benchRow(`data query 'true' text (${total / 1000}k versions), CPU`, "same query with --select name", `${text.toFixed(0)} ms vs ${select.toFixed(0)} ms`, text / select, "≤ 1.5x");
} finally {
  rmSync(root, { recursive: true, force: true });
}
