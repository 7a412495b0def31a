/**
 * The fakes of sdk/testing behave like the host: the method context (writers, resources,
 * logs, secrets), running a method the way the host does, the in-memory vault, the driver
 * callbacks, the report context, and importExtension.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as z from "zod";
import {
  assertVaultExportConformance,
  assertVaultProviderConformance,
  createCheckTestContext,
  createDriverTestCallbacks,
  createExecutionRequest,
  createMethodTestContext,
  createReportTestContext,
  createVaultTestPlugin,
  createVaultTestProvider,
  importExtension,
  runModelMethod,
} from "../../sdk/testing/index.js";

test("method context: resources are versioned JSON copies, readable and deletable; handles look like the host's", async () => {
  const fake = createMethodTestContext({
    modelType: "@test/m",
    resources: { state: { schema: z.object({ n: z.number() }), lifetime: "7d", garbageCollection: 3, tags: { team: "a" } } },
    existingResources: { seeded: { n: 0 } },
  });
  const ctx = fake.context;
  assert.deepEqual(await ctx.readResource("seeded"), { n: 0 });
  const data = { n: 1 };
  const h1 = await ctx.writeResource("state", "main", data);
  data.n = 99; // the stored copy does not change
  const h2 = await ctx.writeResource("state", "main", { n: 2 }, { tags: { run: "2" } });
  assert.equal(h1.version, 1);
  assert.equal(h2.version, 2);
  assert.equal(h1.dataId, h2.dataId, "one data id per instance name");
  assert.equal(h2.kind, "resource");
  assert.equal(h2.metadata.contentType, "application/json");
  assert.equal(h2.metadata.lifetime, "7d");
  assert.equal(h2.metadata.garbageCollection, 3);
  assert.deepEqual(h2.tags, { type: "resource", team: "a", run: "2", specName: "state", modelName: "test-model" });
  assert.deepEqual(await ctx.readResource("main"), { n: 2 });
  assert.deepEqual(await ctx.readResource("main", 1), { n: 1 });
  assert.equal(await ctx.readResource("nothing"), null);
  await ctx.deleteResource("main");
  assert.equal(await ctx.readResource("main"), null);
  assert.deepEqual(fake.deletes, ["main"]);
  assert.deepEqual(fake.reads.map((r) => [r.instanceName, r.found]), [["seeded", true], ["main", true], ["main", true], ["nothing", false], ["main", false]]);
  assert.deepEqual(fake.writes.map((w) => w.data), [{ n: 1 }, { n: 2 }]);
  assert.equal(fake.schemaWarnings.length, 0);
  await ctx.writeResource("state", "odd", { n: "not a number" });
  assert.match(fake.schemaWarnings[0]?.message ?? "", /Resource 'state' \(instance 'odd'\) data does not match schema: n: /);
});

test("method context: undeclared specs, reserved and empty names, non-JSON data fail like on the host", async () => {
  const { context } = createMethodTestContext({ modelType: "@test/m", resources: ["state"], files: ["log"] });
  await assert.rejects(context.writeResource("other", "x", {}), /Undeclared resource spec 'other' in model '@test\/m'\. Declared resource specs: state/);
  assert.throws(() => context.createFileWriter("report", "x"), /Undeclared file spec 'report'.*Declared file specs: log/);
  await assert.rejects(context.writeResource("state", "Latest", {}), /reserved/);
  await assert.rejects(context.writeResource("state", "", {}), /non-empty/);
  await assert.rejects(context.writeResource("state", "x", { n: 1n } as never), /not JSON/);
  // Without declarations, any spec is accepted.
  const open = createMethodTestContext();
  await open.context.writeResource("anything", "x", { ok: true });
  assert.deepEqual(open.resource("x"), { ok: true });
});

test("method context: file writers follow the DataWriter rules", async () => {
  const fake = createMethodTestContext({ files: { log: { contentType: "text/plain", lifetime: "infinite", garbageCollection: 5 } } });
  const ctx = fake.context;

  const streaming = ctx.createFileWriter("log", "lines");
  await streaming.writeLine("one");
  await streaming.writeLine("two\nthree");
  const h = await streaming.writeText("tail");
  assert.equal(fake.fileText("lines"), "one\ntwo\nthree\ntail");
  assert.equal(h.size, Buffer.byteLength("one\ntwo\nthree\ntail"));
  assert.equal(h.metadata.contentType, "text/plain");
  await assert.rejects(streaming.writeLine("late"), /after the writer was finalized/);

  const viaPath = ctx.createFileWriter("log", "direct", { contentType: "application/x-ndjson" });
  await viaPath.writeLine("first");
  await appendFile(await viaPath.getFilePath(), "second\n");
  await viaPath.writeLine("third");
  const direct = await viaPath.finalize();
  assert.equal(fake.fileText("direct"), "first\nsecond\nthird\n");
  assert.equal(direct.metadata.contentType, "application/x-ndjson");

  const streamed: string[] = [];
  async function* chunks() {
    yield new TextEncoder().encode("a\nb");
    yield new TextEncoder().encode("c\nd");
  }
  await ctx.createFileWriter("log", "stream").writeStream(chunks(), { onLine: (l) => streamed.push(l) });
  assert.deepEqual(streamed, ["a", "bc", "d"]);
  assert.equal(fake.fileText("stream"), "a\nbc\nd");

  const dropped = ctx.createFileWriter("log", "dropped");
  await dropped.writeLine("never");
  await dropped.abort?.();
  assert.equal(fake.files.find((f) => f.instanceName === "dropped")?.state, "aborted");
  assert.equal(fake.fileText("dropped"), undefined);
  await ctx.createFileWriter("log", "bytes").writeAll(new Uint8Array([104, 105]));
  assert.equal(fake.fileText("bytes"), "hi");
  assert.deepEqual(fake.handles.map((x) => x.name), ["lines", "direct", "stream", "bytes"]);
  fake.cleanup();
});

test("method context: logger formats placeholders; secretEnv and redact; abort", async () => {
  const fake = createMethodTestContext({ secretEnv: { __SWAMP_VAULT_0: "hunter2", __SWAMP_VAULT_1: "hunter22" } });
  const ctx = fake.context;
  ctx.logger.info("user {name} has {count} items", { name: "ada", count: 3 });
  ctx.logger.warning("careful");
  ctx.logger.trace("fine detail");
  ctx.logger.fatal("boom", { extra: 1 });
  assert.deepEqual(fake.logs, [
    { level: "info", message: "user ada has 3 items" },
    { level: "warn", message: "careful" },
    { level: "debug", message: "fine detail" },
    { level: "error", message: "boom" },
  ]);
  assert.deepEqual(ctx.secretEnv, { __SWAMP_VAULT_0: "hunter2", __SWAMP_VAULT_1: "hunter22" });
  assert.equal(ctx.redact?.("pw=hunter22 or hunter2"), "pw=*** or ***");
  assert.equal(createMethodTestContext().context.redact, undefined, "nothing to redact without secrets");
  assert.equal(createMethodTestContext({ redact: (t) => t.toUpperCase() }).context.redact?.("x"), "X");
  assert.equal(ctx.signal.aborted, false);
  fake.abort(new Error("stop"));
  assert.equal(ctx.signal.aborted, true);
  const check = createCheckTestContext({ globalArgs: { a: 1 } });
  assert.equal((check.context as unknown as Record<string, unknown>)["writeResource"], undefined, "checks get no writers");
  assert.deepEqual(check.context.globalArgs, { a: 1 });
});

test("runModelMethod: globals parsed and merged only into declared arguments; args validated; specs enforced", async () => {
  const seen: Array<{ args: unknown; globals: unknown }> = [];
  const model = {
    type: "@test/m",
    version: "2026.01.01.1",
    globalArguments: z.object({ region: z.string().default("eu"), shared: z.string().optional() }),
    resources: { out: { schema: z.object({}).passthrough(), lifetime: "infinite", garbageCollection: 1 } },
    methods: {
      run: {
        description: "run",
        arguments: z.object({ shared: z.string().optional(), n: z.number().default(1) }),
        execute: async (args: unknown, ctx: { globalArgs: unknown; writeResource: (...a: unknown[]) => Promise<unknown> }) => {
          seen.push({ args, globals: ctx.globalArgs });
          await ctx.writeResource("out", "x", { ok: true });
        },
      },
      open: { description: "open", arguments: z.record(z.string(), z.unknown()), execute: async (args: unknown) => void seen.push({ args, globals: null }) },
      sneaky: {
        description: "writes an undeclared spec",
        arguments: z.object({}),
        execute: async (_a: unknown, ctx: { writeResource: (...a: unknown[]) => Promise<unknown> }) => void (await ctx.writeResource("other", "x", {})),
      },
    },
  };
  const run = await runModelMethod({ model }, "run", {}, { globalArgs: { shared: "from-globals" } });
  assert.deepEqual(seen[0], { args: { shared: "from-globals", n: 1 }, globals: { region: "eu", shared: "from-globals" } });
  assert.deepEqual(run.resource("x"), { ok: true });
  assert.deepEqual(run.args, { shared: "from-globals", n: 1 });
  await runModelMethod(model, "open", { k: "v" }, { globalArgs: { shared: "g" } });
  assert.deepEqual(seen[1]?.args, { k: "v" }, "an open record schema gets no globals");
  await assert.rejects(runModelMethod(model, "run", { n: "many" }), { code: "validation_failed", message: /Method arguments validation failed: n: / });
  await assert.rejects(runModelMethod(model, "nope"), { code: "unknown_method", message: /Methods: run, open, sneaky/ });
  await assert.rejects(runModelMethod(model, "sneaky"), /Undeclared resource spec 'other'/);
});

test("in-memory vault: passes the vault suites and records operations without values", async () => {
  const provider = createVaultTestProvider("dev", { secrets: { seeded: "v" } });
  await assertVaultProviderConformance(provider);
  assert.deepEqual(provider.snapshot(), { seeded: "v" }, "the suite cleaned up after itself");
  assert.ok(provider.operations.some((o) => o.method === "put" && o.tags?.["owner"] === "conformance"));
  assert.ok(!JSON.stringify(provider.operations).includes("s3cret-"), "no values recorded");
  const plugin = createVaultTestPlugin();
  const created = await assertVaultExportConformance(plugin, { validConfigs: [{ secrets: { a: "1" } }], vaultName: "main" });
  assert.equal(await created.get("a"), "1");
  const noDelete = createVaultTestProvider("x", { withoutDelete: true });
  assert.equal("delete" in noDelete, false);
  await assertVaultProviderConformance(noDelete);
});

test("driver callbacks and requests", async () => {
  const fake = createDriverTestCallbacks();
  fake.callbacks.onLog?.("hello", "stdout");
  const handles = await fake.callbacks.runInProcess?.();
  assert.equal(handles?.length, 1);
  assert.equal(fake.runInProcessCalls, 1);
  assert.deepEqual(fake.logs, [{ line: "hello", stream: "stdout" }]);
  fake.abort();
  assert.equal(fake.callbacks.signal?.aborted, true);
  await assert.rejects(fake.callbacks.runInProcess!(), { code: "cancelled" });
  const failing = createDriverTestCallbacks({ runInProcessError: new Error("nope") });
  await assert.rejects(failing.callbacks.runInProcess!(), /nope/);
  assert.equal(createDriverTestCallbacks({ withoutRunInProcess: true }).callbacks.runInProcess, undefined);
  const request = createExecutionRequest({ modelType: "command/shell", methodArgs: { run: "true" } });
  assert.equal(request.protocolVersion, 1);
  assert.equal(request.definitionMeta.id, request.modelId);
  assert.deepEqual(request.methodArgs, { run: "true" });
});

test("report context defaults", () => {
  const ctx = createReportTestContext({ methodName: "create" });
  assert.equal(ctx.scope, "method");
  assert.equal(ctx.methodName, "create");
  assert.deepEqual(ctx.dataHandles.map((h) => [h.name, h.kind]), [["result", "resource"], ["log", "file"]]);
  assert.deepEqual(ctx.redactSensitiveArgs?.({ a: 1 }, "method"), { a: 1 });
});

test("importExtension bundles npm: specifiers, the sdk and local imports, and evaluates afresh each time", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-sdk-import-"));
  try {
    await writeFile(join(dir, "lib.ts"), "export let loads = 0;\nexport function bump(): number { return ++loads; }\n");
    await writeFile(
      join(dir, "mod.ts"),
      [
        'import { z } from "npm:zod@4";',
        'import * as zc from "npm:zod@4.1.0/v4/core";',
        'import { defineReport, SwampError } from "@swamp-ts/sdk";',
        'import { bump } from "./lib.ts";',
        "export const loaded = bump();",
        "export const schema = z.object({ a: z.string() });",
        "export const hasCore = typeof zc.$ZodType === 'function';",
        "export const sdkError = new SwampError('x', 'y');",
        'export const report = defineReport({ name: "@t/r", description: "d", scope: "method", execute: async () => ({ markdown: "", json: {} }) });',
      ].join("\n"),
    );
    const first = await importExtension<Record<string, unknown>>(join(dir, "mod.ts"));
    const second = await importExtension<Record<string, unknown>>(new URL(`file://${join(dir, "mod.ts")}`));
    assert.equal(first["loaded"], 1);
    assert.equal(second["loaded"], 1, "module state does not leak between imports");
    assert.equal(first["hasCore"], true);
    assert.ok(first["schema"] instanceof z.ZodObject, "the extension shares this process's zod");
    assert.equal((first["sdkError"] as { code: string }).code, "x");
    await writeFile(join(dir, "broken.ts"), "export const x = ;\n");
    await assert.rejects(importExtension(join(dir, "broken.ts")), /Cannot bundle .*broken\.ts:\n.*broken\.ts:1:/);
    await writeFile(join(dir, "jsr.ts"), 'import x from "jsr:@std/path";\nexport const y = x;\n');
    await assert.rejects(importExtension(join(dir, "jsr.ts")), /jsr: and https: imports are not supported/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("method context fake: dataRepository reads what the method wrote; definitions and hostile names like the host", async () => {
  const fake = createMethodTestContext({
    modelType: "@test/server",
    resources: ["state"],
    definitions: [{ id: "d-1", name: "web", type: "@test/server" }],
  });
  const { context } = fake;
  assert.equal(await context.dataRepository.getContent(context.modelType, context.modelId, "web"), null);
  await context.writeResource("state", "web", { size: 1 });
  await context.writeResource("state", "web", { size: 2 });
  const bytes = await context.dataRepository.getContent(context.modelType, context.modelId, "web");
  assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes ?? new Uint8Array())), { size: 2 });
  const first = await context.dataRepository.getContent(context.modelType, context.modelId, "web", 1);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(first ?? new Uint8Array())), { size: 1 });
  assert.deepEqual(await context.dataRepository.listVersions(context.modelType, context.modelId, "web"), [1, 2]);
  assert.deepEqual((await context.dataRepository.findAllForModel(context.modelType, context.modelId)).map((d) => d.name), ["web"]);
  assert.equal((await context.definitionRepository.findByName("@test/server", "web"))?.id, "d-1");
  await assert.rejects(context.dataRepository.getContent(context.modelType, context.modelId, "../../x"), { code: "validation_failed" });
  await assert.rejects(context.queryData("true"), /needs the CEL engine/);
});
