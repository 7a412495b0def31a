/**
 * Workflow run records through the real CLI: listings and lookups over records written by
 * another program (the run store's index must notice them), crash repair of a run whose
 * process was killed, cancelling a live process and a dead one, `run gc` (dry run and real run
 * agree) followed by `data gc` expiring exactly the workflow-lifetime data whose run is gone,
 * and `data get|list|search` scoped to a run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { DataRepository } from "../../kernel/data/repository.js";
import { recordToYaml } from "../../kernel/workflows/runs.js";
import type { RunRecord } from "../../kernel/workflows/types.js";
import { parseJson, swamp, withRepo, type RunResult } from "../helpers/cli.js";
import { deadPid } from "../helpers/processes.js";

const WF = "11111111-1111-4111-8111-111111111111";
const WF_B = "22222222-2222-4222-8222-222222222222";
const DAY = 86_400_000;

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

function failed(r: RunResult, code: string): { code: string; message: string } {
  assert.equal(r.code, 1, `expected a failure, got ${r.code}: ${r.stdout}`);
  const err = parseJson(r.stderr).error;
  assert.equal(err.code, code, err.message);
  return err;
}

function runsDir(repo: string, workflowId = WF): string {
  return join(repo, ".swamp", "workflow-runs", workflowId);
}

function recordFile(repo: string, id: string, workflowId = WF): string {
  return join(runsDir(repo, workflowId), `workflow-run-${id}.yaml`);
}

/** Writes a record the way another program would: straight to disk, no index update. */
function seed(repo: string, run: Partial<RunRecord> & { id: string }, ageMs?: number): string {
  const full: RunRecord = {
    workflowId: WF,
    workflowName: "nightly",
    status: "succeeded",
    jobs: [{ jobName: "main", status: "succeeded", steps: [{ stepName: "build", status: "succeeded", startedAt: "2026-01-01T00:00:00.000Z", completedAt: "2026-01-01T00:00:01.500Z" }] }],
    tags: {},
    inputs: {},
    triggerSource: "manual",
    ...run,
  };
  const path = recordFile(repo, full.id, full.workflowId);
  mkdirSync(runsDir(repo, full.workflowId), { recursive: true });
  writeFileSync(path, recordToYaml(full));
  if (ageMs !== undefined) {
    const t = new Date(Date.now() - ageMs);
    utimesSync(path, t, t);
  }
  return path;
}


const ids = (r: RunResult): string[] => parseJson(r.stdout).results.map((x: { runId: string }) => x.runId);

