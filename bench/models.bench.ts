/**
 * Model runs: `node dist/bench/models.bench.js`. Prints figures and ratios; asserts nothing.
 *
 *  1. `swamp model method run` of `echo hi` (the real CLI, start to finish) vs `sh -c 'echo hi'`
 *  2. evaluating a definition with 20 expressions in a real repo holding 20,000 data items of
 *     other models vs the same definition in a repo holding none (kernel API, warm process)
 *  3. the same comparison through the CLI (`model method run`, whole process)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinRegistry } from "../cli/builtins.js";
import { DataRepository } from "../kernel/data/repository.js";
import { ExpressionContext, selfFromDefinition } from "../kernel/expressions/context.js";
import { evaluateDefinition } from "../kernel/expressions/evaluate.js";
import { RepositoryDataAccess } from "../kernel/models/data-access.js";
import { definitionLookup, definitionRepository } from "../kernel/models/service.js";
import { createKernel } from "../kernel/runtime/kernel.js";
import { generateDataTree } from "./support/data-tree.js";

const bin = fileURLToPath(new URL("../bin/swamp.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "swamp-bench-models-"));

function swamp(repo: string, ...args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args, "--repo-dir", repo], { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`swamp ${args.join(" ")} failed: ${r.stderr}`);
}

function timeMs(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs each case in turn, `rounds` times, so background load hits them alike; returns medians. */
function interleaved(rounds: number, cases: Array<() => void>): number[] {
  const samples = cases.map(() => [] as number[]);
  cases.forEach((c) => c());
  for (let i = 0; i < rounds; i++) cases.forEach((c, j) => samples[j]!.push(timeMs(c)));
  return samples.map(median);
}

const CONSUMER = (id: string) => `type: command/shell
id: ${id}
name: consumer
version: 1
tags: { team: bench }
globalArguments:
  region: eu-west-1
inputs:
  properties:
    who: { type: string, default: world }
    n: { type: integer, default: 3 }
methods:
  execute:
    arguments:
      run: >-
        echo \${{ self.name }} \${{ self.tags.team }} \${{ self.globalArguments.region }} \${{ inputs.who }}
        \${{ inputs.n * 2 }} \${{ data.latest('source', 'result').attributes.stdout }}
        \${{ data.latest('source', 'result').version }} \${{ model.source.definition.name }}
        \${{ size(data.listVersions('source', 'result')) }} \${{ 'a' + 'b' }} \${{ 1 + 2 }}
        \${{ inputs.who.size() }} \${{ self.version }} \${{ data.latest('source', 'log').contentType }}
        \${{ [1, 2, 3].map(x, x * 2)[2] }} \${{ {'k': 'v'}.k }} \${{ self.name.startsWith('c') }}
        \${{ data.version('source', 'result', 1).version }} \${{ model.source.definition.version }}
        \${{ string(inputs.n) }}
`;

function makeRepo(name: string, otherItems: number): string {
  const repo = join(root, name);
  spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
  swamp(repo, "model", "create", "command/shell", "source");
  swamp(repo, "model", "method", "run", "source", "execute", "--input", "run=echo upstream");
  swamp(repo, "model", "create", "command/shell", "hello");
  mkdirSync(join(repo, "models", "command", "shell"), { recursive: true });
  writeFileSync(join(repo, "models", "command", "shell", "consumer.yaml"), CONSUMER("99999999-8888-4777-8666-555555555555"));
  if (otherItems > 0) {
    generateDataTree(join(repo, ".swamp", "data"), { type: "bench/other", models: otherItems / 20, names: 20, versions: 1 });
  }
  return repo;
}

async function evaluateOnce(repo: string): Promise<number> {
  const kernel = await createKernel({ repoDir: repo, env: process.env, registry: builtinRegistry() });
  const definitions = definitionRepository(kernel);
  const stored = await definitions.require("consumer");
  const start = performance.now();
  const ctx = new ExpressionContext({
    self: selfFromDefinition(stored.definition),
    inputs: { who: "world", n: 3 },
    definitions: definitionLookup(definitions),
    data: new RepositoryDataAccess(new DataRepository({ dataRoot: kernel.paths.resolve("data") }), definitions),
  });
  const result = await evaluateDefinition(stored.definition, ctx);
  const elapsed = performance.now() - start;
  if (result.unresolved.length) throw new Error(`unresolved: ${JSON.stringify(result.unresolved)}`);
  return elapsed;
}

async function main(): Promise<void> {
  console.log("Setting up repos (one empty, one with 20,000 data items of other models)…");
  const empty = makeRepo("empty", 0);
  const big = makeRepo("big", 20_000);

  console.log("\n1. model method run of `echo hi` vs sh -c 'echo hi'");
  const [sh, run] = interleaved(15, [
    () => spawnSync("sh", ["-c", "echo hi"], { stdio: "ignore" }),
    () => swamp(empty, "model", "method", "run", "hello", "execute", "--input", "run=echo hi"),
  ]);
  console.log(`  sh -c 'echo hi'                       ${sh!.toFixed(1)} ms`);
  console.log(`  swamp model method run (echo hi)      ${run!.toFixed(1)} ms   ratio ${(run! / sh!).toFixed(1)}x`);

  console.log("\n2. evaluating 20 expressions (kernel API): 20,000 other data items vs none");
  const emptyTimes: number[] = [];
  const bigTimes: number[] = [];
  await evaluateOnce(empty);
  await evaluateOnce(big);
  for (let i = 0; i < 15; i++) {
    emptyTimes.push(await evaluateOnce(empty));
    bigTimes.push(await evaluateOnce(big));
  }
  const e = median(emptyTimes);
  const b = median(bigTimes);
  console.log(`  empty repo                            ${e.toFixed(2)} ms`);
  console.log(`  20,000 data items                     ${b.toFixed(2)} ms   ratio ${(b / e).toFixed(2)} (aim < 1.2)`);

  console.log("\n3. the same through the CLI (model method run consumer execute)");
  const [ce, cb] = interleaved(10, [
    () => swamp(empty, "model", "method", "run", "consumer", "execute"),
    () => swamp(big, "model", "method", "run", "consumer", "execute"),
  ]);
  console.log(`  empty repo                            ${ce!.toFixed(1)} ms`);
  console.log(`  20,000 data items                     ${cb!.toFixed(1)} ms   ratio ${(cb! / ce!).toFixed(2)}`);
  rmSync(root, { recursive: true, force: true });
}

await main();
