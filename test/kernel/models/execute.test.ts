/**
 * Method execution at the kernel level, with test model types and drivers registered next to
 * the builtins: pre-flight checks, report selection, the tag chain, and drivers that hand
 * back pending outputs for the host to persist.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as z from "zod";
import { builtinRegistry } from "../../../cli/builtins.js";
import type { DriverPlugin } from "../../../kernel/contract/ports/driver.js";
import type { ModelTypePlugin } from "../../../kernel/contract/ports/model-type.js";
import type { ReportPlugin } from "../../../kernel/contract/ports/report.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { newDefinition } from "../../../kernel/models/definition.js";
import { runMethod } from "../../../kernel/models/execute.js";
import { missingReportWarning } from "../../../kernel/models/reports.js";
import { definitionRepository } from "../../../kernel/models/service.js";
import { createKernel, type Kernel } from "../../../kernel/runtime/kernel.js";
import { initRepo } from "../../../kernel/runtime/repo-init.js";

const calls: string[] = [];

const checked: ModelTypePlugin = {
  type: "test/checked",
  version: "2026.01.01.1",
  resources: {
    state: { schema: z.object({ value: z.string() }), lifetime: "infinite", garbageCollection: 3, tags: { tier: "gold" } },
  },
  methods: {
    create: {
      description: "writes state",
      arguments: z.object({ value: z.string() }),
      async execute(args, ctx) {
        calls.push(`create:${String(args.value)}`);
        await ctx.writeResource("state", "main", { value: String(args.value) }, { tags: { written: "yes" } });
      },
    },
    get: {
      description: "reads state (not mutating: no checks)",
      arguments: z.object({}),
      async execute() {
        calls.push("get");
      },
    },
    describe: {
      description: "evaluates CEL on the context's environment",
      arguments: z.object({}),
      async execute(_args, ctx) {
        // int + double is an overload of swamp's environment options, not of plain cel-js.
        calls.push(`cel:${String(ctx.createCelEnvironment().evaluate("1 + 2.5", {}))}`);
      },
    },
  },
  checks: {
    "always-fails": { description: "fails", labels: ["slow"], async execute() { calls.push("check:always-fails"); return { pass: false, errors: ["nope"] }; } },
    "only-create": { description: "applies to create", appliesTo: ["create"], async execute() { calls.push("check:only-create"); return { pass: true }; } },
  },
  reports: ["@test/type-report"],
};

const typeReport: ReportPlugin = {
  name: "@test/type-report",
  description: "a report the type asks for",
  scope: "method",
  labels: ["extra"],
  async execute(ctx) {
    return { markdown: `# ${ctx.methodName} ${ctx.executionStatus}\n`, json: { handles: ctx.dataHandles.length } };
  },
};

const pendingDriver: DriverPlugin = {
  type: "test-pending",
  name: "pending",
  description: "returns content for the host to persist",
  createDriver: () => ({
    type: "test-pending",
    async execute(request) {
      calls.push(`driver:${request.methodName}`);
      return {
        status: "success",
        outputs: [{ kind: "pending", specName: "state", name: "from-driver", type: "resource", content: new TextEncoder().encode('{"value":"remote"}') }],
        logs: [],
        durationMs: 1,
      };
    },
  }),
};

async function setup(): Promise<{ kernel: Kernel; data: DataRepository }> {
  const repo = join(mkdtempSync(join(tmpdir(), "swamp-exec-")), "repo");
  await initRepo(repo, { force: false, version: "0.0.0-test" });
  const registry = builtinRegistry();
  registry.register({ kind: "model", type: checked.type, name: "checked", description: "", origin: "builtin", load: async () => checked });
  registry.register({ kind: "report", type: typeReport.name, name: "type report", description: "", origin: "builtin", load: async () => typeReport });
  registry.register({ kind: "driver", type: pendingDriver.type, name: "pending", description: "", origin: "builtin", load: async () => pendingDriver });
  const kernel = await createKernel({ repoDir: repo, env: { HOME: process.env.HOME }, registry });
  return { kernel, data: new DataRepository({ dataRoot: kernel.paths.resolve("data") }) };
}

async function define(kernel: Kernel, extra: Record<string, unknown> = {}): Promise<string> {
  const def = { ...newDefinition("test/checked", `m-${Math.random().toString(16).slice(2, 8)}`, "2026.01.01.1"), tags: { team: "core" }, ...extra };
  await definitionRepository(kernel).save(def as never);
  return def.name;
}

test("failing checks block a mutating method; skip flags and definition lists decide what runs", async () => {
  const { kernel, data } = await setup();
  const name = await define(kernel);
  calls.length = 0;
  await assert.rejects(runMethod(kernel, { ref: name, method: "create", inputs: { value: "x" } }), (err: Error & { code?: string }) => {
    assert.equal(err.code, "checks_failed");
    assert.match(err.message, /^Pre-flight checks failed for "m-[0-9a-f]+" → create: always-fails: nope$/);
    return true;
  });
  assert.deepEqual(calls, ["check:always-fails", "check:only-create"], "both checks ran, the method did not");
  const def = (await definitionRepository(kernel).require(name)).definition;
  assert.equal(await data.get(def.type!, def.id, "main"), null, "nothing written");

  calls.length = 0;
  await runMethod(kernel, { ref: name, method: "create", inputs: { value: "x" }, skipCheckLabel: ["slow"] });
  assert.deepEqual(calls, ["check:only-create", "create:x"]);

  calls.length = 0;
  await runMethod(kernel, { ref: name, method: "get" });
  assert.deepEqual(calls, ["get"], "read methods run no checks");

  const required = await define(kernel, { checks: { require: ["always-fails"] } });
  await assert.rejects(runMethod(kernel, { ref: required, method: "create", inputs: { value: "y" }, skipChecks: true }), { code: "checks_failed" });
  const skipped = await define(kernel, { checks: { skip: ["always-fails"] } });
  calls.length = 0;
  await runMethod(kernel, { ref: skipped, method: "create", inputs: { value: "z" } });
  assert.deepEqual(calls, ["check:only-create", "create:z"]);
});

test("the tag chain, lifetime overrides and the type's reports", async () => {
  const { kernel, data } = await setup();
  const name = await define(kernel, { checks: { skip: ["always-fails"] }, resources: { state: { garbageCollection: 7 } } });
  const view = await runMethod(kernel, { ref: name, method: "create", inputs: { value: "v1" }, tags: { env: "prod", tier: "cli-wins" } });
  const def = (await definitionRepository(kernel).require(name)).definition;
  const meta = await data.get(def.type!, def.id, "main");
  assert.deepEqual(meta?.tags, { type: "resource", team: "core", tier: "cli-wins", written: "yes", specName: "state", modelName: name, env: "prod" });
  assert.equal(meta?.garbageCollection, 7, "definition override beats the spec");
  assert.deepEqual(Object.keys(view.reports).sort(), ["@swamp/method-summary", "@test/type-report"]);
  const typeReportData = await data.get(def.type!, def.id, "report-test-type-report");
  assert.equal(typeReportData?.contentType, "text/markdown");
  assert.equal(readFileSync(data.contentPath(def.type!, def.id, "report-test-type-report", 1), "utf8"), "# create succeeded\n");

  const only = await runMethod(kernel, { ref: name, method: "create", inputs: { value: "v2" }, report: ["@swamp/method-summary"] });
  assert.deepEqual(Object.keys(only.reports), ["@swamp/method-summary"]);
  const none = await runMethod(kernel, { ref: name, method: "create", inputs: { value: "v3" }, skipReports: true });
  assert.deepEqual(none.reports, {});
});

test("a required report that no installed report provides is skipped with a warning; the run succeeds", async () => {
  const { kernel } = await setup();
  const name = await define(kernel, { checks: { skip: ["always-fails"] }, reports: { require: ["@test/missing"] } });
  const view = await runMethod(kernel, { ref: name, method: "create", inputs: { value: "x" } });
  assert.equal(view.status, "succeeded");
  assert.equal(view.dataArtifacts.length, 1, "the method's data is kept");
  assert.deepEqual(view.reports["@test/missing"], { name: "@test/missing", scope: "method", success: true, warning: missingReportWarning("@test/missing") });
});

test("a driver's pending outputs are persisted by the host with the model's tags", async () => {
  const { kernel, data } = await setup();
  const name = await define(kernel, { checks: { skip: ["always-fails"] }, driver: "test-pending" });
  const view = await runMethod(kernel, { ref: name, method: "create", inputs: { value: "ignored" } });
  assert.equal(view.driver, "test-pending");
  const def = (await definitionRepository(kernel).require(name)).definition;
  const meta = await data.get(def.type!, def.id, "from-driver");
  assert.equal(meta?.tags.specName, "state");
  assert.equal(meta?.tags.tier, "gold");
  assert.equal(readFileSync(data.contentPath(def.type!, def.id, "from-driver", 1), "utf8"), '{"value":"remote"}');
});

test("an unknown driver is a clear error and nothing runs", async () => {
  const { kernel } = await setup();
  const name = await define(kernel, { checks: { skip: ["always-fails"] } });
  calls.length = 0;
  await assert.rejects(runMethod(kernel, { ref: name, method: "create", inputs: { value: "x" }, driver: "warp" }), /Unknown driver type: "warp"\. Available types: docker, raw, test-pending/);
  assert.ok(!calls.includes("create:x"));
});

test("an in-process method gets a CEL environment with swamp's options, its engine loaded on first use", async () => {
  const { kernel } = await setup();
  const name = await define(kernel);
  calls.length = 0;
  await runMethod(kernel, { ref: name, method: "describe" });
  assert.deepEqual(calls, ["cel:3.5"]);
});
