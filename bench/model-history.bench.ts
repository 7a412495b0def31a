/**
 * A model with a long history (not in issue 14's table; found while measuring it): every run
 * of a model adds versions, and neither a run nor `data list` may grow with them.
 *
 *   node dist/bench/model-history.bench.js      (BENCH_ROUNDS, default 10; BENCH_HISTORY, default 5000)
 *
 * CPU (user + system) of `swamp model method run` of `echo hi` and of `swamp data list`,
 * interleaved rounds, in two repos: one where the model has run once (baseline), one where it
 * has BENCH_HISTORY more versions of each of its data items, as that many runs leave them (an
 * 11 MB journal at 5,000).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SWAMP_BIN } from "../test/helpers/cli.js";
import { extendHistory } from "./support/data-tree.js";
import { benchBin, benchRow, measure, median, trimmedMean, type Cost } from "./support/process-cost.js";

const bin = benchBin(SWAMP_BIN);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const history = Number(process.env.BENCH_HISTORY ?? 5000);
const dir = mkdtempSync(join(tmpdir(), "swamp-bench-history-"));
const run = (repo: string) => [bin, "model", "method", "run", "tiny", "execute", "--input", "run=echo hi", "--repo-dir", repo];
const list = (repo: string) => [bin, "data", "list", "tiny", "--repo-dir", repo];
const must = (args: string[]) => {
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stdout}${r.stderr}`);
};

const repos = { fresh: join(dir, "fresh"), long: join(dir, "long") };
const commands = { run, list };
type Case = `${keyof typeof commands} ${keyof typeof repos}`;
const samples = new Map<Case, Cost[]>();
try {
  for (const repo of Object.values(repos)) {
    must([bin, "repo", "init", repo]);
    must([bin, "model", "create", "command/shell", "tiny", "--repo-dir", repo]);
    must(run(repo));
  }
  const typeDir = join(repos.long, ".swamp", "data", "command", "shell");
  const [modelId] = readdirSync(typeDir);
  extendHistory(join(typeDir, modelId!), history);
  for (const repo of Object.values(repos)) for (const command of Object.values(commands)) must(command(repo)); // page cache warm, indexes settled
  for (let i = 0; i < rounds; i++) {
    for (const [c, command] of Object.entries(commands)) {
      for (const [r, repo] of Object.entries(repos)) {
        const key = `${c} ${r}` as Case;
        samples.set(key, [...(samples.get(key) ?? []), await measure(process.execPath, command(repo))]);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const cpu = (key: Case) => trimmedMean(samples.get(key)!.map((c) => c.cpuMs));
for (const key of samples.keys()) {
  console.log(`${key.padEnd(11)} CPU trimmed mean ${cpu(key).toFixed(0).padStart(5)} ms (median ${median(samples.get(key)!.map((c) => c.cpuMs)).toFixed(0)})`);
}
const versions = history.toLocaleString("en");
benchRow(`model method run, ${versions} versions of history (CPU)`, "same run, no history", "with history", cpu("run long") / cpu("run fresh"), "≤ 1.3x");
benchRow(`data list, ${versions} versions of history (CPU)`, "same list, no history", "with history", cpu("list long") / cpu("list fresh"), "≤ 1.3x");
