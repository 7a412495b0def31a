/**
 * `swamp workflow run` through the real CLI with command/shell models, in one repo:
 * - the "Done means": inputs, two dependent jobs, a forEach step whose outputs vary by
 *   item, a step reading an earlier step's data with CEL, a workflow-lifetime output, run twice;
 *   a failing step skipping its dependents; allowFailure; a failed job skipping the job after it;
 * - a step whose command itself runs `swamp model method run` (no deadlock);
 * - a vault secret used by a step: redacted in the record and the log;
 * - Ctrl-C (SIGINT to the CLI alone) and --timeout: the step's process is gone, the run is `cancelled`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, type RunResult } from "../helpers/cli.js";
import { alive } from "../helpers/processes.js";
import { shellDefinition } from "../helpers/definitions.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let repo: string;
let env: Record<string, string>;
const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> =>
  swamp([...args, "--repo-dir", repo], { env: { ...env, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) });


const uuid = (n: number) => `0f0e0d0c-0000-4000-8000-${String(n).padStart(12, "0")}`;

function definition(n: number, name: string, run: string, extra: string[] = []): string {
  return shellDefinition({ id: uuid(n), name, run: JSON.stringify(run), extra });
}

async function readRun(workflowId: string, runId: string): Promise<{ record: any; log: string }> {
  const base = join(repo, ".swamp", "workflow-runs", workflowId, `workflow-run-${runId}`);
  return { record: parse(await readFile(`${base}.yaml`, "utf8")), log: await readFile(`${base}.log`, "utf8").catch(() => "") };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "swamp-wfrun-"));
  repo = join(dir, "repo");
  env = { HOME: join(dir, "home"), SWAMP_HOME: join(dir, "home", ".swamp"), SWAMP_LOCK_TIMEOUT_MS: "4000" };
  assert.equal((await swamp(["repo", "init", repo, "--json"], { env })).code, 0);
  const models = join(repo, "models", "command", "shell");
  await mkdir(models, { recursive: true });
  const defs: Array<[string, string]> = [
    ["seeder", definition(1, "seeder", "echo seed")],
    ["deployer", definition(2, "deployer", "echo deploying ${{ inputs.target }}", ["inputs:", "  properties:", "    target: { type: string }", "  required: [target]"])],
    ["reader", definition(3, "reader", "echo nothing")],
    ["worker", definition(4, "worker", "echo work")],
    ["inner", definition(5, "inner", "echo inner")],
    ["sleeper", definition(6, "sleeper", "sleep 30")],
  ];
  for (const [name, text] of defs) await writeFile(join(models, `${name}.yaml`), text);
  const workflows = join(repo, "workflows");
  await mkdir(workflows, { recursive: true });
  await writeFile(
    join(workflows, "workflow-demo.yaml"),
    `id: ${uuid(100)}
name: demo
tags: { team: qa }
inputs:
  properties:
    greeting: { type: string, default: hello }
    targets: { type: array, items: { type: string } }
  required: [targets]
jobs:
  - name: prepare
    steps:
      - name: seed
        task:
          type: model_method
          modelIdOrName: seeder
          methodName: execute
          inputs: { run: "echo \${{ inputs.greeting }}-seed" }
        dataOutputOverrides:
          - { specName: result, lifetime: workflow }
  - name: deploy
    dependsOn: [{ job: prepare, condition: { type: succeeded } }]
    steps:
      - name: ship
        forEach: { item: t, in: "\${{ inputs.targets }}" }
        task:
          type: model_method
          modelIdOrName: deployer
          methodName: execute
          inputs: { target: "\${{ self.t }}" }
        dataOutputOverrides:
          - { specName: result, vary: [target] }
      - name: read-back
        dependsOn: [{ step: ship, condition: { type: succeeded } }]
        task:
          type: model_method
          modelIdOrName: reader
          methodName: execute
          inputs:
            run: "echo seen \${{ data.latest('seeder', 'result').attributes.stdout.trim() }} \${{ data.latest('deployer', 'result', ['prod']).attributes.stdout.trim() }}"
      - name: flaky
        allowFailure: true
        task: { type: model_method, modelIdOrName: worker, methodName: execute, inputs: { run: "exit 3" } }
      - name: on-flaky-failure
        dependsOn: [{ step: flaky, condition: { type: failed } }]
        task: { type: model_method, modelIdOrName: worker, methodName: execute, inputs: { run: "echo cleanup" } }
  - name: summarize
    dependsOn: [{ job: deploy, condition: { type: completed } }]
    steps:
      - name: sum-\${{ self.r.name }}
        forEach: { item: r, in: "\${{ data.findBySpec('deployer', 'result') }}" }
        task: { type: model_method, modelIdOrName: worker, methodName: execute, inputs: { run: "echo \${{ self.r.name }}" } }
  - name: fragile
    steps:
      - name: boom
        task: { type: model_method, modelIdOrName: worker, methodName: execute, inputs: { run: "echo about to fail; exit 2" } }
      - name: never
        dependsOn: [{ step: boom, condition: { type: succeeded } }]
        task: { type: model_method, modelIdOrName: worker, methodName: execute }
  - name: after-fragile
    dependsOn: [{ job: fragile, condition: { type: succeeded } }]
    steps:
      - name: unreachable
        task: { type: model_method, modelIdOrName: worker, methodName: execute }
`,
  );
  await writeFile(
    join(workflows, "workflow-nested.yaml"),
    `id: ${uuid(101)}
name: nested
jobs:
  - name: main
    steps:
      - name: outer
        task:
          type: model_method
          modelIdOrName: worker
          methodName: execute
          inputs: { run: "'${process.execPath}' '${SWAMP_BIN}' model method run inner execute --repo-dir '${repo}' --json > /dev/null && echo inner-ok" }
      - name: alongside
        task: { type: model_method, modelIdOrName: inner, methodName: execute, inputs: { run: "echo alongside" } }
`,
  );
  await writeFile(
    join(workflows, "workflow-secret.yaml"),
    `id: ${uuid(102)}
name: secret
jobs:
  - name: main
    steps:
      - name: use
        task:
          type: model_method
          modelIdOrName: worker
          methodName: execute
          inputs: { run: "echo token=\${{ vault.get('dev', 'token') }}; echo \${{ vault.get('dev', 'token') }} >&2; exit 4" }
`,
  );
  await writeFile(
    join(workflows, "workflow-sleepy.yaml"),
    `id: ${uuid(103)}
name: sleepy
jobs:
  - name: main
    steps:
      - name: nap
        task:
          type: model_method
          modelIdOrName: sleeper
          methodName: execute
          inputs: { run: "echo $$ > \${{ inputs.pidfile }}; sleep 30; echo late > \${{ inputs.pidfile }}.late" }
      - name: after-nap
        dependsOn: [{ step: nap, condition: { type: completed } }]
        task: { type: model_method, modelIdOrName: worker, methodName: execute }
`,
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("the issue's scenario: inputs, dependent jobs, forEach with vary, CEL reads, workflow lifetime, failures and allowFailure; run twice", async () => {
  const first = await cli(["workflow", "run", "demo", "--input", "targets:json=[\"dev\",\"prod\"]", "--tag", "ticket=T-1", "--json"]);
  assert.equal(first.code, 1, `a failed job makes the run fail: ${first.stderr}`);
  const view = parseJson(first.stdout);
  assert.equal(view.status, "failed");
  assert.equal(view.workflowName, "demo");
  assert.deepEqual(view.inputs, { greeting: "hello", targets: ["dev", "prod"] });
  assert.equal(view.failedStep, "boom");
  assert.match(view.path, /^\.swamp\/workflow-runs\/0f0e0d0c-0000-4000-8000-000000000100\/workflow-run-.*\.yaml$/);
  const jobs = Object.fromEntries(view.jobs.map((j: any) => [j.name, j]));
  const step = (job: string, name: string) => jobs[job].steps.find((s: any) => s.name === name);
  assert.equal(jobs.prepare.status, "succeeded");
  assert.equal(jobs.deploy.status, "succeeded", "an allowed failure does not fail its job");
  assert.equal(jobs.fragile.status, "failed");
  assert.deepEqual(jobs.summarize.steps.map((s: any) => s.name).sort(), ["sum-result-dev", "sum-result-prod"], "forEach over data.findBySpec, names from an expression");
  assert.equal(jobs["after-fragile"].status, "skipped");
  assert.equal(step("after-fragile", "unreachable").status, "skipped");
  assert.deepEqual(jobs.deploy.steps.map((s: any) => s.name).sort(), ["flaky", "on-flaky-failure", "read-back", "ship-dev", "ship-prod"]);
  assert.equal(step("deploy", "flaky").status, "failed");
  assert.equal(step("deploy", "flaky").allowedFailure, true);
  assert.equal(step("deploy", "on-flaky-failure").status, "succeeded", "a condition: failed clean-up runs");
  assert.equal(step("fragile", "boom").status, "failed");
  assert.equal(step("fragile", "never").status, "skipped");
  assert.equal(step("fragile", "never").skipReason, "dependency");
  assert.equal(typeof view.duration, "number");

  // forEach outputs vary by item; each artifact names its model and exact version.
  const shipProd = step("deploy", "ship-prod").dataArtifacts.find((a: any) => a.name.startsWith("result"));
  assert.equal(shipProd.name, "result-prod");
  assert.equal(shipProd.modelType, "command/shell");
  assert.equal(shipProd.modelId, uuid(2));
  assert.equal(shipProd.tags.workflow, "demo");
  assert.equal(shipProd.tags.step, "ship-prod");
  assert.equal(shipProd.tags.workflowRunId, view.id);
  assert.equal(shipProd.tags.ticket, "T-1");

  // The read-back step saw data written earlier in this run (task.inputs data.* is evaluated at step time).
  const readBack = step("deploy", "read-back").dataArtifacts.find((a: any) => a.name === "result");
  const seen = parseJson(await readFile(join(repo, ".swamp", "data", "command", "shell", uuid(3), "result", String(readBack.version), "raw"), "utf8"));
  assert.equal(seen.stdout.trim(), "seen hello-seed deploying prod");

  // The workflow-lifetime output carries the run's ids in its owner.
  const seed = step("prepare", "seed").dataArtifacts.find((a: any) => a.name === "result");
  const meta = parse(await readFile(join(repo, ".swamp", "data", "command", "shell", uuid(1), "result", String(seed.version), "metadata.yaml"), "utf8"));
  assert.equal(meta.lifetime, "workflow");
  assert.equal(meta.ownerDefinition.workflowRunId, view.id);
  assert.equal(meta.ownerDefinition.workflowId, uuid(100));

  // The record on disk: small (references), the log has every step's lines.
  const { record, log } = await readRun(uuid(100), view.id);
  assert.equal(record.status, "failed");
  assert.equal(record.tags.team, "qa");
  assert.equal(record.tags.ticket, "T-1");
  assert.deepEqual(record.stepProgress, { completed: 11, total: 11 });
  assert.match(log, /deploying prod/);
  assert.match(log, /about to fail/);
  assert.match(log, /Step fragile\.boom failed/);
  assert.match(await readFile(join(repo, ".swamp", "workflows-evaluated", "workflow-demo.yaml"), "utf8"), /echo hello-seed/);

  // Second run, text mode: progress lines and the failure summary; new versions of the same names.
  const second = await cli(["workflow", "run", "demo", "--input", "targets:json=[\"prod\"]"]);
  assert.equal(second.code, 1);
  assert.match(second.stdout, /Running workflow demo \(run /);
  assert.match(second.stdout, /▸ deploy\.ship-prod/);
  assert.match(second.stdout, /deploy\.flaky.*failure allowed/);
  assert.match(second.stdout, /- fragile\.never skipped \(dependency\)/);
  assert.match(second.stdout, /Failed workflow demo in .*\n  boom: /);
  const secondId = /run ([0-9a-f-]{36})/.exec(second.stdout)![1]!;
  const again = await readRun(uuid(100), secondId);
  const prodAgain = again.record.jobs.find((j: any) => j.jobName === "deploy").steps.find((s: any) => s.stepName === "ship-prod").dataArtifacts.find((a: any) => a.name === "result-prod");
  assert.equal(prodAgain.version, shipProd.version + 1);
  assert.equal(again.record.jobs.find((j: any) => j.jobName === "deploy").steps.some((s: any) => s.stepName === "ship-dev"), false);
  assert.deepEqual(
    again.record.jobs.find((j: any) => j.jobName === "summarize").steps.map((s: any) => s.stepName),
    ["sum-result-prod"],
    "data.findBySpec inside a run sees only that run's data",
  );
});

test("a step whose command runs `swamp model method run` on another model does not deadlock", async () => {
  const r = await cli(["workflow", "run", "nested", "--json"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const view = parseJson(r.stdout);
  assert.equal(view.status, "succeeded");
  const { log } = await readRun(uuid(101), view.id);
  assert.match(log, /inner-ok/);
});

test("vault secrets used by a step never reach the record, the log or the output", async () => {
  assert.equal((await cli(["vault", "create", "local_encryption", "dev"])).code, 0);
  assert.equal((await cli(["vault", "put", "dev", "token"], { input: "s3cr3t-VALUE-42" })).code, 0);
  const r = await cli(["workflow", "run", "secret", "--json"]);
  assert.equal(r.code, 1);
  const view = parseJson(r.stdout);
  const { record, log } = await readRun(uuid(102), view.id);
  assert.match(log, /token=\*\*\*/);
  for (const text of [r.stdout, r.stderr, log, JSON.stringify(record), await readFile(join(repo, ".swamp", "workflows-evaluated", "workflow-secret.yaml"), "utf8")]) {
    assert.doesNotMatch(text, /s3cr3t-VALUE-42/);
  }
});

