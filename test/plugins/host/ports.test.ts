/**
 * Model types, vaults, drivers and reports from extensions, called through the worker
 * boundary: the method's context is serviced by the host (resources, file writers, logs,
 * console output), aborts reach the worker, and faults are coded and survivable.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { DataHandle, ModelTypePlugin } from "../../../kernel/contract/ports/model-type.js";
import { describeModelType } from "../../../kernel/models/types.js";
import { validateMethodArguments } from "../../../kernel/models/arguments.js";
import { shutdownExtensions } from "../../../plugins/lifecycle.js";
import { ECHO_DRIVER, GREETER_EXTENSION, GREETER_MODEL, MEMORY_VAULT, SUMMARY_REPORT } from "../fixtures.js";
import { extensionRegistry, recordingContext, tempRepo, testEnv, type TempRepo } from "../helpers.js";
import type { PluginRegistry } from "../../../kernel/runtime/registry.js";

let t: TempRepo;
let registry: PluginRegistry;
let greeter: ModelTypePlugin;

before(async () => {
  t = await tempRepo({
    "extensions/models/greeter.ts": GREETER_MODEL,
    "extensions/models/more/greeter-ext.ts": GREETER_EXTENSION,
    "extensions/vaults/memory.ts": MEMORY_VAULT,
    "extensions/drivers/echo.ts": ECHO_DRIVER,
    "extensions/reports/summary.ts": SUMMARY_REPORT,
  });
  const built = await extensionRegistry(t.repo, testEnv());
  assert.deepEqual(built.outcome.warnings, []);
  registry = built.registry;
  greeter = await registry.load("model", "@test/greeter");
});

after(async () => {
  await shutdownExtensions();
  await t.cleanup();
});

test("the type is described from the manifest: JSON Schema arguments, specs, checks, the extension's method", () => {
  const d = describeModelType(greeter);
  assert.equal(d.version, "2026.01.01.1");
  assert.deepEqual(d.methods.map((m) => m.name).sort(), ["crash", "exit", "fail", "greet", "loop", "oom", "shout", "touch", "wait"]);
  const greet = d.methods.find((m) => m.name === "greet");
  assert.deepEqual(greet?.arguments.required, ["name"]);
  assert.deepEqual(d.dataOutputSpecs.map((s) => [s.specName, s.kind]), [["greeting", "resource"], ["transcript", "file"]]);
  assert.deepEqual(d.checks.map((c) => c.name), ["prefix-allowed"]);
  assert.equal(d.globalArguments?.type, "object");
});

test("JSON Schema arguments are validated with ajv (defaults applied, partial drops required)", () => {
  assert.deepEqual(validateMethodArguments(greeter, "greet", { name: "ada" }, { partial: false }), { name: "ada", times: 1 });
  assert.throws(() => validateMethodArguments(greeter, "greet", { times: 2 }, { partial: false }), { code: "validation_failed", message: /name: is required/ });
  assert.deepEqual(validateMethodArguments(greeter, "greet", { times: 2 }, { partial: true }), { times: 2 });
  assert.throws(() => validateMethodArguments(greeter, "greet", { name: "x", times: 0 }, { partial: false }), /times: must be >= 1/);
  assert.throws(() => validateMethodArguments(greeter, "greet", { name: "x", times: "many" }, { partial: false }), /times: must be integer/);
});

test("a method runs in the worker; its context is serviced by the host", async () => {
  const rec = recordingContext("greet", { prefix: "hi" });
  const result = await greeter.methods.greet?.execute({ name: "world", times: 2 }, rec.context);
  assert.deepEqual(rec.resources.get("main"), { message: "hi world", count: 2 });
  assert.equal(rec.files.get("transcript"), "hi world #1\nhi world #2\n");
  assert.deepEqual(result?.dataHandles?.map((h: DataHandle) => h.name), ["main", "transcript"]);
  assert.ok(rec.logs.some(([level, text]) => level === "info" && text === "greeting world"), "logger lines reach the run's log");
  assert.ok(rec.logs.some(([, text]) => text === "console output from the extension"), "console output is captured, not printed");
});

test("a method added by `export const extension` runs in its own file's worker", async () => {
  const rec = recordingContext("shout");
  await greeter.methods.shout?.execute({ name: "bob" }, rec.context);
  assert.deepEqual(rec.resources.get("loud"), { message: "BOB", count: 1 });
});

test("checks run in the worker with the check context", async () => {
  const check = greeter.checks?.["prefix-allowed"];
  assert.ok(check);
  const ok = await check.execute({ ...recordingContext("greet", { prefix: "hi" }).context });
  assert.deepEqual(ok, { pass: true });
  const bad = await check.execute({ ...recordingContext("greet", { prefix: "forbidden" }).context });
  assert.deepEqual(bad, { pass: false, errors: ["prefix 'forbidden' is not allowed"] });
});

test("an aborted run cancels the method in the worker", async () => {
  const rec = recordingContext("wait");
  const running = greeter.methods.wait?.execute({}, rec.context);
  setTimeout(() => rec.abort.abort(), 100);
  await assert.rejects(running as Promise<unknown>, { code: "cancelled", message: "cancelled by the host" });
});

const METHOD_FAULTS: Array<[string, string, RegExp]> = [
  ["fail", "extension_error", /@test\/greeter \(extensions\/models\/greeter\.ts\) failed in method fail: the method failed on purpose/],
  ["crash", "extension_crashed", /crashed during method crash: uncaught in a timer/],
  ["exit", "extension_crashed", /called process\.exit\(3\) during method exit/],
  ["oom", "extension_crashed", /ran out of memory during method oom/],
  ["loop", "extension_timeout", /stopped responding during method loop/],
];

for (const [method, code, message] of METHOD_FAULTS) {
  test(`method fault "${method}" → ${code}, and the type keeps working in this process`, async () => {
    const rec = recordingContext(method);
    // The endless loop is caught by the liveness watchdog, shortened for this one case.
    const type = method === "loop" ? await (await extensionRegistry(t.repo, testEnv({ SWAMP_EXTENSION_UNRESPONSIVE_MS: "2000" }))).registry.load("model", "@test/greeter") : greeter;
    await assert.rejects(type.methods[method]?.execute({}, rec.context) as Promise<unknown>, (err: { code?: string; message: string }) => {
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
    if (method === "crash") assert.deepEqual(rec.resources.get("before-crash"), { message: "kept", count: 1 }, "data written before the crash is kept");
    const next = recordingContext("greet", { prefix: "again" });
    await greeter.methods.greet?.execute({ name: "x", times: 1 }, next.context);
    assert.deepEqual(next.resources.get("main"), { message: "again x", count: 1 });
  });
}

test("a thrown code is kept (lock_timeout exits 75)", async () => {
  await assert.rejects(greeter.methods.fail?.execute({ code: "lock_timeout" }, recordingContext("fail").context) as Promise<unknown>, {
    code: "lock_timeout",
    exitCode: 75,
  });
});

test("vault extension: provider calls cross the boundary; getName is synchronous", async () => {
  const plugin = await registry.load("vault", "@test/memory-vault");
  assert.equal((plugin.configSchema as { safeParse(v: unknown): { success: boolean } }).safeParse({ seed: { a: 1 } }).success, false);
  const provider = await plugin.createProvider("main", { seed: { a: "1" } }, { repoDir: t.repo });
  assert.equal(provider.getName(), "main");
  assert.equal(await provider.get("a"), "1");
  await provider.put("b", "2");
  assert.deepEqual(await provider.list(), ["a", "b"]);
  await provider.delete?.("a");
  await assert.rejects(provider.get("a"), { code: "vault_secret_not_found" });
});

test("driver extension: output comes back as log lines, the in-process run as a request", async () => {
  const plugin = await registry.load("driver", "@test/echo-driver");
  const driver = await plugin.createDriver({ label: "unit" });
  assert.equal(driver.type, "@test/echo-driver");
  const lines: string[] = [];
  const fake = { name: "out" } as unknown as DataHandle;
  const request = {
    protocolVersion: 1 as const,
    modelType: "@test/greeter",
    modelId: "m",
    methodName: "greet",
    globalArgs: {},
    methodArgs: {},
    definitionMeta: { id: "m", name: "g", version: 1, tags: {} },
  };
  const ok = await driver.execute(request, { onLog: (line) => lines.push(line), runInProcess: async () => [fake] });
  assert.equal(ok.status, "success");
  assert.deepEqual(ok.outputs, [{ kind: "persisted", handle: { name: "out" } }]);
  assert.deepEqual(lines, ["[unit] running greet"]);
  const boom = Object.assign(new Error("method blew up"), { code: "my_code" });
  const failed = await driver.execute(request, {
    runInProcess: async () => {
      throw boom;
    },
  });
  assert.equal(failed.status, "error");
  assert.equal(failed.error, "method blew up");
  assert.equal(failed.cause, boom, "the in-process failure keeps its error (and code) host-side");
});

test("report extension: runs with the context as plain data", async () => {
  const plugin = await registry.load("report", "@test/summary");
  assert.equal(plugin.scope, "method");
  assert.deepEqual(plugin.labels, ["test"]);
  const out = await plugin.execute({
    scope: "method",
    repoDir: t.repo,
    modelType: "@test/greeter",
    modelId: "m",
    definition: { id: "m", name: "greeter", version: 1, tags: {} },
    methodName: "greet",
    globalArgs: {},
    methodArgs: {},
    executionStatus: "succeeded",
    dataHandles: [],
    redactSensitiveArgs: (a) => a,
  });
  assert.equal(out.markdown, "# greeter: greet succeeded with 0 handle(s)\n");
  assert.deepEqual(out.json, { model: "greeter", method: "greet", status: "succeeded", handles: 0 });
});