test("run search, history get/search/logs over records written by another program; a killed run is repaired to failed", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    const A1 = "aaa10000-0000-4000-8000-000000000001";
    const A2 = "aaa20000-0000-4000-8000-000000000002";
    const B1 = "bbb10000-0000-4000-8000-000000000003";
    const D1 = "ddd10000-0000-4000-8000-000000000004";
    const logFile = `.swamp/workflow-runs/${WF}/workflow-run-${A1}.log`;
    seed(repo, { id: A1, startedAt: "2026-01-01T00:00:00.000Z", completedAt: "2026-01-01T00:00:02.000Z", inputs: { env: "prod" }, tags: { team: "infra" }, logFile });
    writeFileSync(join(repo, logFile), "one\ntwo\nthree\n");
    seed(repo, { id: A2, status: "failed", startedAt: "2026-01-02T00:00:00.000Z", completedAt: "2026-01-02T00:00:01.000Z", inputs: { env: "dev" }, failedStep: "build", failureReason: "exit 2" });
    // The reference writes timestamps unquoted.
    mkdirSync(runsDir(repo, WF_B), { recursive: true });
    writeFileSync(
      recordFile(repo, B1, WF_B),
      `id: ${B1}\nworkflowId: ${WF_B}\nworkflowName: deploy\nstatus: succeeded\nstartedAt: 2026-01-03T00:00:00.000Z\ncompletedAt: 2026-01-03T00:00:05.000Z\njobs: []\ntags: {}\ninputs: {}\npid: 4242\ntriggerSource: manual\n`,
    );
    writeFileSync(recordFile(repo, "broken", WF_B), "id: [not yaml\n");
    seed(repo, {
      id: D1,
      status: "running",
      startedAt: "2026-01-04T00:00:00.000Z",
      pid: await deadPid(),
      host: hostname(),
      heartbeatAt: new Date().toISOString(),
      jobs: [{ jobName: "main", status: "running", steps: [{ stepName: "build", status: "running" }] }],
    });

    const all = ok(await cli("workflow", "run", "search", "--json"), "run search");
    assert.deepEqual(ids(all), [D1, B1, A2, A1]);
    assert.match(all.stderr, /damaged workflow run record .*workflow-run-broken\.yaml/);
    const first = parseJson(all.stdout).results[0];
    assert.equal(first.status, "failed", "the killed run is no longer shown running");
    assert.equal(parseJson(all.stdout).query, "");
    const repaired = readFileSync(recordFile(repo, D1), "utf8");
    assert.match(repaired, /^status: failed$/m);
    assert.match(repaired, /interrupt_reason: process_exited/);
    assert.match(repaired, /^completedAt: "\d{4}-.*Z"$/m, "timestamps we write are quoted");
    assert.ok(existsSync(join(runsDir(repo), ".runs-index.json")));

    assert.deepEqual(ids(ok(await cli("workflow", "run", "list", "--status", "failed", "--workflow", "NIGHTLY", "--json"), "filtered")), [D1, A2]);
    assert.deepEqual(ids(ok(await cli("workflow", "run", "search", "--input", "env=prod", "--tag", "team=infra", "--json"), "inputs")), [A1]);
    const text = ok(await cli("workflow", "run", "search", "deploy"), "text").stdout;
    assert.match(text, /^RUN ID\s+WORKFLOW\s+STATUS/);
    assert.match(text, new RegExp(`${B1}\\s+deploy\\s+succeeded`));

    const view = parseJson(ok(await cli("workflow", "history", "get", "aaa1", "--json"), "history get").stdout);
    assert.equal(view.id, A1);
    assert.equal(view.path, `.swamp/workflow-runs/${WF}/workflow-run-${A1}.yaml`);
    assert.equal(view.duration, 2000);
    assert.deepEqual(view.jobs, [{ name: "main", status: "succeeded", steps: [{ name: "build", status: "succeeded", duration: 1500, dataArtifacts: [] }] }]);
    const latestDeploy = parseJson(ok(await cli("workflow", "history", "deploy", "--json"), "history <wf>").stdout);
    assert.equal(latestDeploy.id, B1);
    assert.equal(latestDeploy.startedAt, "2026-01-03T00:00:00.000Z");
    const ambiguous = failed(await cli("workflow", "history", "get", "aaa", "--json"), "ambiguous_run_id");
    assert.match(ambiguous.message, /^Ambiguous ID prefix "aaa" matches:\n {2}aaa/);
    assert.equal(failed(await cli("workflow", "history", "get", "nope", "--json"), "workflow_run_not_found").message, "No workflow run or workflow found: nope");

    assert.deepEqual(ids(ok(await cli("workflow", "history", "search", "env=dev", "--json"), "history search")), [A2]);
    assert.deepEqual(ids(ok(await cli("workflow", "history", "list", "--input", "env=prod", "--json"), "history list")), [A1]);

    const logs = parseJson(ok(await cli("workflow", "history", "logs", A1, "--tail", "2", "--json"), "logs").stdout);
    assert.deepEqual(logs, { runId: A1, workflowName: "nightly", path: logFile, lines: ["two", "three"], lineCount: 2 });
    const none = parseJson(ok(await cli("workflow", "history", "logs", A2, "--json"), "no log").stdout);
    assert.deepEqual(none, { runId: A2, workflowName: "nightly", error: "No log file recorded for this run (pre-logFile run)" });
  });
});

/** A stand-in for a running `swamp workflow run`: on SIGINT it records the run cancelled with the requested reason. */
function fakeExecutor(recordPath: string, cancelledYaml: string): Promise<ChildProcess> {
  const script = `
    const fs = require("node:fs");
    process.on("SIGINT", () => {
      const reason = JSON.parse(fs.readFileSync(process.env.CANCEL_FILE, "utf8")).reason;
      fs.writeFileSync(process.env.RECORD + ".tmp", process.env.CANCELLED.replace("__REASON__", reason));
      fs.renameSync(process.env.RECORD + ".tmp", process.env.RECORD);
      process.exit(130);
    });
    setInterval(() => {}, 1000);
    process.stdout.write("ready\\n");
  `;
  const child = spawn(process.execPath, ["-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RECORD: recordPath, CANCEL_FILE: recordPath.replace(/\.yaml$/, ".cancel"), CANCELLED: cancelledYaml },
  });
  return new Promise((resolve) => child.stdout!.once("data", () => resolve(child)));
}

