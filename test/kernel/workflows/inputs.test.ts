/**
 * Workflow inputs (§1.4): coercion of `--input` strings, defaults, validation with one line per
 * problem, undeclared inputs, and workflows without an inputs block.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { coerceWorkflowInputs, resolveWorkflowInputs } from "../../../kernel/workflows/inputs.js";
import type { WorkflowInputsSchema } from "../../../kernel/workflows/types.js";

const schema: WorkflowInputsSchema = {
  properties: {
    environment: { type: "string", enum: ["dev", "staging", "production"] },
    replicas: { type: "integer", default: 1 },
    dryRun: { type: "boolean" },
    targets: { type: "array", items: { type: "string" }, minItems: 1 },
    limits: { type: "object", properties: { cpu: { type: "number" } } },
  },
  required: ["environment"],
};

test("strings from --input are coerced to the declared types, nested ones too, and defaults fill the rest", async () => {
  const out = await resolveWorkflowInputs(schema, { environment: "dev", dryRun: "true", targets: '["a","b"]', limits: { cpu: "0.5" }, extra: "kept" });
  assert.deepEqual(out, { environment: "dev", dryRun: true, targets: ["a", "b"], limits: { cpu: 0.5 }, extra: "kept", replicas: 1 });
  assert.deepEqual(await resolveWorkflowInputs(schema, { environment: "dev", replicas: "3" }), { environment: "dev", replicas: 3 });
});

test("every problem is reported, one per line, with the stable code", async () => {
  await assert.rejects(resolveWorkflowInputs(schema, { replicas: "many", environment: "qa" }), (err: Error & { code?: string }) => {
    assert.equal(err.code, "input_validation_failed");
    const [head, ...lines] = err.message.split("\n");
    assert.equal(head, "Input validation failed:");
    assert.ok(lines.every((l) => l.startsWith("  ")));
    assert.ok(lines.some((l) => /replicas must be an integer/.test(l)), err.message);
    assert.ok(lines.some((l) => /environment must be one of: dev, staging, production/.test(l)), err.message);
    return true;
  });
  await assert.rejects(resolveWorkflowInputs(schema, {}), /\n {2}environment is required/);
});

test("additionalProperties: false rejects undeclared inputs; no inputs block passes values through", async () => {
  await assert.rejects(
    resolveWorkflowInputs({ properties: { a: { type: "string" } }, additionalProperties: false }, { a: "x", b: "y" }),
    /b is not a valid input property/,
  );
  assert.deepEqual(await resolveWorkflowInputs(undefined, { n: "1", flag: "true" }), { n: "1", flag: "true" }, "untouched strings");
  assert.deepEqual(coerceWorkflowInputs(schema, { replicas: "2" }), { replicas: 2 }, "coercion alone adds no defaults");
});
