/**
 * The cost of one `swamp model method run` (issue 14, rows "model method run of echo hi" and
 * "extension model method run").
 *
 *   node dist/bench/method-run.bench.js         (BENCH_ROUNDS, default 10)
 *
 * CPU (user + system) of whole processes, interleaved rounds; ratios of the trimmed mean
 * (see process-cost.ts), medians printed too:
 * - `node -e 0` (baseline) vs a command/shell run of `echo hi` in a repo without extensions;
 * - a built-in run in a repo that has an extension (baseline: every command there checks its
 *   extensions are current) vs a run of that extension's model type (the greeter fixture,
 *   bundle already cached: the steady state a user sees). Same repo, so the ratio is what
 *   running extension code adds.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SWAMP_BIN } from "../test/helpers/cli.js";
import { GREETER_ID, GREETER_MODEL, greeterDefinition } from "../test/plugins/fixtures.js";
import { benchBin, benchRow, measure, median, startupEnvironmentNote, trimmedMean, type Cost } from "./support/process-cost.js";

const bin = benchBin(SWAMP_BIN);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const dir = mkdtempSync(join(tmpdir(), "swamp-bench-run-"));
const plainRepo = join(dir, "plain");
const repo = join(dir, "repo");
const write = (rel: string, text: string) => {
  mkdirSync(dirname(join(repo, rel)), { recursive: true });
  writeFileSync(join(repo, rel), text);
};
const swamp = (args: string[], where = repo) => [bin, ...args, "--repo-dir", where];
const must = (args: string[]) => {
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stdout}${r.stderr}`);
};

for (const r of [plainRepo, repo]) {
  must([bin, "repo", "init", r]);
  must(swamp(["model", "create", "command/shell", "tiny"], r));
}
write("extensions/models/greeter.ts", GREETER_MODEL);
write(`models/@test/greeter/${GREETER_ID}.yaml`, greeterDefinition());

const cases: Array<[string, string[]]> = [
  ["node -e 0", ["-e", "0"]],
  ["run of echo hi (command/shell)", swamp(["model", "method", "run", "tiny", "execute", "--input", "run=echo hi"], plainRepo)],
  ["same, repo with an extension", swamp(["model", "method", "run", "tiny", "execute", "--input", "run=echo hi"])],
  ["run of an extension model", swamp(["model", "method", "run", "greeter", "greet"])],
];
const samples: Cost[][] = cases.map(() => []);
try {
  for (const [, args] of cases) must(args); // bundles built, page cache warm
  for (let i = 0; i < rounds; i++) {
    for (const [j, [, args]] of cases.entries()) samples[j]!.push(await measure(process.execPath, args));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

startupEnvironmentNote();
const cpu = (j: number) => trimmedMean(samples[j]!.map((c) => c.cpuMs));
for (const [j, [name]] of cases.entries()) {
  const cpus = samples[j]!.map((c) => c.cpuMs);
  console.log(`${name.padEnd(32)} CPU trimmed mean ${cpu(j).toFixed(0).padStart(5)} ms (median ${median(cpus).toFixed(0)})   wall median ${median(samples[j]!.map((c) => c.wallMs)).toFixed(0).padStart(5)} ms`);
}
benchRow("model method run of echo hi (CPU)", "node -e 0", "swamp model method run", cpu(1) / cpu(0), "≤ 2.5x");
benchRow("extension model method run (CPU)", "built-in run (echo hi), same repo", "extension model run", cpu(3) / cpu(2), "≤ 1.3x");
