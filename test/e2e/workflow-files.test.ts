/**
 * Workflow files through the real binary: create → edit → get → search → validate, a broken
 * file reported with its file and line (never as "not found"), validation failures with their
 * codes and exit status, doctor workflows, and schema get.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

const WORKFLOW = `id: 00000000-0000-4000-8000-000000000000
name: deploy
description: Ship the service
inputs:
  properties:
    environments: { type: array, items: { type: string } }
  required: [environments]
jobs:
  - name: build
    steps:
      - name: compile
        task: { type: model_method, modelIdOrName: greeter, methodName: execute, inputs: { run: "echo build" } }
  - name: ship
    dependsOn:
      - job: build
        condition: { type: succeeded }
    steps:
      - name: deploy-\${{ self.env }}
        forEach: { item: env, in: "\${{ inputs.environments }}" }
        allowFailure: true
        weight: 2
        task: { type: model_method, modelIdOrName: greeter, methodName: execute, inputs: { run: "echo \${{ self.env }}" } }
        dataOutputOverrides:
          - { specName: result, lifetime: workflow, vary: [env] }
`;

test("workflow files: create, edit, get, search, validate, broken files and doctor", async () => {
  await withRepo(async (repo) => {
    const run = (...args: string[]) => swamp([...args, "--repo-dir", repo]);
    const json = async (...args: string[]) => {
      const r = await run(...args, "--json");
      // On success stderr may hold warnings; on failure it holds the JSON error.
      return { ...r, out: r.stdout ? parseJson(r.stdout) : null, err: r.code !== 0 && r.stderr ? parseJson(r.stderr).error : null };
    };

    const empty = await json("workflow", "validate");
    assert.equal(empty.code, 0, "an empty repo passes");
    assert.deepEqual([empty.out.workflows, empty.out.passed], [[], true]);

    assert.equal((await run("model", "create", "command/shell", "greeter", "--json")).code, 0);
    const created = await json("workflow", "create", "deploy");
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.out.path, "workflows/workflow-deploy.yaml");
    assert.deepEqual(created.out.jobs, [{ name: "main", description: "Main job (edit or replace)", steps: [{ name: "example", description: "Example step (edit or replace)", taskType: "model_method" }] }]);
    assert.match(await readFile(join(repo, created.out.path), "utf8"), /allowFailure: false\n {4}dependsOn: \[\]\n {4}weight: 0\nversion: 1\n$/);
    const again = await json("workflow", "create", "deploy");
    assert.deepEqual([again.code, again.err.code], [1, "already_exists"]);
    assert.equal((await json("workflow", "create", "Bad_Name")).err.code, "validation_failed");

    // Piped YAML replaces the file; the id stays.
    const edited = await swamp(["workflow", "edit", "deploy", "--json", "--repo-dir", repo], { input: WORKFLOW });
    assert.equal(edited.code, 0, edited.stderr);
    assert.deepEqual(parseJson(edited.stdout), { path: "workflows/workflow-deploy.yaml", status: "updated", name: "deploy", id: created.out.id });
    const refused = await swamp(["workflow", "edit", "deploy", "--json", "--repo-dir", repo], { input: WORKFLOW.replace("allowFailure: true", "alowFailure: true") });
    assert.equal(refused.code, 1);
    assert.match(parseJson(refused.stderr).error.message, /^Invalid workflow YAML from stdin: Unknown key 'alowFailure' on step 'deploy-\$\{\{ self.env \}\}'\. Did you mean 'allowFailure'\?/);
    // `workflow edit -`: the document names the workflow it replaces (its id, else its name); `<workflow> <file|->` too.
    const stdinEdit = (args: string[], input: string) => swamp(["workflow", "edit", ...args, "--json", "--repo-dir", repo], { input });
    const byName = await stdinEdit(["-"], WORKFLOW.replace(/^id: .*\n/, "").replace("Ship the service", "Ship it"));
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(parseJson(byName.stdout), { path: "workflows/workflow-deploy.yaml", status: "updated", name: "deploy", id: created.out.id });
    const byId = await stdinEdit(["-"], WORKFLOW.replace(/^id: .*$/m, `id: ${created.out.id}`));
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(parseJson(byId.stdout).status, "updated");
    await writeFile(join(repo, "deploy.yaml"), WORKFLOW);
    const fromFile = await swamp(["workflow", "edit", "deploy", join(repo, "deploy.yaml"), "--json", "--repo-dir", repo]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(parseJson(fromFile.stdout).status, "unchanged");
    const unnamed = await stdinEdit(["-"], "jobs: []\n");
    assert.equal(unnamed.code, 2);
    assert.match(parseJson(unnamed.stderr).error.message, /no id or name/);

    const got = await json("workflow", "get", created.out.id);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.out.name, "deploy", "found by id too");
    const step = got.out.jobs[1].steps[0];
    assert.deepEqual(step.forEach, { item: "env", in: "${{ inputs.environments }}" });
    assert.deepEqual([step.allowFailure, step.weight, step.dataOutputOverrides], [true, 2, [{ specName: "result", lifetime: "workflow", vary: ["env"] }]]);
    assert.deepEqual(got.out.jobs[1].dependsOn, [{ job: "build", condition: { type: "succeeded" } }]);
    const graph = await run("workflow", "get", "deploy", "--graph");
    assert.match(graph.stdout, /^build\n {2}└─ compile \[greeter\.execute\]\nship {2}← build\n {2}└─ deploy-\$\{\{ self\.env \}\} \[greeter\.execute\] \(forEach env, allowFailure\)/);

    const search = await json("workflow", "search", "SHIP");
    assert.deepEqual(search.out, { query: "SHIP", results: [{ id: created.out.id, name: "deploy", description: "Ship the service", jobCount: 2, hasInputs: true }] });
    assert.deepEqual((await json("workflow", "list", "nothing-like-it")).out.results, []);

    const valid = await json("workflow", "validate", "deploy");
    assert.equal(valid.code, 0, JSON.stringify(valid.out));
    assert.equal(valid.out.passed, true);
    assert.equal(valid.out.validations[0].name, "Schema validation");

    // A step with an unknown method and a cycle: exit 1, each failure named.
    await writeFile(
      join(repo, "workflows", "workflow-loop.yaml"),
      `id: 11111111-1111-4111-8111-111111111111
name: loop
jobs:
  - name: a
    dependsOn: [{ job: b, condition: { type: completed } }]
    steps: [{ name: s, task: { type: model_method, modelIdOrName: greeter, methodName: explode } }]
  - name: b
    dependsOn: [{ job: a, condition: { type: succeeded } }]
    steps: [{ name: s, task: { type: model_method, modelIdOrName: someday, methodName: execute } }]
`,
    );
    const loop = await json("workflow", "validate", "loop");
    assert.equal(loop.code, 1);
    const failed = loop.out.validations.filter((v: { passed: boolean }) => !v.passed).map((v: { error: string }) => v.error);
    assert.deepEqual(failed, ["Cyclic dependency detected: a -> b -> a", "Method 'explode' not found on model type 'command/shell'"]);
    assert.match(loop.out.validations.find((v: { warning?: string }) => v.warning).warning, /^Model instance not found/);
    const loopText = await run("workflow", "validate", "loop");
    assert.match(loopText.stdout, /✗ No cyclic job dependencies\n {4}→ Cyclic dependency detected: a -> b -> a/);

    // A broken file is reported as broken, with file and line, never as "not found".
    await writeFile(
      join(repo, "workflows", "workflow-broken.yaml"),
      "id: 22222222-2222-4222-8222-222222222222\nname: broken\njobs:\n  - name: main\n    steps:\n      - name: s\n        lables: { gpu: yes }\n        task: { type: model_method, modelIdOrName: greeter, methodName: execute }\n",
    );
    await writeFile(join(repo, "workflows", "notes.yaml"), "not: [a workflow\n");
    const broken = await json("workflow", "get", "broken");
    assert.equal(broken.code, 1);
    assert.equal(broken.err.code, "workflow_load_failed");
    assert.equal(
      broken.err.message,
      "Workflow 'broken' exists but failed to load: Unknown key 'lables' on step 's'. Did you mean 'labels'? Valid step keys: name, description, task, dependsOn, weight, allowFailure, forEach, guard, concurrency, dataOutputOverrides, target, labels, platform, queueTimeout (file: workflows/workflow-broken.yaml:7)",
    );
    assert.match((await run("workflow", "get", "broken")).stderr, /^Error: Workflow 'broken' exists but failed to load: /);
    const missing = await json("workflow", "get", "nope");
    assert.equal(missing.err.code, "workflow_not_found");
    assert.match(missing.err.message, /^Workflow not found: nope\. Create it with 'swamp workflow create nope'/);
    const listed = await json("workflow", "search");
    assert.deepEqual(listed.out.results.map((r: { name: string }) => r.name), ["deploy", "loop"]);
    assert.match(listed.stderr, /skipping broken workflow broken: .* File: workflows\/workflow-broken\.yaml:7/);

    const all = await json("workflow", "validate");
    assert.equal(all.code, 1);
    assert.deepEqual([all.out.totalPassed, all.out.totalFailed, all.out.passed], [1, 2, false]);
    const brokenResult = all.out.workflows.find((w: { workflowName: string }) => w.workflowName === "broken");
    assert.match(brokenResult.validations[0].error, /Did you mean 'labels'\?.*\(file: workflows\/workflow-broken\.yaml:7\)$/);

    const doctor = await json("doctor", "workflows");
    assert.equal(doctor.code, 1);
    assert.deepEqual(doctor.out.workflows.map((w: { file: string; status: string; line?: number }) => [w.file, w.status, w.line ?? null]), [
      ["workflows/workflow-broken.yaml", "fail", 7],
      ["workflows/workflow-deploy.yaml", "pass", null],
      ["workflows/workflow-loop.yaml", "pass", null],
    ]);
    assert.deepEqual([doctor.out.overallStatus, doctor.out.totalPassed, doctor.out.totalFailed], ["fail", 2, 1]);
    const stdinFix = await swamp(["workflow", "edit", "broken", "--json", "--repo-dir", repo], { input: "name: broken\n" });
    assert.match(parseJson(stdinFix.stderr).error.message, /^Cannot update workflow from stdin: the workflow's YAML is broken/);

    // A rename through edit moves the file.
    const renamed = await swamp(["workflow", "edit", "loop", "--json", "--repo-dir", repo], {
      input: (await readFile(join(repo, "workflows", "workflow-loop.yaml"), "utf8")).replace("name: loop", "name: circle"),
    });
    assert.equal(parseJson(renamed.stdout).path, "workflows/workflow-circle.yaml");
    assert.deepEqual((await readdir(join(repo, "workflows"))).sort(), ["notes.yaml", "workflow-broken.yaml", "workflow-circle.yaml", "workflow-deploy.yaml"]);

    const schemas = await json("workflow", "schema", "get");
    assert.deepEqual(Object.keys(schemas.out), ["workflow", "job", "jobDependency", "step", "stepDependency", "stepTask", "triggerCondition"]);
  });
});

test("model delete refuses while a workflow step calls the model", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    assert.equal((await cli("model", "create", "command/shell", "used-model", "--json")).code, 0);
    assert.equal((await cli("workflow", "create", "uses-it", "--json")).code, 0);
    const file = join(repo, "workflows", "workflow-uses-it.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("example-model", "used-model"));
    const refused = await cli("model", "delete", "used-model", "--yes", "--json");
    assert.equal(refused.code, 1);
    const err = parseJson(refused.stderr).error;
    assert.equal(err.code, "conflict");
    assert.match(err.message, /referenced by workflow\(s\): uses-it/);
  });
});
