/**
 * `workflow validate` checks (§1.15) over fake definitions and model types: their order and
 * names, named cycles, bad references, model/method/required-input checks (instances only
 * warn), dynamic steps, unsupported task kinds, asserts, duplicate names and bad CEL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import type { ModelTypePlugin } from "../../../kernel/contract/ports/model-type.js";
import { parseWorkflow } from "../../../kernel/workflows/schema.js";
import type { StoredWorkflow } from "../../../kernel/workflows/types.js";
import { findCycle, validateWorkflow, type DefinitionFacts, type ValidationEnvironment, type WorkflowValidation } from "../../../kernel/workflows/validate.js";

const shell: ModelTypePlugin = {
  type: "command/shell",
  version: "2026.01.01.1",
  methods: {
    execute: { description: "run", arguments: z.object({ run: z.string(), timeout: z.number().default(60) }), async execute() {} },
  },
};

const definitions: Record<string, DefinitionFacts> = {
  greeter: { name: "greeter", type: "command/shell", globalArguments: {}, methods: { execute: { arguments: { run: "echo hi" } } } },
  bare: { name: "bare", type: "command/shell", globalArguments: {}, methods: {} },
  ghost: { name: "ghost", type: "nope/missing", globalArguments: {}, methods: {} },
};

const env: ValidationEnvironment = {
  async findDefinition(ref) {
    return definitions[ref] ?? null;
  },
  async loadType(type) {
    if (type === "command/shell") return shell;
    throw new Error(`Unknown model type: ${type}`);
  },
  parseExpression(source) {
    if (source.includes("((")) throw new Error("Syntax error: unbalanced parentheses");
  },
};

const task = (model: string, extra: Record<string, unknown> = {}) => ({ type: "model_method", modelIdOrName: model, methodName: "execute", ...extra });

function stored(jobs: unknown[], name = "wf"): StoredWorkflow {
  return { workflow: parseWorkflow({ id: "3fa85f64-5717-4562-b3fc-2c963f66afa6", name, jobs }), path: `/repo/workflows/workflow-${name}.yaml` };
}

const byName = (v: WorkflowValidation, name: string) => v.validations.find((c) => c.name === name);

test("a sound workflow passes every check, in the reference's order", async () => {
  const v = await validateWorkflow(stored([{ name: "main", steps: [{ name: "hello", task: task("greeter") }] }]), env);
  assert.equal(v.passed, true, JSON.stringify(v.validations));
  assert.deepEqual(
    v.validations.map((c) => c.name),
    [
      "Schema validation",
      "Unique job names",
      "Unique step names in job 'main'",
      "Valid job dependency references",
      "Valid step dependency references in job 'main'",
      "No cyclic job dependencies",
      "No cyclic step dependencies in job 'main'",
      "Step inputs for 'hello' in job 'main' (greeter.execute)",
      "Valid expressions",
    ],
  );
});

test("duplicates, bad references and cycles fail with the offending names", async () => {
  const s = (name: string, deps: string[] = []) => ({ name, task: task("greeter"), dependsOn: deps.map((step) => ({ step, condition: { type: "succeeded" } })) });
  const v = await validateWorkflow(
    stored([
      { name: "a", steps: [s("x", ["y"]), s("y", ["x"]), s("z", ["missing"])], dependsOn: [{ job: "b", condition: { type: "succeeded" } }] },
      { name: "b", steps: [s("x"), s("x")], dependsOn: [{ job: "a", condition: { type: "always" } }, { job: "nowhere", condition: { type: "always" } }] },
      { name: "b", steps: [s("q")] },
    ]),
    env,
  );
  assert.equal(v.passed, false);
  assert.equal(byName(v, "Unique job names")?.error, "Duplicate job names: b");
  assert.equal(byName(v, "Unique step names in job 'b'")?.error, "Duplicate step names: x");
  assert.equal(byName(v, "Valid job dependency references")?.error, "Invalid job references: b -> nowhere");
  assert.equal(byName(v, "Valid step dependency references in job 'a'")?.error, "Invalid step references: z -> missing");
  assert.equal(byName(v, "No cyclic job dependencies")?.error, "Cyclic dependency detected: a -> b -> a");
  assert.equal(byName(v, "No cyclic step dependencies in job 'a'")?.error, "Cyclic dependency detected: x -> y -> x");
  assert.equal(findCycle(["a", "b", "c"], new Map([["a", ["b"]], ["b", ["c"]], ["c", []]])), null);
});

test("step inputs: unknown instance warns; unknown type, unknown method and missing required inputs fail", async () => {
  const v = await validateWorkflow(
    stored([
      {
        name: "main",
        steps: [
          { name: "later", task: task("not-yet") },
          { name: "typeless", task: task("ghost") },
          { name: "nomethod", task: { ...task("greeter"), methodName: "explode" } },
          { name: "noargs", task: task("bare") },
          { name: "given", task: task("bare", { inputs: { run: "echo" } }) },
          { name: "direct", task: { type: "model_method", modelType: "command/shell", modelName: "d", methodName: "execute" } },
          { name: "dynamic", task: task("${{ inputs.model }}") },
          { name: "whole", task: task("bare", { inputs: "${{ inputs.all }}" }) },
        ],
      },
    ]),
    env,
  );
  const at = (step: string, model: string, method = "execute") => byName(v, `Step inputs for '${step}' in job 'main' (${model}.${method})`);
  assert.equal(at("later", "not-yet")?.passed, true);
  assert.match(at("later", "not-yet")?.warning ?? "", /^Model instance not found — may be created at runtime/);
  assert.match(at("typeless", "ghost")?.error ?? "", /^Model type 'nope\/missing' could not be resolved — Unknown model type/);
  assert.equal(at("nomethod", "greeter", "explode")?.error, "Method 'explode' not found on model type 'command/shell'");
  assert.equal(at("noargs", "bare")?.error, "Missing required inputs: run", "defaulted arguments are not required");
  assert.equal(at("given", "bare")?.passed, true);
  assert.equal(at("direct", "d")?.error, "Missing required inputs: run");
  assert.equal(at("dynamic", "${{ inputs.model }}")?.passed, true);
  assert.equal(at("whole", "bare")?.passed, true);
  assert.equal(v.totalWarnings, 1);
  assert.equal(v.passed, false);
});

test("task kinds not run yet, wrapped assert expressions, bad CEL and duplicate workflow names fail", async () => {
  const one = stored(
    [
      {
        name: "main",
        steps: [
          { name: "nested", task: { type: "workflow", workflowIdOrName: "other" } },
          { name: "check", task: { type: "assert", expr: "${{ 1 == 1 }}", message: "m" } },
          { name: "cel", task: task("greeter", { inputs: { run: "${{ ((inputs.x }}" } }) },
        ],
      },
    ],
    "dup",
  );
  const other = { ...stored([{ name: "j", steps: [{ name: "s", task: task("greeter") }] }], "dup"), path: "/repo/workflows/workflow-other.yaml" };
  const v = await validateWorkflow(one, { ...env, allWorkflows: [one, other], displayPath: (p) => p.replace("/repo/", "") });
  assert.equal(byName(v, "Unique workflow name")?.error, "Workflow name 'dup' is also used by workflows/workflow-other.yaml");
  assert.equal(byName(v, "Task type of 'nested' in job 'main'")?.error, "Task type 'workflow' is not supported yet");
  assert.match(byName(v, "Assert expression in 'check' in job 'main'")?.error ?? "", /^assert expr must be a raw CEL expression — remove the \$\{\{ \}\} wrapper/);
  assert.match(byName(v, "Valid expressions")?.error ?? "", /jobs\[0\]\.steps\[2\]\.task\.inputs\.run: \$\{\{ \(\(inputs\.x \}\}: Syntax error/);
  assert.equal(v.passed, false);
});

test("an extension workflow shadowed by this one is a warning on this one, never a failure", async () => {
  const own = stored([{ name: "main", steps: [{ name: "hello", task: task("greeter") }] }], "deploy");
  const ext: StoredWorkflow = { ...stored([{ name: "main", steps: [{ name: "hi", task: task("greeter") }] }], "deploy"), path: "/src/deploy.yaml", origin: { type: "source", source: "../src" } };
  const v = await validateWorkflow(own, { ...env, allWorkflows: [own], shadowed: [{ workflow: ext, by: own.path }] });
  assert.equal(v.passed, true);
  assert.equal(v.totalWarnings, 1);
  assert.deepEqual(byName(v, "Shadowed extension workflows"), {
    name: "Shadowed extension workflows",
    passed: true,
    warning: "This workflow shadows the extension workflow 'deploy' from extension source ../src (/src/deploy.yaml); this file is the one used",
  });
  const unrelated = await validateWorkflow(stored([{ name: "main", steps: [{ name: "hello", task: task("greeter") }] }], "other"), { ...env, shadowed: [{ workflow: ext, by: own.path }] });
  assert.equal(byName(unrelated, "Shadowed extension workflows"), undefined);
});
