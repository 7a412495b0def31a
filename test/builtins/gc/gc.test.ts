import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { applyGc, gcResultOf, planGc, runGc, versionsOutsidePolicy } from "../../../builtins/gc/index.js";
import { queryData } from "../../../kernel/data/query.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import type { DataMetadata } from "../../../kernel/data/metadata.js";
import { MODEL_ID, MODEL_TYPE, resourceSpec, tempRepo } from "../../kernel/data/helpers.js";

const DAY = 86_400_000;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A repo whose clock we set per write. */
async function clockedRepo() {
  let now = T0;
  const t = await tempRepo({ now: () => new Date(now) });
  return { ...t, at: (ms: number) => (now = ms) };
}

async function seed() {
  const t = await clockedRepo();
  const r = t.repo;
  const write = async (name: string, day: number, overrides: Parameters<typeof resourceSpec>[1] = {}, body = `{"d":${day}}`) => {
    t.at(T0 + day * DAY);
    return r.save(resourceSpec(name, overrides), body);
  };
  // keep3: 6 versions, keep the newest 3
  for (let d = 0; d < 6; d++) await write("keep3", d, { garbageCollection: 3 });
  // week: duration policy 7d; versions on days 0, 5, 10, 20 → at day 21 cutoff is day 14
  for (const d of [0, 5, 10, 20]) await write("week", d, { garbageCollection: "7d" });
  // short: expires (lifetime 2d) with 5 versions and gc 1 — counted once, in phase 1
  for (let d = 0; d < 5; d++) await write("short", d, { lifetime: "2d", garbageCollection: 1 }, "x".repeat(10 + d));
  // long: lifetime 30d, still alive, 1 version
  await write("long", 15, { lifetime: "30d" });
  // workflow/job lifetimes
  const wfOwner = { ownerType: "model-method", ownerRef: MODEL_ID, workflowId: "wf", workflowRunId: "gone-run" };
  await write("wf-data", 1, { lifetime: "workflow", ownerDefinition: wfOwner });
  await write("job-data", 1, { lifetime: "job", ownerDefinition: wfOwner });
  await write("live-wf", 1, { lifetime: "workflow", ownerDefinition: { ...wfOwner, workflowRunId: "live-run" } });
  await write("no-ids", 1, { lifetime: "workflow" });
  // a deletion marker (never expires, but is pruned by policy) and a rename tombstone (left alone)
  for (let d = 0; d < 3; d++) await write("marked", d, { lifetime: "1d", garbageCollection: 1 });
  t.at(T0 + 3 * DAY);
  await r.writeDeletionMarker(MODEL_TYPE, MODEL_ID, "marked", { deletedByMethod: "delete" });
  for (let d = 0; d < 3; d++) await write("old-name", d, { lifetime: "1d", garbageCollection: 1 });
  t.at(T0 + 4 * DAY);
  await r.rename(MODEL_TYPE, MODEL_ID, "old-name", "new-name");
  return t;
}

const options = { now: T0 + 21 * DAY, workflowRunExists: (_wf: string, run: string) => run === "live-run" };

test("plan: expiry reasons, version pruning, no double counting, bytes from raw", async () => {
  const t = await seed();
  try {
    const plan = await planGc(t.repo, options);
    const expired = Object.fromEntries(plan.expired.map((e) => [e.dataName, [e.reason, e.versions.length]]));
    assert.deepEqual(expired, {
      "job-data": ["job-deleted", 1],
      "new-name": ["duration-expired", 1],
      short: ["duration-expired", 5],
      "wf-data": ["workflow-deleted", 1],
    });
    const pruned = Object.fromEntries(plan.pruned.map((p) => [p.dataName, p.versions.map((v) => v.version)]));
    assert.deepEqual(pruned, { keep3: [1, 2, 3], marked: [1, 2, 3], week: [1, 2, 3] });
    const short = plan.expired.find((e) => e.dataName === "short")!;
    assert.deepEqual(short.versions.map((v) => v.bytes), [10, 11, 12, 13, 14]);
    assert.equal(plan.dataEntriesExpired, 4);
    assert.equal(plan.versionsDeleted, 1 + 1 + 5 + 1 + 9);
    const keep3Bytes = plan.pruned.find((p) => p.dataName === "keep3")!.versions.reduce((s, v) => s + v.bytes, 0);
    assert.equal(keep3Bytes, '{"d":0}'.length * 3);
    const result = gcResultOf(plan, true);
    assert.deepEqual(Object.keys(result), ["dataEntriesExpired", "versionsDeleted", "bytesReclaimed", "dryRun", "expiredEntries"]);
    assert.deepEqual(result.expiredEntries.find((e) => e.dataName === "short"), {
      type: "command/shell",
      modelId: MODEL_ID,
      dataName: "short",
      reason: "duration-expired",
      versionCount: 5,
    });
  } finally {
    await t.cleanup();
  }
});

