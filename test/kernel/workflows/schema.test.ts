/**
 * The workflow file schema: defaults written out, name rules, every authoring error of §1.7,
 * unknown keys with did-you-mean, dependsOn forms, recursive conditions, overrides, and the
 * file text (YAML and schema errors carry their line).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseWorkflowText, serializeWorkflow } from "../../../kernel/workflows/repository.js";
import { defaultWorkflow, newWorkflowNameProblem, parseWorkflow, workflowJsonSchemas, workflowNameProblem } from "../../../kernel/workflows/schema.js";

const ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

function wf(step: Record<string, unknown> = {}, job: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    name: "deploy",
    jobs: [{ name: "main", steps: [{ name: "build", task: { type: "model_method", modelIdOrName: "m", methodName: "run" }, ...step }], ...job }],
    ...top,
  };
}

function message(data: unknown): string {
  try {
    parseWorkflow(data);
  } catch (err) {
    assert.equal((err as { code?: string }).code, "workflow_invalid");
    return (err as Error).message;
  }
  assert.fail("expected the workflow to be rejected");
}

test("defaults are filled in and written out in the reference's layout", () => {
  const parsed = parseWorkflow(wf());
  assert.equal(parsed.version, 1);
  assert.deepEqual(parsed.tags, {});
  assert.deepEqual(parsed.jobs[0]!.dependsOn, []);
  assert.equal(parsed.jobs[0]!.weight, 0);
  const step = parsed.jobs[0]!.steps[0]!;
  assert.deepEqual([step.dependsOn, step.weight, step.allowFailure], [[], 0, false]);
  const text = serializeWorkflow(defaultWorkflow(ID, "my-deploy"));
  assert.match(text, /^id: 3fa85f64-5717-4562-b3fc-2c963f66afa6\nname: my-deploy\ntags: \{\}\njobs:\n/);
  assert.match(text, /allowFailure: false\n    dependsOn: \[\]\n    weight: 0\nversion: 1\n$/);
  const back = parseWorkflowText(text, "/w/workflow-my-deploy.yaml");
  assert.ok(back.ok);
  assert.deepEqual(back.stored.workflow, defaultWorkflow(ID, "my-deploy"), "the file reads back unchanged");
});

test("name rules: the base rule for files, the strict form for new names", () => {
  assert.match(workflowNameProblem("../x") ?? "", /path traversal/);
  assert.match(workflowNameProblem("a/b") ?? "", /only allowed in scoped @collective\/name/);
  assert.equal(workflowNameProblem("@acme/deploy"), null);
  assert.equal(workflowNameProblem("Legacy_Name"), null, "files on disk keep legacy names");
  assert.match(newWorkflowNameProblem("Legacy_Name") ?? "", /lowercase alphanumeric with hyphens/);
  assert.match(newWorkflowNameProblem("a".repeat(65)) ?? "", /at most 64 characters/);
  assert.equal(newWorkflowNameProblem("deploy-pipeline"), null);
  assert.equal(newWorkflowNameProblem("@acme/deploy"), null);
  assert.match(message(wf({}, {}, { name: "a/../b" })), /path traversal/);
});

test("unknown keys name the entity, suggest the closest key, and list the valid ones", () => {
  assert.equal(
    message(wf({ lables: { gpu: "yes" } })),
    "Unknown key 'lables' on step 'build'. Did you mean 'labels'? Valid step keys: name, description, task, dependsOn, weight, allowFailure, forEach, guard, concurrency, dataOutputOverrides, target, labels, platform, queueTimeout",
  );
  assert.match(message(wf({}, { dependson: [] })), /^Unknown key 'dependson' on job 'main'\. Did you mean 'dependsOn'\?/);
  assert.match(message(wf({}, {}, { descripton: "x" })), /^Unknown key 'descripton' on workflow 'deploy'\. Did you mean 'description'\?/);
  const far = message(wf({}, {}, { zzzzzz: 1 }));
  assert.match(far, /^Unknown key 'zzzzzz' on workflow 'deploy'\. Valid workflow keys: id, name,/);
  assert.doesNotMatch(far, /Did you mean/, "no suggestion when nothing is close");
  assert.match(message(wf({ task: { type: "model_method", modelIdOrName: "m", methodNam: "run" } })), /Unknown key 'methodNam' on task 'build'\. Did you mean 'methodName'\?/);
  assert.match(message(wf({ driver: "docker" })), /^Key 'driver' on step 'build' is no longer supported in workflows: .*model definition/);
  assert.match(message(wf({}, { driverConfig: {} })), /^Key 'driverConfig' on job 'main' is no longer supported/);
});

test("model_method authoring errors (§1.7)", () => {
  const task = (t: Record<string, unknown>) => message(wf({ task: { type: "model_method", methodName: "run", ...t } }));
  assert.match(task({ modelIdOrName: "m", modelType: "command/shell", modelName: "x" }), /Step task has both modelIdOrName and modelType\. Use either/);
  assert.match(task({}), /Step task requires either modelIdOrName or modelType \+ modelName\./);
  assert.match(task({ modelType: "command/shell" }), /modelType requires modelName to name the auto-created definition\./);
  assert.match(task({ modelIdOrName: "m", globalArgs: { a: 1 } }), /globalArgs is only valid with direct type execution \(modelType \+ modelName\)/);
  assert.match(task({ modelIdOrName: "m", arguments: { a: 1 } }), /^Unknown field "arguments" in step task\. Did you mean "inputs"\? e\.g\. task: \{ type: model_method, .*inputs: \{ key: value \} \}$/);
  assert.doesNotMatch(message(wf({ task: { type: "shell", run: "echo" } })), /\n/, "one line, so every renderer shows all of it");
  assert.match(message(wf({ task: { type: "shell", run: "echo" } })), /^Step task type "shell" is no longer supported\. Use 'type: model_method' with the 'command\/shell' model instead/);
  assert.match(task({ modelIdOrName: "m", inputs: "not an expression" }), /inputs: must be a map of values or a single \$\{\{ … \}\} expression/);
  // Both variants parse.
  parseWorkflow(wf({ task: { type: "model_method", modelType: "command/shell", modelName: "direct", methodName: "execute", globalArgs: { a: 1 }, inputs: "${{ inputs.all }}" } }));
});

test("dependsOn: objects with recursive conditions; strings are rejected with the object form", () => {
  const parsed = parseWorkflow({
    id: ID,
    name: "deploy",
    jobs: [
      { name: "a", steps: [{ name: "s", task: { type: "model_method", modelIdOrName: "m", methodName: "run" } }] },
      {
        name: "b",
        dependsOn: [
          { job: "a", condition: { type: "or", conditions: [{ type: "failed" }, { type: "not", condition: { type: "and", conditions: [{ type: "skipped" }, { type: "always" }] } }] } },
          { job: "a" },
        ],
        steps: [{ name: "s", task: { type: "model_method", modelIdOrName: "m", methodName: "run" }, dependsOn: [] }],
      },
    ],
  });
  assert.equal(parsed.jobs[1]!.dependsOn[0]!.condition.type, "or");
  assert.deepEqual(parsed.jobs[1]!.dependsOn[1]!.condition, { type: "succeeded" }, "a missing condition waits for success");
  assert.match(message(wf({}, { dependsOn: ["build"] })), /^dependsOn entries must be objects, not strings: write "- build" as "- \{ job: build, condition: \{ type: succeeded \} \}"$/);
  assert.match(message(wf({ dependsOn: ["x"] })), /"- \{ step: x, condition/);
  assert.match(message(wf({}, { dependsOn: [{ job: "a", condition: { type: "and", conditions: [{ type: "failed" }] } }] })), /needs at least 2 conditions/);
  assert.match(message(wf({}, { dependsOn: [{ job: "a", condition: { type: "not", condition: { type: "sometimes" } } }] })), /Invalid discriminator value/);
});

test("forEach, guard, overrides, and the advanced kinds are parsed and kept", () => {
  const parsed = parseWorkflow(
    wf(
      {
        name: "deploy-${{ self.env }}",
        forEach: { item: "env", in: "${{ inputs.envs }}" },
        guard: "${{ data.latest('m', 'x') != null }}",
        target: "remote",
        labels: { gpu: "yes" },
        queueTimeout: 30,
        dataOutputOverrides: [{ specName: "result", lifetime: "workflow", garbageCollection: 3, tags: { a: "b" }, vary: ["env"] }],
      },
      { affinity: true },
      { trigger: { schedule: "0 3,12 * * *", inputs: { a: 1 } }, reports: { require: ["@x/y"] }, concurrency: 2 },
    ),
  );
  const step = parsed.jobs[0]!.steps[0]!;
  assert.deepEqual(step.forEach, { item: "env", in: "${{ inputs.envs }}" });
  assert.equal(step.target, "remote");
  assert.deepEqual(step.dataOutputOverrides![0]!.vary, ["env"]);
  assert.deepEqual(parsed.trigger, { schedule: "0 3,12 * * *", inputs: { a: 1 } });
  const advanced = parseWorkflow({
    id: ID,
    name: "adv",
    jobs: [
      {
        name: "j",
        steps: [
          { name: "nested", task: { type: "workflow", workflowIdOrName: "other", inputs: { a: 1 } } },
          { name: "gate", task: { type: "manual_approval", prompt: "ok?", timeout: 60 } },
          { name: "check", task: { type: "assert", expr: "1 == 1", message: "fine" } },
        ],
      },
    ],
  });
  assert.deepEqual(advanced.jobs[0]!.steps[2]!.task, { type: "assert", expr: "1 == 1", message: "fine", severity: "high" });

  assert.match(message(wf({ forEach: { item: "x", in: "inputs.list" } })), /Invalid forEach\.in expression: inputs\.list\. Must be in \$\{\{ \}\} format\./);
  assert.match(message(wf({ guard: "true" })), /Step "build" guard must be a \$\{\{ \}\} expression, got: true/);
  assert.match(message(wf({ dataOutputOverrides: [{ specName: "r", lifetime: "forever" }] })), /Invalid lifetime "forever"/);
  assert.match(message(wf({ dataOutputOverrides: [{ specName: "r", garbageCollection: 0 }] })), /Invalid garbageCollection 0/);
  assert.match(message(wf({ dataOutputOverrides: [{ specName: "r", vari: ["x"] }] })), /Unknown key 'vari' on data output override 'r'\. Did you mean 'vary'\?/);
  assert.match(message(wf({}, {}, { trigger: { schedule: "every day" } })), /Invalid cron expression/);
  assert.match(message(wf({}, {}, { jobs: [] })), /a workflow needs at least one job/);
  assert.match(message(wf({}, {}, { id: "nope" })), /id: must be a UUID/);
  assert.match(message({ name: "x", jobs: [] }), /id: is required/);
});

test("a file's problems carry the line: YAML errors and schema errors alike", () => {
  const yamlBad = parseWorkflowText("id: 1\nname: x\njobs: [\n  - a\n", "/w/workflow-x.yaml");
  assert.equal(yamlBad.ok, false);
  if (!yamlBad.ok) {
    assert.equal(yamlBad.broken.name, "x");
    assert.equal(yamlBad.broken.line, 4);
    assert.match(yamlBad.broken.error, /^invalid YAML: /);
  }
  const text = `id: ${ID}\nname: x\njobs:\n  - name: main\n    steps:\n      - name: s\n        weigth: 2\n        task: {type: model_method, modelIdOrName: m, methodName: run}\n`;
  const schemaBad = parseWorkflowText(text, "/w/workflow-x.yaml");
  assert.equal(schemaBad.ok, false);
  if (!schemaBad.ok) {
    assert.equal(schemaBad.broken.line, 7);
    assert.deepEqual([schemaBad.broken.name, schemaBad.broken.id], ["x", ID]);
    assert.match(schemaBad.broken.error, /Did you mean 'weight'\?/);
  }
});

test("workflow schema get: JSON Schemas of every part", () => {
  const schemas = workflowJsonSchemas() as Record<string, { type?: string; additionalProperties?: boolean; oneOf?: unknown[] }>;
  assert.deepEqual(Object.keys(schemas), ["workflow", "job", "jobDependency", "step", "stepDependency", "stepTask", "triggerCondition"]);
  assert.equal(schemas.workflow!.type, "object");
  assert.equal(schemas.step!.additionalProperties, false, "unknown keys are not allowed");
  assert.ok(JSON.stringify(schemas.stepTask).includes("manual_approval"));
});
