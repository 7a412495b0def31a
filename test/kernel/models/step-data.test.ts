import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeSpecOverrides, stepDeclaredInputs, stepOwner, varySuffixes, workflowTagLayer } from "../../../kernel/models/step-data.js";
import type { WorkflowStepContext } from "../../../kernel/workflows/types.js";

const step: WorkflowStepContext = {
  workflowId: "11111111-1111-4111-8111-111111111111",
  workflowName: "nightly",
  workflowRunId: "22222222-2222-4222-8222-222222222222",
  jobName: "scan-job",
  stepName: "scan-prod",
  workflowTags: { team: "ops", source: "file-tag-loses" },
  stepInputs: { env: "prod" },
};

test("step overrides merge over the definition's field by field; several entries for a spec merge in order", () => {
  const merged = mergeSpecOverrides(
    { state: { lifetime: "7d", garbageCollection: 3, vaultName: "def-vault" }, log: { lifetime: "1h" } },
    [
      { specName: "state", vary: ["env"], tags: { a: "1" } },
      { specName: "state", garbageCollection: "2d", tags: { b: "2" } },
      { specName: "log", lifetime: "0h" },
      { specName: "extra", vaultName: "v" },
    ],
  );
  assert.deepEqual(merged.get("state"), { lifetime: "7d", garbageCollection: "2d", vaultName: "def-vault", vary: ["env"], tags: { a: "1", b: "2" } });
  assert.deepEqual(merged.get("log"), { lifetime: "workflow" }, "a zero duration means workflow");
  assert.deepEqual(merged.get("extra"), { vaultName: "v" });
  assert.deepEqual(mergeSpecOverrides(undefined, undefined).size, 0);
  assert.throws(() => mergeSpecOverrides({}, [{ specName: "s", lifetime: "forever" }]), /Invalid lifetime "forever"/);
  assert.throws(() => mergeSpecOverrides({}, [{ specName: "s", garbageCollection: 0 }]), /must be a positive integer/);
});

test("vary suffixes come from the step inputs; a missing or null key names the dimension and the spec", () => {
  const merged = mergeSpecOverrides({}, [{ specName: "state", vary: ["env", "region"] }, { specName: "log" }]);
  assert.deepEqual([...varySuffixes(merged, { env: "prod", region: { key: "eu" } })], [["state", ["prod", "eu"]]]);
  for (const inputs of [{ env: "prod" }, { env: "prod", region: null }]) {
    assert.throws(() => varySuffixes(merged, inputs), (err: Error & { code?: string }) => {
      assert.equal(err.message, "Vary dimension 'region' not found in step inputs for spec 'state'");
      assert.equal(err.code, "validation_failed");
      return true;
    });
  }
  assert.throws(() => varySuffixes(merged, { env: "a/b", region: "x" }), /Invalid vary value "a\/b" of vary dimension 'env' for spec 'state': must not contain/);
});

test("the workflow tag layer and the owner", () => {
  assert.deepEqual(workflowTagLayer({ ...step, initiatedBy: "ana" }), {
    team: "ops",
    source: "step-output",
    workflow: "nightly",
    workflowId: step.workflowId,
    workflowRunId: step.workflowRunId,
    job: "scan-job",
    step: "scan-prod",
    initiatedBy: "ana",
  });
  assert.equal(workflowTagLayer(step).initiatedBy, undefined);
  assert.deepEqual(stepOwner("def-id", step), {
    ownerType: "model-method",
    ownerRef: "def-id",
    workflowId: step.workflowId,
    workflowRunId: step.workflowRunId,
    workflowName: "nightly",
    jobName: "scan-job",
    stepName: "scan-prod",
    source: "step-output",
  });
});

test("declared inputs come from the step inputs, the step's own values win, undeclared workflow inputs are dropped", () => {
  assert.deepEqual(stepDeclaredInputs(["env", "count", "absent"], { env: "dev", count: 2, other: "x" }, { env: "prod" }), { env: "prod", count: 2 });
  assert.deepEqual(stepDeclaredInputs([], { env: "dev" }, {}), {});
});