test("workflow cancel: a live process is signalled and records the cancellation; a dead one's record is cancelled directly", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    const LIVE = "c0000000-0000-4000-8000-000000000001";
    const DEAD = "d0000000-0000-4000-8000-000000000002";
    const running = { status: "running" as const, startedAt: new Date(Date.now() - 1000).toISOString(), host: hostname(), heartbeatAt: new Date().toISOString() };
    const cancelled: RunRecord = {
      id: LIVE, workflowId: WF, workflowName: "nightly", status: "cancelled", startedAt: running.startedAt, completedAt: new Date().toISOString(),
      jobs: [], tags: { cancel_reason: "__REASON__" }, inputs: {}, triggerSource: "manual",
    };
    const child = await fakeExecutor(recordFile(repo, LIVE), recordToYaml(cancelled));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      seed(repo, { id: LIVE, ...running, pid: child.pid! });
      seed(repo, { id: DEAD, ...running, startedAt: "2026-01-01T00:00:00.000Z", pid: await deadPid() });

      const out = parseJson(ok(await cli("workflow", "cancel", "nightly", "--reason", "enough", "--json"), "cancel live").stdout);
      assert.deepEqual(out, { cancelled: [{ runId: LIVE, workflowName: "nightly", previousStatus: "running", status: "cancelled" }], count: 1, reason: "enough" });
      assert.equal(await exited, 130, "the owning process was interrupted and exited");
      assert.match(readFileSync(recordFile(repo, LIVE), "utf8"), /cancel_reason: enough/);

      const dead = parseJson(ok(await cli("workflow", "cancel", "--run", "d000", "--json"), "cancel dead").stdout);
      assert.deepEqual(dead.cancelled, [{ runId: DEAD, workflowName: "nightly", previousStatus: "running", status: "cancelled" }]);
      assert.equal(dead.reason, "Cancelled by user");
      const record = readFileSync(recordFile(repo, DEAD), "utf8");
      assert.match(record, /^status: cancelled$/m);
      assert.match(record, /cancel_reason: Cancelled by user/);
      assert.equal(existsSync(recordFile(repo, DEAD).replace(/\.yaml$/, ".cancel")), false, "the request is consumed");

      assert.equal(failed(await cli("workflow", "cancel", "--run", LIVE, "--json"), "conflict").message, `Run ${LIVE} has already finished (cancelled); nothing to cancel`);
      assert.equal(failed(await cli("workflow", "cancel", "nightly", "--json"), "workflow_run_not_found").message, 'No active runs found for workflow "nightly"');
      assert.deepEqual(parseJson(ok(await cli("workflow", "cancel", "--all", "--json"), "cancel all").stdout), { cancelled: [], count: 0, reason: "Cancelled by user" });
      const usage = await cli("workflow", "cancel", "--json");
      assert.equal(usage.code, 2);
      assert.match(parseJson(usage.stderr).error.message, /^Provide a workflow name or ID, or use --all/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

test("run gc deletes only old finished runs and outputs (dry run = real run); data gc then expires exactly the data of the deleted run", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    const OLD = "01d00000-0000-4000-8000-000000000001";
    const NEW = "0e100000-0000-4000-8000-000000000002";
    const OLD_RUNNING = "01d20000-0000-4000-8000-000000000003";
    const OLD_SUSPENDED = "01d30000-0000-4000-8000-000000000004";
    const old = new Date(Date.now() - 40 * DAY).toISOString();
    seed(repo, { id: OLD, startedAt: old, completedAt: old }, 40 * DAY);
    writeFileSync(recordFile(repo, OLD).replace(/\.yaml$/, ".log"), "old log\n");
    seed(repo, { id: NEW, startedAt: new Date(Date.now() - DAY).toISOString(), completedAt: new Date(Date.now() - DAY).toISOString() });
    seed(repo, { id: OLD_RUNNING, status: "running", startedAt: old, pid: process.pid, host: hostname(), heartbeatAt: new Date().toISOString() }, 40 * DAY);
    seed(repo, { id: OLD_SUSPENDED, status: "suspended", startedAt: old }, 40 * DAY);

    // Two method outputs; the first is made 40 days old.
    ok(await cli("model", "create", "command/shell", "alpha", "--json"), "model create");
    ok(await cli("model", "method", "run", "alpha", "execute", "--input", "run=echo one", "--json"), "method run 1");
    const outputsDir = join(repo, ".swamp", "outputs", "command", "shell", "execute");
    const [oldOutput] = readdirSync(outputsDir).filter((n) => n.endsWith(".yaml"));
    const oldOutputPath = join(outputsDir, oldOutput!);
    writeFileSync(oldOutputPath, readFileSync(oldOutputPath, "utf8").replace(/(startedAt|completedAt): .*/g, `$1: "${old}"`));
    utimesSync(oldOutputPath, new Date(old), new Date(old));
    ok(await cli("model", "method", "run", "alpha", "execute", "--input", "run=echo two", "--json"), "method run 2");

    // Workflow-lifetime data of the old and the new run, and data of another lifetime.
    const data = new DataRepository({ dataRoot: join(repo, ".swamp", "data") });
    const write = (name: string, lifetime: string, runId?: string) =>
      data.save(
        {
          modelType: "test/store", modelId: "33333333-3333-4333-8333-333333333333", name, contentType: "text/plain", lifetime, garbageCollection: 5,
          tags: { type: "data" },
          ownerDefinition: { ownerType: "model-method", ownerRef: "33333333-3333-4333-8333-333333333333", ...(runId ? { workflowId: WF, workflowRunId: runId, workflowName: "nightly" } : {}) },
        },
        `${name}\n`,
      );
    await write("old-run-data", "workflow", OLD);
    await write("new-run-data", "workflow", NEW);
    await write("kept", "infinite");

    const before = parseJson(ok(await cli("data", "gc", "--dry-run", "--json"), "data gc before").stdout);
    assert.equal(before.dataEntriesExpired, 0, "both runs exist: nothing expires");

    const dry = parseJson(ok(await cli("run", "gc", "--dry-run", "--json"), "run gc dry").stdout);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.workflowRunsDeleted, 1);
    assert.equal(dry.outputsDeleted, 1);
    assert.ok(dry.workflowRunBytesReclaimed > 0 && dry.outputBytesReclaimed > 0);
    assert.equal(dry.totalBytesReclaimed, dry.workflowRunBytesReclaimed + dry.outputBytesReclaimed);
    assert.ok(existsSync(recordFile(repo, OLD)) && existsSync(oldOutputPath), "a dry run deletes nothing");

    const real = parseJson(ok(await cli("run", "gc", "--json"), "run gc").stdout);
    assert.deepEqual(real, { ...dry, dryRun: false });
    assert.equal(existsSync(recordFile(repo, OLD)), false);
    assert.equal(existsSync(recordFile(repo, OLD).replace(/\.yaml$/, ".log")), false);
    assert.equal(existsSync(oldOutputPath), false);
    assert.equal(existsSync(oldOutputPath.replace(/\.yaml$/, ".log")), false);
    assert.equal(readdirSync(outputsDir).filter((n) => n.endsWith(".yaml")).length, 1, "the recent output stays");
    for (const id of [NEW, OLD_RUNNING, OLD_SUSPENDED]) assert.ok(existsSync(recordFile(repo, id)), `${id} stays`);
    const index = JSON.parse(readFileSync(join(runsDir(repo), ".runs-index.json"), "utf8"));
    assert.deepEqual(Object.keys(index.entries).sort(), [NEW, OLD_RUNNING, OLD_SUSPENDED].sort());
    assert.equal(ok(await cli("run", "gc", "--yes"), "run gc again").stdout, "Nothing to clean up.\n");

    const dataDry = parseJson(ok(await cli("data", "gc", "--dry-run", "--json"), "data gc dry").stdout);
    assert.deepEqual(dataDry.expiredEntries.map((e: { dataName: string; reason: string }) => [e.dataName, e.reason]), [["old-run-data", "workflow-deleted"]]);
    const dataReal = parseJson(ok(await cli("data", "gc", "--json"), "data gc").stdout);
    assert.deepEqual(dataReal.expiredEntries, dataDry.expiredEntries);
    assert.equal(await data.get("test/store", "33333333-3333-4333-8333-333333333333", "old-run-data"), null);
    assert.ok(await data.get("test/store", "33333333-3333-4333-8333-333333333333", "new-run-data"));
    assert.ok(await data.get("test/store", "33333333-3333-4333-8333-333333333333", "kept"));
  });
});

