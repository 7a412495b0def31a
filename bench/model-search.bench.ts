/**
 * Model lookups over many definitions: `node dist/bench/model-search.bench.js [definitions]`
 * (default 2000). Whole CLI processes, interleaved rounds, medians of wall time; prints
 * figures and ratios, asserts nothing. SWAMP_BENCH_BIN=<path to bin/swamp.js> measures
 * another build (e.g. main's, for a before/after comparison).
 *
 *  1. `model search` vs `model get <name>` in the same repo (goal: search ≤ 2× get)
 *  2. `model get` of a definition that arrived outside the CLI, together with 19 other new
 *     files, vs `model get` of a known one
 *  3. `model validate` of every definition vs `model get` (figure only: validating all must
 *     parse every file)
 */
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const COUNT = Number(process.argv[2] ?? "2000");
const ROUNDS = 9;
const bin = process.env.SWAMP_BENCH_BIN ?? fileURLToPath(new URL("../bin/swamp.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "swamp-bench-model-search-"));

function swamp(repo: string, ...args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args, "--repo-dir", repo, "--json"], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && !(args[1] === "validate" && r.status === 1)) throw new Error(`swamp ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
}

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs each case in turn, `rounds` times, so background load hits them alike; returns medians. */
function interleaved(rounds: number, cases: Array<{ before?: () => void; run: () => void }>): number[] {
  const samples = cases.map(() => [] as number[]);
  for (const c of cases) {
    c.before?.();
    c.run();
  }
  for (let i = 0; i < rounds; i++) {
    cases.forEach((c, j) => {
      c.before?.();
      samples[j]!.push(timeMs(c.run));
    });
  }
  return samples.map(median);
}

function definition(name: string, i: number): string {
  return [
    "type: command/shell",
    `id: ${randomUUID()}`,
    `name: ${name}`,
    "version: 1",
    "tags:",
    `  team: team-${i % 7}`,
    `  tier: "${i % 3}"`,
    "globalArguments: {}",
    "methods:",
    "  execute:",
    "    arguments:",
    `      run: echo ${name} \${{ self.name }}`,
    "",
  ].join("\n");
}

/** Prints one row for the `npm run bench` summary (scripts/bench.mjs gathers them). */
function benchRow(row: { row: string; baseline: string; ratio: number; goal: number; detail: string }): void {
  console.log(`BENCH-ROW ${JSON.stringify({ ...row, ratio: Number(row.ratio.toFixed(2)) })}`);
}

async function main(): Promise<void> {
  const repo = join(root, "repo");
  spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
  const dir = join(repo, "models", "command", "shell");
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < COUNT; i++) writeFileSync(join(dir, `${randomUUID()}.yaml`), definition(`model-${i}`, i));
  // Files this fresh are re-read until they settle (timestamp granularity rule): let them.
  await new Promise((r) => setTimeout(r, 2500));
  swamp(repo, "model", "search");
  const known = `model-${Math.floor(COUNT / 2)}`;
  console.log(`Model lookups, ${COUNT} definitions in models/ (${bin})`);

  console.log("\n1. model search vs model get (whole process, wall)");
  const [get, search] = interleaved(ROUNDS, [{ run: () => swamp(repo, "model", "get", known) }, { run: () => swamp(repo, "model", "search") }]);
  console.log(`  model get ${known.padEnd(24)}  ${get!.toFixed(1)} ms`);
  console.log(`  model search                        ${search!.toFixed(1)} ms   ratio ${(search! / get!).toFixed(2)}x (goal ≤ 2)`);
  benchRow({ row: `model search, ${COUNT} definitions`, baseline: "model get, same repo", ratio: search! / get!, goal: 2, detail: `wall medians ${search!.toFixed(0)} / ${get!.toFixed(0)} ms` });

  console.log("\n2. model get of a definition that just arrived outside the CLI (with 19 other new files)");
  let batch = 0;
  let newest = "";
  const [warm, arrived] = interleaved(ROUNDS, [
    { run: () => swamp(repo, "model", "get", known) },
    {
      before: () => {
        batch++;
        for (let i = 0; i < 20; i++) writeFileSync(join(dir, `arrived-${batch}-${i}.yaml`), definition(`arrived-${batch}-${i}`, i));
        newest = `arrived-${batch}-19`;
      },
      run: () => swamp(repo, "model", "get", newest),
    },
  ]);
  console.log(`  model get ${known.padEnd(24)}  ${warm!.toFixed(1)} ms`);
  console.log(`  model get of a newly arrived file   ${arrived!.toFixed(1)} ms   ratio ${(arrived! / warm!).toFixed(2)}x`);
  benchRow({ row: `first lookup after 20 files arrived, ${COUNT} definitions`, baseline: "model get of a known model", ratio: arrived! / warm!, goal: 2, detail: `wall medians ${arrived!.toFixed(0)} / ${warm!.toFixed(0)} ms` });

  console.log("\n3. model validate (all) vs model get");
  const [g3, validate] = interleaved(3, [{ run: () => swamp(repo, "model", "get", known) }, { run: () => swamp(repo, "model", "validate") }]);
  console.log(`  model get ${known.padEnd(24)}  ${g3!.toFixed(1)} ms`);
  console.log(`  model validate (all)                ${validate!.toFixed(1)} ms   ratio ${(validate! / g3!).toFixed(1)}x (parses every file; figure only)`);
  rmSync(root, { recursive: true, force: true });
}

await main();