async function interrupted(args: string[], signal: NodeJS.Signals | "cancel" | null) {
  const pidFile = join(dir, `nap-${Date.now()}.pid`);
  const child = spawn(process.execPath, [SWAMP_BIN, "workflow", "run", "sleepy", "--input", `pidfile=${pidFile}`, "--json", ...args, "--repo-dir", repo], {
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  for (let i = 0; i < 800 && !(existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== ""); i++) await sleep(25);
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  assert.ok(pid > 0);
  if (signal === "cancel") {
    const c = await cli(["workflow", "cancel", "sleepy", "--reason", "stop please", "--json"]);
    assert.equal(c.code, 0, c.stderr);
  } else if (signal) child.kill(signal);
  const code = await exited;
  assert.equal(alive(pid), false, `the step's process (pid ${pid}) outlived the run`);
  assert.equal(existsSync(`${pidFile}.late`), false);
  const runs = join(repo, ".swamp", "workflow-runs", uuid(103));
  const { readdir } = await import("node:fs/promises");
  const files = (await readdir(runs)).filter((f) => f.endsWith(".yaml")).map((f) => join(runs, f));
  const records = await Promise.all(files.map(async (f) => parse(await readFile(f, "utf8"))));
  const record = records.find((r: any) => JSON.stringify(r.inputs).includes(pidFile));
  assert.deepEqual(await readdir(join(repo, ".swamp", ".locks", "models")).catch(() => []), [], "no model lock is left behind");
  return { code, record, stdout, stderr };
}

test("Ctrl-C stops the running step's process and records the run cancelled", async () => {
  const { code, record } = await interrupted([], "SIGINT");
  assert.equal(code, 130);
  assert.equal(record.status, "cancelled");
  assert.equal(record.tags.cancel_reason, "aborted");
  const steps = record.jobs[0].steps;
  assert.equal(steps.find((s: any) => s.stepName === "nap").status, "failed");
  assert.equal(steps.find((s: any) => s.stepName === "after-nap").status, "pending", "nothing starts after the cancellation");
});

test("workflow cancel stops the live run; its reason is recorded", async () => {
  const { code, record } = await interrupted([], "cancel");
  assert.equal(code, 130);
  assert.equal(record.status, "cancelled");
  assert.equal(record.tags.cancel_reason, "stop please");
});

test("--timeout cancels the run and names the timeout", async () => {
  const { code, record, stdout } = await interrupted(["--timeout", "2s"], null);
  assert.equal(code, 1);
  assert.equal(record.status, "cancelled");
  assert.equal(record.tags.cancel_reason, "Timed out after 2s");
  assert.equal(parseJson(stdout).status, "cancelled");
});

test("errors before the run: unknown workflow, bad inputs, a failing up-front expression leave no run record", async () => {
  const missing = await cli(["workflow", "run", "nope", "--json"]);
  assert.equal(missing.code, 1);
  assert.equal(parseJson(missing.stderr).error.code, "workflow_not_found");
  const bad = await cli(["workflow", "run", "demo", "--json"]);
  assert.equal(parseJson(bad.stderr).error.code, "input_validation_failed");
  await writeFile(
    join(repo, "workflows", "workflow-badcel.yaml"),
    `id: ${uuid(104)}\nname: badcel\njobs:\n  - name: main\n    steps:\n      - name: s\n        task: { type: model_method, modelIdOrName: worker, methodName: execute, inputs: { run: "echo \${{ inputs.nope.deeper }}" } }\n`,
  );
  const cel = await cli(["workflow", "run", "badcel", "--json"]);
  assert.equal(cel.code, 1);
  assert.equal(parseJson(cel.stderr).error.code, "expression_failed");
  assert.equal(existsSync(join(repo, ".swamp", "workflow-runs", uuid(104))), false, "no run record");
});
