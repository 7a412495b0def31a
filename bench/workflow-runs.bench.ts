/**
 * Run listings over many runs: `node dist/bench/workflow-runs.bench.js`. Prints figures and
 * ratios; asserts nothing.
 *
 *  `swamp data list --workflow nightly` (the latest run's data) in a repo holding 1,000 runs of
 *  that workflow vs the same command with 10 runs. Goal: flat (ratio close to 1): the latest
 *  run comes from the per-workflow index, not from reading or stat-ing every record.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RepoPaths, effectiveDirectories } from "../kernel/runtime/paths.js";
import { RunStore } from "../kernel/workflows/runs.js";
import type { RunRecord } from "../kernel/workflows/types.js";

const bin = fileURLToPath(new URL("../bin/swamp.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "swamp-bench-runs-"));
const WF = "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function repoWith(runs: number): Promise<string> {
  const repo = join(root, `repo-${runs}`);
  spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
  const store = new RunStore({ paths: new RepoPaths(repo, join(repo, ".swamp"), effectiveDirectories(undefined)), repoDir: repo, markDirty: undefined });
  for (let i = 0; i < runs; i++) {
    const started = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    const run: RunRecord = {
      id: `${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`,
      workflowId: WF,
      workflowName: "nightly",
      status: "succeeded",
      startedAt: started,
      completedAt: started,
      jobs: [{ jobName: "main", status: "succeeded", steps: [{ stepName: "build", status: "succeeded" }] }],
      tags: {},
      inputs: {},
      triggerSource: "manual",
    };
    await store.save(run);
  }
  // One listing settles the index, as the first command after a run does.
  spawnSync(process.execPath, [bin, "data", "list", "--workflow", "nightly", "--repo-dir", repo, "--json"], { stdio: "ignore" });
  return repo;
}

function timeList(repo: string): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, "data", "list", "--workflow", "nightly", "--repo-dir", repo, "--json"], { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`data list failed: ${r.stderr}`);
  return performance.now() - t;
}

async function main(): Promise<void> {
  const small = await repoWith(10);
  const large = await repoWith(1000);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 7; i++) {
    a.push(timeList(small));
    b.push(timeList(large));
  }
  const ratio = median(b) / median(a);
  console.log(`data list --workflow, 10 runs:    ${median(a).toFixed(0)} ms (median of 7)`);
  console.log(`data list --workflow, 1,000 runs: ${median(b).toFixed(0)} ms (median of 7)`);
  console.log(`ratio 1,000 / 10 runs: ${ratio.toFixed(2)}× (goal: flat, ~1×)`);
  console.log(`BENCH-ROW ${JSON.stringify({ row: "data list --workflow over 1,000 runs", baseline: "10 runs", ours: "1,000 runs", ratio: Number(ratio.toFixed(2)), goal: "~1" })}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(root, { recursive: true, force: true }));