test("data get/list --workflow --run return the versions a run recorded; data search --run/--owner-type/--lifetime", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    const R1 = "e1000000-0000-4000-8000-000000000001";
    const R2 = "e2000000-0000-4000-8000-000000000002";
    const alpha = parseJson(ok(await cli("model", "create", "command/shell", "alpha", "--json"), "alpha").stdout).id as string;
    const beta = parseJson(ok(await cli("model", "create", "command/shell", "beta", "--json"), "beta").stdout).id as string;
    const result = async (model: string, text: string) => {
      const out = parseJson(ok(await cli("model", "method", "run", model, "execute", "--input", `run=echo ${text}`, "--json"), `run ${model}`).stdout);
      const a = out.dataArtifacts.find((x: { name: string }) => x.name === "result");
      return { dataId: a.id as string, name: "result", version: a.version as number, tags: {}, modelType: "command/shell" };
    };
    const a1 = { ...(await result("alpha", "first")), modelId: alpha };
    const a2 = { ...(await result("alpha", "second")), modelId: alpha };
    const b1 = { ...(await result("beta", "third")), modelId: beta };
    const step = (stepName: string, artifacts: RunRecord["jobs"][number]["steps"][number]["dataArtifacts"]) => ({ stepName, status: "succeeded" as const, dataArtifacts: artifacts });
    seed(repo, { id: R1, startedAt: "2026-01-01T00:00:00.000Z", jobs: [{ jobName: "main", status: "succeeded", steps: [step("one", [a1])] }] });
    seed(repo, { id: R2, startedAt: "2026-01-02T00:00:00.000Z", jobs: [{ jobName: "main", status: "succeeded", steps: [step("two", [a2]), step("three", [b1])] }] });

    const got = parseJson(ok(await cli("data", "get", "alpha", "result", "--workflow", "nightly", "--run", "e100", "--json"), "get run 1").stdout);
    assert.equal(got.version, 1, "the version run 1 wrote, not today's latest (2)");
    assert.equal(got.modelName, "alpha");
    assert.equal(got.content.stdout, "first");
    const latestRun = parseJson(ok(await cli("data", "get", "--workflow", "nightly", "--run", "latest", "alpha", "result", "--json"), "get latest").stdout);
    assert.equal(latestRun.version, 2);
    assert.equal(parseJson(ok(await cli("data", "get", "beta", "result", "--workflow", WF, "--json"), "by workflow id").stdout).version, 1);
    const both = failed(await cli("data", "get", "--workflow", "nightly", "result", "--json"), "validation_failed");
    assert.match(both.message, /written by several models \(alpha, beta\)/);
    assert.equal(parseJson(ok(await cli("data", "get", "--workflow", "nightly", "--run", R1, "result", "--version", "1", "--json"), "one positional").stdout).version, 1);
    failed(await cli("data", "get", "alpha", "result", "--workflow", "nightly", "--run", R1, "--version", "2", "--json"), "not_found");
    assert.match(failed(await cli("data", "get", "alpha", "result", "--workflow", "nightly", "--run", "zzzz", "--json"), "workflow_run_not_found").message, /Run "zzzz" not found for workflow: nightly/);

    const listed = parseJson(ok(await cli("data", "list", "--workflow", "nightly", "--json"), "list latest").stdout);
    assert.equal(listed.runId, R2);
    assert.equal(listed.runStatus, "succeeded");
    assert.equal(listed.total, 2);
    assert.deepEqual(
      listed.groups.flatMap((g: any) => g.items.map((i: any) => [g.type, i.name, i.version, i.modelName, i.jobName, i.stepName])),
      [["resource", "result", 2, "alpha", "main", "two"], ["resource", "result", 1, "beta", "main", "three"]],
    );
    const text = ok(await cli("data", "list", "--workflow", "nightly", "--run", R1), "list text").stdout;
    assert.match(text, /^Data for workflow nightly \(run e1000000\)/);
    assert.match(text, /result\s+v1\s+alpha\s+main\.one/);

    // A version the run recorded that was since garbage-collected is reported missing, never replaced.
    await new DataRepository({ dataRoot: join(repo, ".swamp", "data") }).removeVersions("command/shell", alpha, "result", [1]);
    assert.match(failed(await cli("data", "get", "alpha", "result", "--workflow", "nightly", "--run", R1, "--json"), "not_found").message, /version 1 that the run recorded no longer exists/);
    const gone = parseJson(ok(await cli("data", "list", "--workflow", "nightly", "--run", R1, "--json"), "list gone").stdout);
    assert.equal(gone.total, 0);
    assert.deepEqual(gone.missing, [{ name: "result", version: 1, modelId: alpha, modelType: "command/shell" }]);

    // search --run matches the owner's workflowRunId or the workflowRunId tag; --owner-type and --lifetime filter.
    const data = new DataRepository({ dataRoot: join(repo, ".swamp", "data") });
    const model = "44444444-4444-4444-8444-444444444444";
    const save = (name: string, owner: Record<string, string>, tags: Record<string, string>, lifetime = "infinite") =>
      data.save({ modelType: "test/store", modelId: model, name, contentType: "text/plain", lifetime, garbageCollection: 5, tags: { type: "data", ...tags }, ownerDefinition: { ownerType: "model-method", ownerRef: model, ...owner } }, "x");
    await save("by-owner", { workflowId: WF, workflowRunId: R2 }, {}, "workflow");
    await save("by-tag", {}, { workflowRunId: R2 });
    await save("step-owned", { ownerType: "workflow-step", ownerRef: `${R1}:main.one` }, {});
    const names = async (...args: string[]) =>
      parseJson(ok(await cli("data", "search", ...args, "--json"), `search ${args.join(" ")}`).stdout).results.map((r: { name: string }) => r.name).sort();
    assert.deepEqual(await names("--run", R2), ["by-owner", "by-tag"]);
    assert.deepEqual(await names("--run", R1), [], "an ownerRef segment is not a run id");
    assert.deepEqual(await names("--owner-type", "workflow-step"), ["step-owned"]);
    assert.deepEqual(await names("--lifetime", "workflow"), ["by-owner"]);
  });
});