test("dry run reports exactly what the real run deletes; inside-policy versions survive", async () => {
  const t = await seed();
  try {
    const dry = await runGc(t.repo, { ...options, dryRun: true });
    assert.equal(dry.dryRun, true);
    const modelDir = join(t.dataRoot, "command", "shell", MODEL_ID);
    assert.ok(existsSync(join(modelDir, "short", "1")), "dry run deletes nothing");
    const progress: number[] = [];
    const real = await runGc(t.repo, { ...options, onProgress: (done, total) => progress.push(done / total) });
    assert.deepEqual({ ...real, dryRun: true }, dry, "same counts, bytes and entries");
    assert.equal(progress.at(-1), 1);
    for (const name of ["short", "wf-data", "job-data", "new-name"]) assert.equal(existsSync(join(modelDir, name)), false, `${name} removed`);
    const remaining = async (name: string) => (await readdir(join(modelDir, name))).filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b);
    assert.deepEqual(await remaining("keep3"), [4, 5, 6]);
    assert.deepEqual(await remaining("week"), [4]);
    assert.deepEqual(await remaining("marked"), [4]);
    assert.deepEqual(await remaining("old-name"), [1, 2, 3, 4], "tombstoned name untouched");
    assert.deepEqual(await remaining("long"), [1]);
    assert.deepEqual(await remaining("live-wf"), [1]);
    assert.deepEqual(await remaining("no-ids"), [1]);
    assert.equal(await readFile(join(modelDir, "keep3", "latest"), "utf8"), "6");
    // The index agrees with the files, in this process and a fresh one.
    const fresh = new DataRepository({ dataRoot: t.dataRoot });
    assert.deepEqual((await fresh.versions(MODEL_TYPE, MODEL_ID, "keep3")).map((m) => m.version), [6, 5, 4]);
    const q = await queryData(fresh, 'name == "short" || name == "keep3" && version >= 0');
    assert.deepEqual(q.records.map((r) => r.version), [6, 5, 4]);
    // Nothing left to do.
    const again = await runGc(t.repo, options);
    assert.deepEqual([again.dataEntriesExpired, again.versionsDeleted, again.bytesReclaimed], [0, 0, 0]);
  } finally {
    await t.cleanup();
  }
});

test("applyGc deletes exactly the plan and marks dirty in bulk", async () => {
  const t = await seed();
  try {
    const plan = await planGc(t.repo, options);
    plan.pruned = plan.pruned.filter((p) => p.dataName === "keep3");
    plan.expired = [];
    t.dirty.length = 0;
    const result = await applyGc(t.repo, plan);
    assert.equal(t.dirty[0], undefined);
    assert.equal(result.versionsDeleted, 3);
    assert.equal(result.dataEntriesExpired, 0);
    assert.ok(existsSync(join(t.dataRoot, "command", "shell", MODEL_ID, "short")), "not in the plan: kept");
  } finally {
    await t.cleanup();
  }
});

