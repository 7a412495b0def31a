/**
 * The up-front phase: what it leaves for forEach expansion and step time (§1.14), and strict
 * vs lenient evaluation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExpressionContext } from "../../../kernel/expressions/context.js";
import { Redactor } from "../../../kernel/runtime/redact.js";
import { deferredUpFront, evaluateAtStepTime, evaluateUpFront } from "../../../kernel/workflows/expressions.js";

test("deferred up front: env, vault, self, run, forEach.in, guard, and data reads in task inputs", () => {
  const step = "jobs[0].steps[1]";
  assert.equal(deferredUpFront(`${step}.task.inputs.a`, "inputs.x"), false);
  assert.equal(deferredUpFront(`${step}.name`, "data.latest('m', 'x').version"), false, "data reads outside task inputs are up front");
  assert.equal(deferredUpFront(`${step}.task.inputs.a`, "data.latest('m', 'x').version"), true);
  assert.equal(deferredUpFront(`${step}.task.inputs`, "model.m.resource.result.result.attributes"), true);
  assert.equal(deferredUpFront(`${step}.task.globalArgs.a`, "file.contents('m', 'log')"), true);
  assert.equal(deferredUpFront(`${step}.task.inputs.a`, "env.HOME"), true);
  assert.equal(deferredUpFront(`${step}.task.inputs.a`, "vault.get('v', 'k')"), true);
  assert.equal(deferredUpFront(`${step}.name`, "self.env"), true);
  assert.equal(deferredUpFront(`${step}.task.methodName`, "run.id"), true);
  assert.equal(deferredUpFront(`${step}.forEach.in`, "inputs.list"), true);
  assert.equal(deferredUpFront(`${step}.guard`, "inputs.skip"), true);
  assert.equal(deferredUpFront("trigger.inputs.a", "inputs.x"), true);
});

test("up front is strict (a failure throws, naming the field); lenient keeps the text; step time resolves env", async () => {
  const wf = { jobs: [{ name: "j", steps: [{ name: "s-${{ self.x }}", task: { inputs: { a: "${{ inputs.n + 1 }}", b: "${{ env.HOME }}" } } }] }] };
  const ctx = new ExpressionContext({ inputs: { n: 1 } });
  const { value } = await evaluateUpFront(wf, ctx);
  assert.deepEqual(value.jobs[0]!.steps[0]!.task.inputs, { a: 2, b: "${{ env.HOME }}" });
  assert.equal(value.jobs[0]!.steps[0]!.name, "s-${{ self.x }}");
  const bad = { jobs: [{ name: "j", steps: [{ name: "s", task: { inputs: { a: "${{ inputs.missing.deeper }}" } } }] }] };
  await assert.rejects(evaluateUpFront(bad, ctx), (err: Error & { code?: string }) => err.code === "expression_failed" && /jobs\[0\]\.steps\[0\]\.task\.inputs\.a/.test(err.message));
  const lenient = await evaluateUpFront(bad, ctx, { lenient: true });
  assert.equal(lenient.unevaluated.length, 1);
  assert.equal(lenient.value.jobs[0]!.steps[0]!.task.inputs.a, "${{ inputs.missing.deeper }}");
  const atStep = await evaluateAtStepTime({ b: "${{ env.HOME }}", c: "${{ self.x }}" }, new ExpressionContext({ self: { x: "it" } }), { env: { HOME: "/h" }, redactor: new Redactor() });
  assert.deepEqual(atStep, { b: "/h", c: "it" });
});
