/**
 * Workflow overhead: `node dist/bench/workflow-steps.bench.js`. Prints figures and ratios;
 * asserts nothing.
 *
 *  1. `swamp workflow run` of a workflow of 20 `echo` steps (the real CLI, start to finish)
 *  2. the same 20 model method runs made in sequence from one process (kernel API, one kernel)
 *  3. the same 20 runs as 20 `swamp model method run` processes in sequence
 *
 * Goal: (1) under 2× (2).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinRegistry } from "../cli/builtins.js";
import { runMethod } from "../kernel/models/execute.js";
import { createKernel } from "../kernel/runtime/kernel.js";

const STEPS = 20;
const bin = fileURLToPath(new URL("../bin/swamp.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "swamp-bench-workflow-"));
const repo = join(root, "repo");

function swamp(...args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args, "--repo-dir", repo], { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`swamp ${args.join(" ")} failed: ${r.stderr}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function workflowYaml(): string {
  const steps = Array.from({ length: STEPS }, (_, i) =>
    [
      `      - name: s${String(i).padStart(2, "0")}`,
      "        task: { type: model_method, modelIdOrName: hello, methodName: execute, inputs: { run: \"echo hi\" } }",
      ...(i > 0 ? [`        dependsOn: [{ step: s${String(i - 1).padStart(2, "0")}, condition: { type: succeeded } }]`] : []),
    ].join("\n"),
  );
  return ["id: 5b0c7f2e-8a51-4c3e-9f0d-2f6a1b7c9e11", "name: twenty", "jobs:", "  - name: main", "    steps:", ...steps, ""].join("\n");
}

async function main(): Promise<void> {
  spawnSync(process.execPath, [bin, "repo", "init", repo], { stdio: "ignore" });
  swamp("model", "create", "command/shell", "hello");
  mkdirSync(join(repo, "workflows"), { recursive: true });
  writeFileSync(join(repo, "workflows", "workflow-twenty.yaml"), workflowYaml());
  const kernel = await createKernel({ repoDir: repo, env: process.env, registry: builtinRegistry() });

  const workflowRun = () => {
    const t = performance.now();
    swamp("workflow", "run", "twenty");
    return performance.now() - t;
  };
  const inProcess = async () => {
    const t = performance.now();
    for (let i = 0; i < STEPS; i++) await runMethod(kernel, { ref: "hello", method: "execute", inputs: { run: "echo hi" } });
    return performance.now() - t;
  };
  const cliCalls = () => {
    const t = performance.now();
    for (let i = 0; i < STEPS; i++) swamp("model", "method", "run", "hello", "execute", "--input", "run=echo hi");
    return performance.now() - t;
  };

  // Warm up, then interleave rounds so background load hits every case alike.
  workflowRun();
  await inProcess();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const wf: number[] = [];
  const inp: number[] = [];
  const cli: number[] = [];
  for (let i = 0; i < rounds; i++) {
    wf.push(workflowRun());
    inp.push(await inProcess());
    if (i < 2) cli.push(cliCalls());
  }
  const [w, p, c] = [median(wf), median(inp), median(cli)];
  console.log(`${STEPS} echo steps, medians of ${rounds} rounds`);
  console.log(`  swamp workflow run (whole process)          ${w.toFixed(0).padStart(6)} ms`);
  console.log(`  ${STEPS} runMethod calls in one process          ${p.toFixed(0).padStart(6)} ms   workflow ratio ${(w / p).toFixed(2)}x (goal < 2x)`);
  console.log(`  ${STEPS} swamp model method run processes        ${c.toFixed(0).padStart(6)} ms   workflow ratio ${(w / c).toFixed(2)}x`);
  rmSync(root, { recursive: true, force: true });
}

await main();
