/**
 * Peak memory of `swamp data get` of a 200 MB file output against the same command on a tiny
 * item (whole process, peak RSS, interleaved rounds, medians). BENCH_GET_MB sets the size.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataRepository } from "../kernel/data/repository.js";
import { benchBin, benchRow, measure, median } from "./support/process-cost.js";

const swampBin = benchBin(fileURLToPath(new URL("../bin/swamp.js", import.meta.url)));

const MB = Number(process.env.BENCH_GET_MB ?? 200);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const root = mkdtempSync(join(tmpdir(), "swamp-get-bench-"));
try {
  const repo = join(root, "repo");
  if (spawnSync(process.execPath, [swampBin, "repo", "init", repo], { stdio: "ignore" }).status !== 0) throw new Error("repo init failed");
  const created = spawnSync(process.execPath, [swampBin, "model", "create", "command/shell", "m", "--json", "--repo-dir", repo], { encoding: "utf8" });
  const modelId = (JSON.parse(created.stdout) as { id: string }).id;
  const data = new DataRepository({ dataRoot: join(repo, ".swamp", "data") });
  const spec = (name: string) => ({
    modelType: "command/shell",
    modelId,
    name,
    contentType: "text/plain",
    lifetime: "infinite",
    garbageCollection: 5,
    tags: { type: "file", modelName: "m" },
    ownerDefinition: { ownerType: "model-method", ownerRef: modelId },
  });
  // Written in chunks: a child's peak RSS starts at its parent's (Linux carries it across fork
  // and exec), so this process must stay small.
  const chunk = Buffer.from("0123456789 the quick brown fox jumps over the lazy dog\n".repeat(18_000));
  await data.createWriter(spec("big")).writeStream((async function* () {
    for (let written = 0; written < MB * 1e6; written += chunk.length) yield chunk;
  })());
  await data.save(spec("tiny"), "hello\n");

  const cases: Array<[string, string[]]> = [
    ["tiny item", [swampBin, "data", "get", "m", "tiny", "--repo-dir", repo]],
    [`${MB} MB item`, [swampBin, "data", "get", "m", "big", "--repo-dir", repo]],
  ];
  const rss = cases.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) for (const [j, [, args]] of cases.entries()) rss[j]!.push((await measure(process.execPath, args)).maxRssKb / 1024);
  const [tiny, big] = rss.map(median) as [number, number];
  console.log(`data get, peak RSS (medians of ${rounds}): tiny ${tiny.toFixed(0)} MiB, ${MB} MB item ${big.toFixed(0)} MiB, ratio ${(big / tiny).toFixed(2)}x (goal <= 1.5x)`);
  benchRow(`data get of a ${MB} MB file output, peak RSS`, "data get of a tiny item", `${big.toFixed(0)} MiB vs ${tiny.toFixed(0)} MiB`, big / tiny, "≤ 1.5x");
} finally {
  rmSync(root, { recursive: true, force: true });
}