test("policy helper never deletes the highest version", () => {
  const mk = (version: number, day: number) => ({ version, createdAt: new Date(T0 + day * DAY).toISOString() }) as DataMetadata;
  const versions = [mk(1, 0), mk(2, 1), mk(3, 2)];
  assert.deepEqual(versionsOutsidePolicy(versions, 1, T0 + 100 * DAY).map((m) => m.version), [1, 2]);
  assert.deepEqual(versionsOutsidePolicy(versions, 5, T0).map((m) => m.version), []);
  assert.deepEqual(versionsOutsidePolicy(versions, "1d", T0 + 100 * DAY).map((m) => m.version), [1, 2]);
  assert.deepEqual(versionsOutsidePolicy(versions, "1d", T0 + 1.5 * DAY).map((m) => m.version), [1]);
  assert.deepEqual(versionsOutsidePolicy([mk(1, 0)], 1, T0 + 100 * DAY), []);
});

test("applyGc settles planned versions already gone from disk (an interrupted run): the index drops them too", async () => {
  const t = await seed();
  try {
    const plan = await planGc(t.repo, options);
    const keep3 = plan.pruned.find((p) => p.dataName === "keep3");
    assert.deepEqual(keep3?.versions.map((v) => v.version), [1, 2, 3]);
    // A run killed after moving version 2 aside: the directory is gone, the journal still lists it.
    const nameDir = join(t.dataRoot, "command", "shell", MODEL_ID, "keep3");
    await rm(join(nameDir, "2"), { recursive: true });
    const result = await applyGc(t.repo, plan);
    assert.equal(result.errors, undefined);
    const fresh = new DataRepository({ dataRoot: t.dataRoot });
    assert.deepEqual((await fresh.versions(MODEL_TYPE, MODEL_ID, "keep3")).map((m) => m.version), [6, 5, 4]);
    const q = await queryData(fresh, 'name == "keep3" && version >= 0', { hydrate: false });
    assert.deepEqual(q.records.map((r) => r.version), [6, 5, 4]);
  } finally {
    await t.cleanup();
  }
});

test("applyGc over many models and names removes exactly the plan, in plan order, and leaves no trash", async () => {
  const t = await clockedRepo();
  try {
    const ids = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    for (const [m, id] of ids.entries()) {
      for (let n = 0; n < 3; n++) {
        for (let v = 0; v < 4; v++) {
          t.at(T0 + (m * 100 + n * 10 + v) * 1000);
          const lifetime = n === 2 && m % 3 === 0 ? "1d" : "infinite";
          await t.repo.save(resourceSpec(`n${n}`, { modelId: id, garbageCollection: 2, lifetime, ownerDefinition: { ownerType: "model-method", ownerRef: id } }), `{"v":${v}}`);
        }
      }
    }
    const plan = await planGc(t.repo, { now: T0 + 10 * DAY });
    const dry = gcResultOf(plan, true);
    const real = await applyGc(t.repo, plan);
    assert.deepEqual({ ...real, dryRun: true }, dry);
    assert.equal(real.versionsDeleted, 4 * 4 + 32 * 2, "expired names: all 4 versions; the rest: 2 beyond the policy");
    assert.deepEqual(real.expiredEntries.map((e) => e.modelId), plan.expired.map((e) => e.modelId));
    for (const [m, id] of ids.entries()) {
      const modelDir = join(t.dataRoot, "command", "shell", id);
      const entries = await readdir(modelDir);
      assert.equal(entries.filter((e) => e.includes(".deleting-")).length, 0);
      for (let n = 0; n < 3; n++) {
        const expired = n === 2 && m % 3 === 0;
        assert.equal(existsSync(join(modelDir, `n${n}`)), !expired);
        if (expired) continue;
        const left = (await readdir(join(modelDir, `n${n}`))).filter((e) => /^\d+$/.test(e)).sort();
        assert.deepEqual(left, ["3", "4"]);
        const versions = await new DataRepository({ dataRoot: t.dataRoot }).versions(MODEL_TYPE, id, `n${n}`);
        assert.deepEqual(versions.map((v) => v.version), [4, 3]);
      }
    }
  } finally {
    await t.cleanup();
  }
});
