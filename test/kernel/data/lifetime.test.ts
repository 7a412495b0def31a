import { test } from "node:test";
import assert from "node:assert/strict";
import { expiryReason, gcPolicyProblem, normalizeLifetime, parseDuration, parseSinceDuration, validateLifetime } from "../../../kernel/data/lifetime.js";
import { resolveTags, parseTag } from "../../../kernel/data/tags.js";
import { resourceSpec, tempRepo } from "./helpers.js";

test("durations convert per the seed table", () => {
  assert.equal(parseDuration("5m"), 5 * 60_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("10d"), 10 * 86_400_000);
  assert.equal(parseDuration("2w"), 2 * 604_800_000);
  assert.equal(parseDuration("1mo"), 2_592_000_000);
  assert.equal(parseDuration("10y"), 10 * 31_536_000_000);
  assert.equal(parseDuration("1s"), null);
  assert.equal(parseDuration("h"), null);
  assert.equal(parseDuration("-1h"), null);
  assert.throws(() => parseSinceDuration("3x"), /Invalid duration format: "3x". Expected format like 1h, 1d, 7d, 1w, 1mo/);
});

test("zero durations normalize to workflow, named lifetimes validate", async () => {
  assert.equal(normalizeLifetime("0h"), "workflow");
  assert.equal(normalizeLifetime("00w"), "workflow");
  assert.equal(normalizeLifetime("1h"), "1h");
  for (const ok of ["ephemeral", "infinite", "job", "workflow", "3mo"]) assert.equal(validateLifetime(ok), ok);
  assert.throws(() => validateLifetime("Infinite"), /Invalid lifetime/);
  assert.equal(gcPolicyProblem(10), null);
  assert.equal(gcPolicyProblem("7d"), null);
  assert.match(gcPolicyProblem(0) ?? "", /positive integer/);
  assert.match(gcPolicyProblem("0d") ?? "", /greater than zero/);
  assert.match(gcPolicyProblem(-2) ?? "", /positive integer/);
  const t = await tempRepo();
  try {
    const meta = await t.repo.save(resourceSpec("w", { lifetime: "0h" }), "{}");
    assert.equal(meta.lifetime, "workflow");
    assert.equal((await t.repo.get("command/shell", resourceSpec("w").modelId, "w"))?.lifetime, "workflow");
  } finally {
    await t.cleanup();
  }
});

test("expiry rules", async () => {
  const created = "2026-01-01T00:00:00.000Z";
  const base = { createdAt: created, ownerDefinition: {} as { workflowId?: string; workflowRunId?: string } };
  const at = (iso: string) => ({ now: new Date(iso) });
  assert.equal(await expiryReason({ ...base, lifetime: "infinite" }, at("2100-01-01T00:00:00Z")), null);
  assert.equal(await expiryReason({ ...base, lifetime: "ephemeral" }, at("2100-01-01T00:00:00Z")), null);
  assert.equal(await expiryReason({ ...base, lifetime: "1h" }, at("2026-01-01T00:59:00Z")), null);
  assert.equal(await expiryReason({ ...base, lifetime: "1h" }, at("2026-01-01T01:00:01Z")), "duration-expired");
  assert.equal(await expiryReason({ ...base, lifetime: "1h", lifecycle: "deleted" }, at("2100-01-01T00:00:00Z")), null, "tombstones never expire");
  const warnings: string[] = [];
  assert.equal(await expiryReason({ ...base, lifetime: "workflow" }, { now: 0, workflowRunExists: () => false, onWarning: (m) => warnings.push(m) }), null, "no ids: never");
  assert.equal(warnings.length, 1);
  const owned = { ...base, ownerDefinition: { workflowId: "wf", workflowRunId: "run" } };
  const seen: string[] = [];
  assert.equal(await expiryReason({ ...owned, lifetime: "workflow" }, { now: 0, workflowRunExists: (w, r) => (seen.push(`${w}/${r}`), true) }), null);
  assert.deepEqual(seen, ["wf/run"]);
  assert.equal(await expiryReason({ ...owned, lifetime: "workflow" }, { now: 0, workflowRunExists: async () => false }), "workflow-deleted");
  assert.equal(await expiryReason({ ...owned, lifetime: "job" }, { now: 0, workflowRunExists: () => false }), "job-deleted");
  assert.equal(await expiryReason({ ...owned, lifetime: "job" }, { now: 0, workflowRunExists: () => { throw new Error("x"); } }), null, "lookup failure: not expired");
  assert.equal(await expiryReason({ ...owned, lifetime: "job" }, { now: 0 }), null, "no callback: not expired");
});

test("tag resolution chain: later layers win, auto-tags injected", () => {
  const tags = resolveTags({
    kind: "resource",
    definitionTags: { env: "dev", team: "a", specName: "nope" },
    specTags: { team: "b", tier: "1" },
    writeTags: { tier: "2" },
    specName: "result",
    modelName: "hello-world",
    workflowTags: { source: "step-output", workflow: "deploy", env: "stage" },
    runtimeTags: { env: "prod" },
    outputOverrideTags: { tier: "3" },
  });
  assert.deepEqual(tags, { type: "resource", env: "prod", team: "b", specName: "result", tier: "3", modelName: "hello-world", source: "step-output", workflow: "deploy" });
  assert.deepEqual(resolveTags({ kind: "file", specName: "log" }), { type: "file", specName: "log" });
  assert.deepEqual(parseTag("a=b=c"), ["a", "b=c"]);
  assert.throws(() => parseTag("=x"), /Invalid tag format: "=x". Expected KEY=VALUE/);
});
