/**
 * The run store: record format (quoted timestamps, both forms read), the per-workflow index
 * kept honest against the files, lookups, deletion, cancel requests and liveness repair.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, writeFileSync, existsSync, mkdirSync, utimesSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { RepoPaths, effectiveDirectories } from "../../../kernel/runtime/paths.js";
import { RunStore, RunWriter, STALE_AFTER_MS, recordFromYaml, recordToYaml } from "../../../kernel/workflows/runs.js";
import type { RunRecord } from "../../../kernel/workflows/types.js";
import { deadPid } from "../../helpers/processes.js";

const WF = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

function store(warnings: string[] = []): { store: RunStore; repo: string } {
  const repo = mkdtempSync(join(tmpdir(), "swamp-runs-"));
  const paths = new RepoPaths(repo, join(repo, ".swamp"), effectiveDirectories(undefined));
  return { store: new RunStore({ paths, repoDir: repo, markDirty: undefined }, { onWarning: (m) => warnings.push(m) }), repo };
}

function run(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    workflowId: WF,
    workflowName: "nightly",
    status: "succeeded",
    startedAt: "2026-04-07T18:02:58.146Z",
    completedAt: "2026-04-07T18:03:10.002Z",
    jobs: [{ jobName: "main", status: "succeeded", steps: [{ stepName: "one", status: "succeeded" }] }],
    tags: { team: "infra" },
    inputs: { env: "prod" },
    triggerSource: "manual",
    ...extra,
  };
}


test("records are YAML with quoted timestamps; unquoted ones are read too; unknown keys survive a rewrite", async () => {
  const { store: s } = store();
  const path = await s.save(run("aaaa1111-0000-4000-8000-000000000001"));
  const text = readFileSync(path, "utf8");
  assert.match(text, /^startedAt: "2026-04-07T18:02:58\.146Z"$/m);
  assert.match(text, /^completedAt: "2026-04-07T18:03:10\.002Z"$/m);
  assert.doesNotMatch(text, /startedAt: 2026/);
  assert.deepEqual((await s.get(WF, "aaaa1111-0000-4000-8000-000000000001"))?.inputs, { env: "prod" });

  const foreign = [
    "id: bbbb",
    `workflowId: ${WF}`,
    "workflowName: nightly",
    "status: failed",
    "startedAt: 2026-04-07T18:02:58.146Z",
    "completedAt: !!timestamp 2026-04-07T18:03:10Z",
    "instanceId: serve-1",
    "jobs:",
    "  - jobName: main",
    "    status: failed",
    "    startedAt: 2026-04-07T18:02:58.146Z",
    "    steps: []",
  ].join("\n");
  const parsed = recordFromYaml(foreign);
  assert.equal(parsed.startedAt, "2026-04-07T18:02:58.146Z");
  assert.equal(typeof parsed.completedAt, "string");
  assert.equal(parsed.jobs[0]?.startedAt, "2026-04-07T18:02:58.146Z");
  assert.deepEqual(parsed.tags, {});
  const again = recordToYaml(parsed);
  assert.match(again, /^instanceId: serve-1$/m);
  assert.match(again, /^ {4}startedAt: "2026-04-07T18:02:58\.146Z"$/m);
});

test("the index is version 2, newest first, and follows records written, changed or removed by another program", async () => {
  const warnings: string[] = [];
  const { store: s, repo } = store(warnings);
  await s.save(run("r-old", { startedAt: "2026-01-01T00:00:00.000Z" }));
  await s.save(run("r-new", { startedAt: "2026-03-01T00:00:00.000Z" }));
  const indexPath = join(repo, ".swamp", "workflow-runs", WF, ".runs-index.json");
  const index = JSON.parse(readFileSync(indexPath, "utf8"));
  assert.equal(index.version, 2);
  assert.deepEqual(Object.keys(index.entries).sort(), ["r-new", "r-old"]);
  assert.equal(index.entries["r-new"].workflowName, "nightly");
  assert.deepEqual((await s.list(WF)).map((r) => r.runId), ["r-new", "r-old"]);

  // Another program adds a record, rewrites one in place and damages a third.
  const dir = join(repo, ".swamp", "workflow-runs", WF);
  writeFileSync(join(dir, "workflow-run-r-mid.yaml"), recordToYaml(run("r-mid", { startedAt: "2026-02-01T00:00:00.000Z" })));
  const changed = recordToYaml(run("r-old", { startedAt: "2026-01-01T00:00:00.000Z", status: "cancelled" }));
  writeFileSync(join(dir, "workflow-run-r-old.yaml"), changed);
  utimesSync(join(dir, "workflow-run-r-old.yaml"), new Date(), new Date(Date.now() + 5000));
  writeFileSync(join(dir, "workflow-run-r-bad.yaml"), "id: [unclosed\n");
  const listed = await s.list(WF);
  assert.deepEqual(listed.map((r) => [r.runId, r.status]), [["r-new", "succeeded"], ["r-mid", "succeeded"], ["r-old", "cancelled"]]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] as string, /damaged workflow run record .*workflow-run-r-bad\.yaml/);

  // A legacy (unversioned) index is rebuilt, a missing record leaves the listing.
  writeFileSync(indexPath, JSON.stringify({ "r-new": { status: "running" } }));
  await s.deleteRun(WF, "r-mid");
  assert.deepEqual((await s.list(WF)).map((r) => r.runId), ["r-new", "r-old"]);
  assert.equal(JSON.parse(readFileSync(indexPath, "utf8")).version, 2);
  assert.deepEqual((await s.listAll()).map((r) => r.runId), ["r-new", "r-old"]);
});

test("lookups: full id, unique prefix, ambiguous prefix, latest; workflows by name", async () => {
  const { store: s } = store();
  await s.save(run("abc12345-0000-4000-8000-000000000001", { startedAt: "2026-01-01T00:00:00.000Z" }));
  await s.save(run("abc99999-0000-4000-8000-000000000002", { startedAt: "2026-02-01T00:00:00.000Z" }));
  await s.save(run("def00000-0000-4000-8000-000000000003", { workflowId: "other-wf", workflowName: "other", startedAt: "2026-03-01T00:00:00.000Z" }));
  assert.deepEqual(await s.find("abc12345-0000-4000-8000-000000000001"), { workflowId: WF, runId: "abc12345-0000-4000-8000-000000000001" });
  assert.deepEqual(await s.find("abc1"), { workflowId: WF, runId: "abc12345-0000-4000-8000-000000000001" });
  assert.deepEqual(await s.find("def"), { workflowId: "other-wf", runId: "def00000-0000-4000-8000-000000000003" });
  await assert.rejects(s.find("abc"), (err: Error & { code?: string }) => {
    assert.equal(err.code, "ambiguous_run_id");
    assert.match(err.message, /^Ambiguous ID prefix "abc" matches:\n {2}abc/);
    return true;
  });
  assert.equal(await s.find("ab"), null, "prefixes shorter than 3 never match");
  assert.equal(await s.find("abc", "other-wf"), null, "scoped to one workflow");
  assert.deepEqual(await s.find("latest", WF), { workflowId: WF, runId: "abc99999-0000-4000-8000-000000000002" });
  assert.equal((await s.latest(WF))?.id, "abc99999-0000-4000-8000-000000000002");
  assert.deepEqual(await s.resolveWorkflow("nightly"), [WF]);
  assert.deepEqual(await s.resolveWorkflow("other-wf"), ["other-wf"]);
  assert.deepEqual(await s.resolveWorkflow("missing"), []);
  await assert.rejects(s.get("../x", "y"), { code: "validation_failed" });
});

test("a running run whose process was killed (SIGKILL) is repaired to failed by the next listing", async () => {
  const { store: s } = store();
  const pid = await deadPid();
  const running: RunRecord = run("dead-run", {
    status: "running",
    completedAt: undefined,
    pid,
    jobs: [{ jobName: "main", status: "running", steps: [{ stepName: "one", status: "succeeded" }, { stepName: "two", status: "running" }, { stepName: "three", status: "pending" }] }],
  });
  delete running.completedAt;
  await s.save(running);
  await s.save(run("live-run", { status: "running", pid: process.pid, host: undefined, startedAt: "2026-05-01T00:00:00.000Z" }));
  const listed = await s.list(WF);
  assert.deepEqual(listed.map((r) => [r.runId, r.status]), [["live-run", "running"], ["dead-run", "failed"]]);
  const repaired = await s.get(WF, "dead-run");
  assert.equal(repaired?.status, "failed");
  assert.equal(repaired?.tags.interrupt_reason, "process_exited");
  assert.equal(repaired?.failedStep, "two");
  assert.ok(repaired?.completedAt);
  assert.equal(repaired?.jobs[0]?.status, "failed");
  assert.deepEqual(repaired?.jobs[0]?.steps.map((st) => st.status), ["succeeded", "failed", "pending"]);
  assert.match(repaired?.jobs[0]?.steps[1]?.error ?? "", /^interrupted/);
});

test("heartbeats decide for other hosts; a pending cancel request turns an orphan into cancelled", async () => {
  const { store: s } = store();
  const stale = new Date(Date.now() - STALE_AFTER_MS - 1000).toISOString();
  const fresh = new Date().toISOString();
  await s.save(run("far-stale", { status: "running", pid: 1, host: "elsewhere.example", heartbeatAt: stale }));
  await s.save(run("far-fresh", { status: "running", pid: 1, host: "elsewhere.example", heartbeatAt: fresh }));
  await s.save(run("suspended", { status: "suspended", pid: await deadPid() }));
  const pid = await deadPid();
  await s.save(run("asked", { status: "running", pid }));
  await s.requestCancel(WF, "asked", "stop it");
  assert.equal(await s.cancelReason(WF, "asked"), "stop it");
  assert.equal(await s.cancelReason(WF, "far-fresh"), null);
  const byId = Object.fromEntries((await s.list(WF)).map((r) => [r.runId, r]));
  assert.equal(byId["far-stale"]?.status, "failed");
  assert.equal(byId["far-fresh"]?.status, "running");
  assert.equal(byId["suspended"]?.status, "suspended", "a suspended run has no process to lose");
  assert.equal(byId["asked"]?.status, "cancelled");
  assert.equal(byId["asked"]?.tags.cancel_reason, "stop it");
  assert.equal(await s.cancelReason(WF, "asked"), null, "the request is consumed");
});

test("exists, deleteRun and deleteWorkflowRuns", async () => {
  const { store: s, repo } = store();
  await s.save(run("one"));
  await s.save(run("two"));
  mkdirSync(join(repo, ".swamp", "workflow-runs", WF), { recursive: true });
  writeFileSync(s.logPath(WF, "one"), "line\n");
  assert.equal(await s.exists(WF, "one"), true);
  assert.equal(await s.exists(WF, "nope"), false);
  assert.equal(await s.exists("../etc", "passwd"), false);
  await s.deleteRun(WF, "one");
  assert.equal(await s.exists(WF, "one"), false);
  assert.equal(existsSync(s.logPath(WF, "one")), false);
  assert.deepEqual((await s.list(WF)).map((r) => r.runId), ["two"]);
  await s.deleteRun(WF, "two");
  assert.equal(existsSync(join(repo, ".swamp", "workflow-runs", WF)), false, "an emptied workflow directory goes");
  await s.save(run("three"));
  await s.save(run("four"));
  assert.equal(await s.deleteWorkflowRuns(WF), 2);
  assert.deepEqual(await s.listAll(), []);
  assert.equal(existsSync(join(repo, ".swamp", "workflow-runs", WF)), false);
});

test("RunWriter: queued saves end with the latest state and stamp liveness; the heartbeat re-saves", async () => {
  const { store: s } = store();
  const record = run("writer", { status: "running" });
  delete record.completedAt;
  const writer = new RunWriter(s, record);
  // Queue many saves while the status moves on: the latest state is what stays on disk.
  const saves: Promise<string>[] = [];
  for (let i = 0; i < 20; i++) saves.push(writer.save());
  record.status = "succeeded";
  record.completedAt = "2026-04-07T18:03:10.002Z";
  saves.push(writer.save());
  await Promise.all(saves);
  const saved = await s.get(WF, "writer");
  assert.equal(saved?.status, "succeeded");
  assert.equal(saved?.pid, process.pid);
  assert.equal(saved?.host, hostname());
  const firstBeat = saved?.heartbeatAt;
  assert.ok(firstBeat);

  record.status = "running";
  const beats: string[] = [];
  writer.startHeartbeat(undefined, 20);
  for (let polls = 0; beats.length < 2 && polls < 400; polls++) {
    await new Promise((r) => setTimeout(r, 25));
    const beat = (await s.get(WF, "writer"))?.heartbeatAt;
    if (beat && beat !== firstBeat && !beats.includes(beat)) beats.push(beat);
  }
  writer.stopHeartbeat();
  assert.equal(beats.length, 2, "two heartbeats landed");
  assert.equal(await writer.cancelReason(), null);
  await s.requestCancel(WF, "writer", "halt");
  assert.equal(await writer.cancelReason(), "halt");
});

test("while the run directory is unchanged a listing reads no record; a record renamed in by another program is noticed", async () => {
  const { store: s } = store();
  const ids = ["cccc0001-0000-4000-8000-000000000001", "cccc0002-0000-4000-8000-000000000002", "cccc0003-0000-4000-8000-000000000003"];
  for (const id of ids) await s.save(run(id));
  assert.equal((await s.list(WF)).length, 3);
  // Overwrite every record in place (the directory does not change): the listing must come
  // from the index alone, so the damage is not even seen.
  for (const id of ids) writeFileSync(s.recordPath(WF, id), "not: [a record");
  assert.deepEqual((await s.list(WF)).map((r) => r.runId).sort(), ids);
  // A record renamed into place (how swamp and we write) changes the directory: noticed.
  const foreign = "cccc0004-0000-4000-8000-000000000004";
  writeFileSync(join(s.workflowDir(WF), "tmp-foreign"), recordToYaml(run(foreign)));
  renameSync(join(s.workflowDir(WF), "tmp-foreign"), s.recordPath(WF, foreign));
  const after = (await s.list(WF)).map((r) => r.runId);
  assert.ok(after.includes(foreign), `the renamed-in record is listed: ${after.join(", ")}`);
});
