/**
 * A method run as a workflow step (`runMethod` with a `workflow` context), read back from the
 * files it wrote: tags, owner, lifetimes, vary names, provenance, inputs routing, run-scoped
 * reads, and what `data gc` decides from the owner.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import * as z from "zod";
import { builtinRegistry } from "../../../cli/builtins.js";
import type { ModelTypePlugin } from "../../../kernel/contract/ports/model-type.js";
import { expiryReason } from "../../../kernel/data/lifetime.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { newDefinition } from "../../../kernel/models/definition.js";
import { ExpressionContext } from "../../../kernel/expressions/context.js";
import { RepositoryDataAccess } from "../../../kernel/models/data-access.js";
import { runMethod, type RunOptions } from "../../../kernel/models/execute.js";
import { definitionLookup, definitionRepository, outputRepository } from "../../../kernel/models/service.js";
import { createKernel, type Kernel } from "../../../kernel/runtime/kernel.js";
import { initRepo } from "../../../kernel/runtime/repo-init.js";
import type { WorkflowStepContext } from "../../../kernel/workflows/types.js";

const ran: string[] = [];
const seen: Array<{ queried: unknown[]; count: unknown }> = [];

const stepper: ModelTypePlugin = {
  type: "test/stepper",
  version: "2026.01.01.1",
  resources: { state: { schema: z.object({ value: z.string() }), lifetime: "infinite", garbageCollection: 3, tags: { tier: "gold" } } },
  files: { log: { contentType: "text/plain", lifetime: "infinite", garbageCollection: 3 } },
  methods: {
    write: {
      description: "writes state/main and log/out",
      arguments: z.object({ value: z.string() }),
      async execute(args, ctx) {
        ran.push(`write:${String(args.value)}`);
        await ctx.writeResource("state", "main", { value: String(args.value) }, { tags: { written: "yes", tier: "write" }, lifetime: "2d" });
        await ctx.createFileWriter("log", "out").writeText(`value=${String(args.value)}\n`);
      },
    },
    scan: {
      description: "reports what run-scoped reads see",
      arguments: z.object({ count: z.number() }),
      async execute(args, ctx) {
        ran.push("scan");
        seen.push({ queried: (await ctx.queryData('specName == "state"', "name")).map(String).sort(), count: args.count });
      },
    },
  },
};

const WORKFLOW_ID = "0b6f8f52-7b1e-4c56-9d4e-2a0e6d6e0001";
const RUN_1 = "0b6f8f52-7b1e-4c56-9d4e-2a0e6d6e0011";
const RUN_2 = "0b6f8f52-7b1e-4c56-9d4e-2a0e6d6e0012";

function stepContext(runId: string, extra: Partial<WorkflowStepContext> = {}): WorkflowStepContext {
  return {
    workflowId: WORKFLOW_ID,
    workflowName: "nightly",
    workflowRunId: runId,
    jobName: "scan-job",
    stepName: "scan-prod",
    workflowTags: { team: "wf-file", owner: "ops" },
    stepInputs: { env: "prod", region: "eu", unrelated: "not declared anywhere" },
    ...extra,
  };
}

async function setup(): Promise<{ kernel: Kernel; data: DataRepository; name: string; id: string; type: string }> {
  const repo = join(mkdtempSync(join(tmpdir(), "swamp-step-")), "repo");
  await initRepo(repo, { force: false, version: "0.0.0-test" });
  const registry = builtinRegistry();
  registry.register({ kind: "model", type: stepper.type, name: "stepper", description: "", origin: "builtin", load: async () => stepper });
  const kernel = await createKernel({ repoDir: repo, env: { HOME: process.env.HOME }, registry });
  const def = {
    ...newDefinition("test/stepper", "scanner", "2026.01.01.1"),
    tags: { team: "core" },
    inputs: { properties: { env: { type: "string" } }, required: ["env"] },
    methods: {
      write: { arguments: { value: "${{ inputs.env }}" } },
      scan: { arguments: { count: "${{ data.findBySpec(self.name, 'state').size() }}" } },
    },
    resources: { state: { lifetime: "30d", garbageCollection: 5 } },
  };
  await definitionRepository(kernel).save(def as never);
  return { kernel, data: new DataRepository({ dataRoot: kernel.paths.resolve("data") }), name: def.name, id: def.id, type: def.type! };
}

function metadataFile(data: DataRepository, type: string, id: string, name: string, version: number): Record<string, unknown> {
  const dir = join(data.contentPath(type, id, name, version), "..");
  return parse(readFileSync(join(dir, "metadata.yaml"), "utf8")) as Record<string, unknown>;
}

async function outputRecord(kernel: Kernel, outputId: string): Promise<Record<string, unknown>> {
  const found = (await outputRepository(kernel).list()).find((r) => r.id === outputId);
  assert.ok(found, `output record ${outputId}`);
  return found as unknown as Record<string, unknown>;
}

test("a step's writes carry the workflow tags, the owner's run ids, merged overrides and vary names", async () => {
  const { kernel, data, name, id, type } = await setup();
  const manual = await runMethod(kernel, { ref: name, method: "write", inputs: { env: "by-hand" } });
  assert.deepEqual(metadataFile(data, type, id, "out", 1).ownerDefinition, { ownerType: "model-method", ownerRef: id });
  const manualProvenance = (await outputRecord(kernel, manual.outputId)).provenance as Record<string, unknown>;
  assert.deepEqual({ ...manualProvenance, definitionHash: "-" }, { definitionHash: "-", modelVersion: 1, triggeredBy: "manual", driver: "raw" });

  const options: RunOptions = {
    ref: name,
    method: "write",
    tags: { cli: "yes", owner: "cli-wins" },
    workflow: stepContext(RUN_1, {
      initiatedBy: "ana",
      dataOutputOverrides: [
        { specName: "state", vary: ["region"], tags: { tier: "override", step: "renamed-by-override" } },
        { specName: "log", lifetime: "workflow" },
      ],
    }),
  };
  ran.length = 0;
  const view = await runMethod(kernel, options);
  assert.deepEqual(ran, ["write:prod"], "the declared input came from the step inputs; an undeclared workflow input is no error");
  assert.deepEqual(view.dataArtifacts.map((a) => a.name).sort(), ["main-eu", "out"]);

  const state = metadataFile(data, type, id, "main-eu", 1);
  assert.deepEqual(state.tags, {
    type: "resource",
    team: "wf-file",
    tier: "override",
    written: "yes",
    specName: "state",
    modelName: "scanner",
    owner: "cli-wins",
    source: "step-output",
    workflow: "nightly",
    workflowId: WORKFLOW_ID,
    workflowRunId: RUN_1,
    job: "scan-job",
    step: "renamed-by-override",
    initiatedBy: "ana",
    cli: "yes",
  });
  const owner = {
    ownerType: "model-method",
    ownerRef: id,
    workflowId: WORKFLOW_ID,
    workflowRunId: RUN_1,
    workflowName: "nightly",
    jobName: "scan-job",
    stepName: "scan-prod",
    source: "step-output",
  };
  assert.deepEqual(state.ownerDefinition, owner, "owner ids come from the step, not from tags an override changed");
  assert.equal(state.lifetime, "30d", "a step override setting only vary/tags keeps the definition's lifetime");
  assert.equal(state.garbageCollection, 5);
  assert.equal(readFileSync(data.contentPath(type, id, "main-eu", 1), "utf8"), '{"value":"prod"}');
  assert.equal(await data.get(type, id, "main", 2), null, "the unsuffixed name got no new version");

  // The same name written by hand and by a step: both owners agree, versions continue.
  const out = metadataFile(data, type, id, "out", 2);
  assert.deepEqual(out.ownerDefinition, owner);
  assert.equal(out.lifetime, "workflow", "the step override beats the spec");
  assert.equal(out.tags && (out.tags as Record<string, string>).step, "scan-prod");
  await runMethod(kernel, { ref: name, method: "write", inputs: { env: "by-hand-again" } });
  assert.equal((await data.get(type, id, "out"))?.version, 3);

  // The step's reports are its data too.
  const report = metadataFile(data, type, id, "report-swamp-method-summary", 2);
  assert.deepEqual(report.ownerDefinition, owner);
  assert.equal((report.tags as Record<string, string>).type, "report");
  assert.equal((report.tags as Record<string, string>).workflowRunId, RUN_1);

  const record = await outputRecord(kernel, view.outputId);
  const provenance = record.provenance as Record<string, unknown>;
  assert.deepEqual(
    { ...provenance, definitionHash: "-" },
    { definitionHash: "-", modelVersion: 1, triggeredBy: "workflow", workflowId: WORKFLOW_ID, workflowRunId: RUN_1, stepName: "scan-prod", initiatedBy: "ana", driver: "raw" },
  );

  // workflow-lifetime data expires once its run record is gone; it carries the ids to decide.
  const v2 = (await data.get(type, id, "out", 2))!;
  assert.equal(await expiryReason(v2, { now: Date.now(), workflowRunExists: () => false }), "workflow-deleted");
  assert.equal(await expiryReason(v2, { now: Date.now(), workflowRunExists: () => true }), null);

  // ephemeral is written and never expires (seed 001).
  await runMethod(kernel, { ref: name, method: "write", workflow: stepContext(RUN_2, { dataOutputOverrides: [{ specName: "log", lifetime: "ephemeral" }] }) });
  const ephemeral = (await data.get(type, id, "out"))!;
  assert.equal(ephemeral.lifetime, "ephemeral");
  assert.equal(ephemeral.ownerDefinition.workflowRunId, RUN_2);
  assert.equal(await expiryReason(ephemeral, { now: Date.now() + 10 * 365 * 86_400_000, workflowRunExists: () => false }), null);
});

test("vary: a missing dimension fails the step before its method runs; inputs routing", async () => {
  const { kernel, data, name, id, type } = await setup();
  ran.length = 0;
  const before = (await outputRepository(kernel).list()).length;
  await assert.rejects(
    runMethod(kernel, {
      ref: name,
      method: "write",
      workflow: stepContext(RUN_1, { stepInputs: { env: "prod", region: null }, dataOutputOverrides: [{ specName: "log", vary: ["region"] }] }),
    }),
    (err: Error & { code?: string }) => {
      assert.equal(err.message, "Vary dimension 'region' not found in step inputs for spec 'log'");
      assert.equal(err.code, "validation_failed");
      return true;
    },
  );
  await assert.rejects(
    runMethod(kernel, { ref: name, method: "write", workflow: stepContext(RUN_1, { stepInputs: { env: "prod", region: "a/b" }, dataOutputOverrides: [{ specName: "log", vary: ["region"] }] }) }),
    /Invalid vary value "a\/b" of vary dimension 'region' for spec 'log': must not contain/,
  );
  assert.deepEqual(ran, [], "the method never ran");
  assert.equal((await outputRepository(kernel).list()).length, before, "no output record");
  assert.deepEqual(await data.list(type, id), [], "nothing written");

  // The step's own keys that are not declared inputs override method arguments; unknown ones are rejected.
  await runMethod(kernel, { ref: name, method: "write", inputs: { value: "direct" }, workflow: stepContext(RUN_1, { stepInputs: { env: "prod", value: "direct" } }) });
  assert.deepEqual(ran, ["write:direct"]);
  await assert.rejects(
    runMethod(kernel, { ref: name, method: "write", inputs: { bogus: 1 }, workflow: stepContext(RUN_1, { stepInputs: { env: "prod", bogus: 1 } }) }),
    /Unknown method input\(s\): bogus/,
  );
  // A required declared input missing from the step inputs is the usual input error.
  await assert.rejects(runMethod(kernel, { ref: name, method: "write", workflow: stepContext(RUN_1, { stepInputs: {} }) }), { code: "input_validation_failed" });
});

test("inside a run, findBySpec in the definition and queryData in the method see only the run's data", async () => {
  const { kernel, name } = await setup();
  await runMethod(kernel, { ref: name, method: "write", inputs: { env: "by-hand" } });
  await runMethod(kernel, { ref: name, method: "write", workflow: stepContext(RUN_1, { dataOutputOverrides: [{ specName: "state", vary: ["region"] }] }) });
  seen.length = 0;
  await runMethod(kernel, { ref: name, method: "scan", inputs: { env: "x" } });
  await runMethod(kernel, { ref: name, method: "scan", workflow: stepContext(RUN_1) });
  await runMethod(kernel, { ref: name, method: "scan", workflow: stepContext(RUN_2) });
  assert.deepEqual(seen, [
    { queried: ["main", "main-eu"], count: 2 },
    { queried: ["main-eu"], count: 1 },
    { queried: [], count: 0 },
  ]);
});

test("what a step wrote under a vary name reads back with data.latest/version/listVersions and the same values", async () => {
  const { kernel, data, name } = await setup();
  const overrides = [{ specName: "state", vary: ["region", "env"] }];
  await runMethod(kernel, { ref: name, method: "write", workflow: stepContext(RUN_1, { stepInputs: { env: "prod", region: { key: "eu", value: 1 } }, dataOutputOverrides: overrides }) });
  await runMethod(kernel, { ref: name, method: "write", workflow: stepContext(RUN_2, { stepInputs: { env: "prod", region: { key: "eu", value: 2 } }, dataOutputOverrides: overrides }) });
  const definitions = definitionRepository(kernel);
  const context = (runScope?: { workflowRunId: string }) =>
    new ExpressionContext({
      definitions: definitionLookup(definitions),
      data: new RepositoryDataAccess(data, definitions),
      inputs: { region: { key: "eu" } },
      ...(runScope ? { runScope } : {}),
    });
  const ctx = context({ workflowRunId: RUN_1 });
  assert.equal(await ctx.evaluate('data.latest("scanner", "main", ["eu", "prod"]).name'), "main-eu-prod");
  assert.equal(await ctx.evaluate('data.latest("scanner", "main", [inputs.region, "prod"]).version'), 2, "an object reads as its key, as it was written");
  assert.deepEqual(await ctx.evaluate('data.listVersions("scanner", "main", ["eu", "prod"])'), [1, 2]);
  assert.equal(await ctx.evaluate('data.version("scanner", "main", ["eu", "prod"], 1).attributes.value'), "prod");
  await assert.rejects(ctx.evaluate('data.latest("scanner", "main", ["eu/x"])'), /Invalid vary value "eu\/x" for data "main": must not contain/);
  // Run scope: findBySpec sees the latest versions this run wrote; latest and findByTag stay global.
  assert.equal(await ctx.evaluate('data.findBySpec("scanner", "state").size()'), 0, "run 2 wrote the latest version");
  assert.deepEqual(await context({ workflowRunId: RUN_2 }).evaluate('data.findBySpec("scanner", "state").map(r, r.name)'), ["main-eu-prod"]);
  assert.equal(await ctx.evaluate(`data.findByTag("workflowRunId", "${RUN_2}").exists(r, r.name == "main-eu-prod")`), true);
});
