/**
 * `swamp data gc -f` deleting 50,000 of 100,000 versions (1,000 models × 10 names × 10
 * versions, policy: keep 5), against a plain Node script deleting the same 50,000 version
 * directories 32 at a time. Each round generates two identical trees and times both, so
 * background load hits them alike; medians of BENCH_ROUNDS (default 3) rounds.
 * Scale down with BENCH_GC_MODELS (default 1000).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDataTree } from "./support/data-tree.js";
import { benchBin, benchRow, median } from "./support/process-cost.js";

const swampBin = benchBin(fileURLToPath(new URL("../bin/swamp.js", import.meta.url)));

const bin = swampBin;
const MODELS = Number(process.env.BENCH_GC_MODELS ?? 1000);
const NAMES = 10;
const VERSIONS = 10;
const KEEP = 5; // the generated versions' garbageCollection policy
const TYPE = "bench/model";
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

function repoWithTree(root: string, label: string): { repo: string; modelIds: string[] } {
  const repo = join(root, label);
  const init = spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
  if (init.status !== 0) throw new Error("repo init failed");
  const { modelIds } = generateDataTree(join(repo, ".swamp", "data"), { type: TYPE, models: MODELS, names: NAMES, versions: VERSIONS });
  return { repo, modelIds };
}

/** The baseline: delete exactly the version directories gc plans to delete, 32 at a time. */
async function plainDelete(repo: string, modelIds: string[]): Promise<number> {
  const dirs: string[] = [];
  for (const id of modelIds) {
    for (let n = 0; n < NAMES; n++) for (let v = 1; v <= VERSIONS - KEEP; v++) dirs.push(join(repo, ".swamp", "data", TYPE, id, `item-${n}`, String(v)));
  }
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < dirs.length) await rm(dirs[next++] as string, { recursive: true, force: true });
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return performance.now() - start;
}

function swampGc(repo: string): { ms: number; deleted: number } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [bin, "data", "gc", "-f", "--json", "--repo-dir", repo], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`gc failed: ${r.stderr}`);
  return { ms, deleted: (JSON.parse(r.stdout) as { versionsDeleted: number }).versionsDeleted };
}

async function main(): Promise<void> {
  const total = MODELS * NAMES * VERSIONS;
  const planned = MODELS * NAMES * (VERSIONS - KEEP);
  console.log(`data gc -f: ${planned} of ${total} versions, ${rounds} rounds`);
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const root = mkdtempSync(join(tmpdir(), "swamp-gc-bench-"));
    try {
      const a = repoWithTree(root, "plain");
      const b = repoWithTree(root, "swamp");
      // Alternate the order so neither side always runs on a warmer cache.
      let gc: { ms: number; deleted: number };
      if (round % 2 === 0) {
        base.push(await plainDelete(a.repo, a.modelIds));
        gc = swampGc(b.repo);
      } else {
        gc = swampGc(b.repo);
        base.push(await plainDelete(a.repo, a.modelIds));
      }
      if (gc.deleted !== planned) throw new Error(`gc deleted ${gc.deleted} versions, expected ${planned}`);
      ours.push(gc.ms);
      console.log(`  round ${round + 1}: plain delete ${(base[round]! / 1000).toFixed(2)} s, swamp data gc -f ${(gc.ms / 1000).toFixed(2)} s`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  const b = median(base);
  const o = median(ours);
  console.log(`  median: plain ${(b / 1000).toFixed(2)} s, swamp ${(o / 1000).toFixed(2)} s, ratio ${(o / b).toFixed(2)}x (goal <= 3x)`);
  benchRow(`data gc -f (${planned / 1000}k of ${total / 1000}k versions), wall`, "plain Node rm, 32 at a time", `${(o / 1000).toFixed(1)} s vs ${(b / 1000).toFixed(1)} s`, o / b, "≤ 3x");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