test("workflow delete removes the file, every run record and the index; an active run needs --force", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    const created = parseJson(ok(await cli("workflow", "create", "doomed", "--json"), "create").stdout);
    seed(repo, { id: "ddd10000-0000-4000-8000-000000000001", workflowId: created.id, workflowName: "doomed", startedAt: "2026-01-01T00:00:00.000Z" });
    // Still running, owned by a live process on this host (this test).
    seed(repo, { id: "ddd20000-0000-4000-8000-000000000002", workflowId: created.id, workflowName: "doomed", status: "running", pid: process.pid, host: hostname(), heartbeatAt: new Date().toISOString(), startedAt: "2026-01-02T00:00:00.000Z" });
    failed(await cli("workflow", "delete", "doomed", "--json"), "conflict");
    assert.ok(existsSync(join(repo, "workflows", "workflow-doomed.yaml")), "a refused delete leaves the file");
    assert.match((await cli("workflow", "delete", "doomed", "--force")).stderr, /--yes/, "no terminal to ask: refuses without --yes");

    const deleted = parseJson(ok(await cli("workflow", "delete", "doomed", "--force", "--json"), "delete").stdout);
    assert.deepEqual(deleted, { deleted: { id: created.id, name: "doomed", workflowPath: "workflows/workflow-doomed.yaml" }, runsDeleted: 2 });
    assert.ok(!existsSync(join(repo, "workflows", "workflow-doomed.yaml")));
    assert.ok(!existsSync(runsDir(repo, created.id)));
    failed(await cli("workflow", "get", "doomed", "--json"), "workflow_not_found");
  });
});
