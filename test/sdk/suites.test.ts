/**
 * The suites catch what they promise to catch: each broken extension below fails with the
 * check number and a message that says what is wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import type { ExecutionDriver, ReportContext, VaultProvider } from "../../kernel/contract/index.js";
import {
  assertDriverConformance,
  assertModelTypeConformance,
  assertReportConformance,
  assertVaultExportConformance,
  assertVaultProviderConformance,
  createVaultTestProvider,
} from "../../sdk/testing/index.js";

async function fails(run: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (err: Error) => {
    assert.equal(err.name, "AssertionError", err.stack);
    assert.match(err.message, pattern);
    return true;
  });
}

/** The in-memory provider with one method replaced. */
function tampered(patch: Partial<VaultProvider>): VaultProvider {
  return Object.assign(createVaultTestProvider("dev"), patch);
}

test("vault export suite: type, reserved collective, config schema, provider shape, getName", async () => {
  const good = { type: "@acme/vault", name: "V", description: "d", configSchema: z.object({ dir: z.string().optional() }), createProvider: (n: string) => createVaultTestProvider(n) };
  assert.ok(await assertVaultExportConformance(good, { validConfigs: [{}], invalidConfigs: [{ dir: 1 }] }));
  assert.ok(await assertVaultExportConformance({ vault: good }, { validConfigs: [{}] }), "a module namespace is unwrapped");
  await fails(assertVaultExportConformance({ ...good, type: "local" }, { validConfigs: [{}] }), /check 1\] "type" "local" must match @collective\/name/);
  await fails(assertVaultExportConformance({ ...good, type: "@swamp/vault" }, { validConfigs: [{}] }), /check 2\] "type" uses the reserved collective "swamp"/);
  await fails(assertVaultExportConformance({ ...good, description: " " }, { validConfigs: [{}] }), /check 4\]/);
  await fails(assertVaultExportConformance(good, { validConfigs: [{ dir: 3 }] }), /check 7\] validConfigs\[0\] \{"dir":3\} must pass configSchema\.safeParse: dir: /);
  await fails(assertVaultExportConformance(good, { validConfigs: [{}], invalidConfigs: [{}] }), /check 8\] invalidConfigs\[0\]/);
  await fails(assertVaultExportConformance({ ...good, createProvider: () => ({ get: async () => "" }) }, { validConfigs: [{}] }), /check 11\] the provider must have a "put" function/);
  await fails(assertVaultExportConformance({ ...good, createProvider: () => createVaultTestProvider("fixed") }, { validConfigs: [{}] }), /check 12\] getName\(\) must return the vault's name "conformance-vault", got "fixed"/);
});

test("vault provider suite: round trip, listing, missing keys, key rules", async () => {
  const store = new Map<string, string>();
  await fails(assertVaultProviderConformance(tampered({ put: async (k, v) => void store.set(k, v.trim()), get: async (k) => store.get(k) ?? "" })), /check 18\] a multi-line, unicode value must round-trip exactly/);
  await fails(assertVaultProviderConformance(tampered({ list: async () => ["b", "a"] })), /check 21\]|check 22\]/);
  const sortedWrong = createVaultTestProvider("dev");
  const realList = sortedWrong.list.bind(sortedWrong);
  await fails(assertVaultProviderConformance(Object.assign(sortedWrong, { list: async () => (await realList()).reverse() })), /check 22\] list\(\) must be sorted/);
  const leaky = createVaultTestProvider("dev");
  await fails(assertVaultProviderConformance(Object.assign(leaky, { list: async () => Object.entries(leaky.snapshot()).map(([k, v]) => `${k}=${v}`).sort() })), /check 21\]|check 23\]/);
  const lenient = createVaultTestProvider("dev");
  const realGet = lenient.get.bind(lenient);
  await fails(assertVaultProviderConformance(Object.assign(lenient, { get: async (k: string) => realGet(k).catch(() => "") })), /check 24\] get\(".*-missing"\) of a key never written must reject/);
  /** Missing keys fail with a plain Error (no code). */
  const codeless = () => {
    const p = createVaultTestProvider("dev");
    const get = p.get.bind(p);
    const del = p.delete.bind(p);
    const plain = () => Promise.reject(new Error("nope"));
    return Object.assign(p, { get: (k: string) => get(k).catch(plain), delete: (k: string) => del(k).catch(plain) });
  };
  await fails(assertVaultProviderConformance(codeless()), /check 24\] a missing key must reject with code "vault_secret_not_found", got Error: nope/);
  await assertVaultProviderConformance(codeless(), { strictErrorCodes: false });
  const permissive = new Map<string, string>();
  await fails(
    assertVaultProviderConformance({
      getName: () => "dev",
      get: async (k) => permissive.get(k) ?? Promise.reject(Object.assign(new Error("missing"), { code: "vault_secret_not_found" })),
      put: async (k, v) => void permissive.set(k, v),
      list: async () => [...permissive.keys()].sort(),
    }),
    /check 25\] put\("\.\.\/escape", …\) must reject/,
  );
});

const Shape = z.object({ n: z.number() });
const baseModel = {
  type: "@acme/counter",
  version: "2026.02.03.1",
  resources: { state: { schema: Shape, lifetime: "infinite", garbageCollection: 3 } },
  files: { log: { contentType: "text/plain", lifetime: "7d", garbageCollection: 2 } },
  methods: {
    bump: {
      description: "Bumps",
      arguments: z.object({ by: z.number().default(1) }),
      execute: async (args: { by: number }, ctx: { writeResource(s: string, n: string, d: unknown): Promise<unknown> }) => void (await ctx.writeResource("state", "main", { n: args.by })),
    },
  },
};

test("model suite: shape checks", async () => {
  await assertModelTypeConformance(baseModel, { samples: { bump: {} } });
  await fails(assertModelTypeConformance({ ...baseModel, version: "2026.2.3" }), /check 2\] "version" "2026\.2\.3" is not valid\. Use CalVer format/);
  await fails(assertModelTypeConformance({ ...baseModel, version: "2026.13.01.1" }), /check 2\] "version" 2026\.13\.01\.1 is not a real date/);
  await fails(assertModelTypeConformance({ ...baseModel, type: "counter" }), /check 1\] "type" "counter" needs at least two lowercase segments/);
  await fails(assertModelTypeConformance({ ...baseModel, resources: { "my-state": baseModel.resources.state } }), /check 4\] resource spec name "my-state" must be an identifier/);
  await fails(assertModelTypeConformance({ ...baseModel, resources: { state: { ...baseModel.resources.state, lifetime: "forever" } } }), /check 6\] resources\.state\.lifetime must be/);
  await fails(assertModelTypeConformance({ ...baseModel, files: { log: { ...baseModel.files.log, garbageCollection: 0 } } }), /check 8\] files\.log\.garbageCollection must be a positive integer/);
  await fails(assertModelTypeConformance({ ...baseModel, files: { log: { ...baseModel.files.log, contentType: "text" } } }), /check 7\] files\.log\.contentType must be a media type/);
  await fails(assertModelTypeConformance({ ...baseModel, methods: { bump: { ...baseModel.methods.bump, arguments: undefined } } }), /check 11\] methods\.bump\.arguments is required/);
  await fails(assertModelTypeConformance({ ...baseModel, methods: { bump: { ...baseModel.methods.bump, kind: "mutate" } } }), /check 13\] methods\.bump\.kind must be one of/);
  await fails(assertModelTypeConformance({ ...baseModel, methods: {} }), /check 9\] "methods" must declare at least one method/);
  await fails(
    assertModelTypeConformance({ ...baseModel, checks: { c: { description: "c", appliesTo: ["bmup"], execute: async () => ({ pass: true }) } } }),
    /check 15\] checks\.c\.appliesTo names "bmup", which is not a method/,
  );
  await fails(assertModelTypeConformance({ ...baseModel, upgrades: [{ toVersion: "2026.01.01.1", description: "u", upgradeAttributes: (a: unknown) => a }] }), /check 2\] Last upgrade toVersion "2026\.01\.01\.1" does not match/);
  await fails(assertModelTypeConformance({ type: "@acme/x", methods: { m: baseModel.methods.bump } }), /check 2\].*pass \{ kind: "extension" \}/);
  await assertModelTypeConformance({ type: "command/shell", methods: { m: baseModel.methods.bump } }, { kind: "extension" });
});

test("model suite: sample runs must succeed, write only declared specs, match schemas and finalize writers; checks must return results", async () => {
  const withMethod = (execute: (args: any, ctx: any) => Promise<unknown>) => ({ ...baseModel, methods: { bump: { ...baseModel.methods.bump, execute } } });
  await fails(assertModelTypeConformance(withMethod(async () => { throw new Error("kaput"); }), { samples: { bump: {} } }), /check 18\] method "bump" with samples\.bump \{\} must succeed; it threw Error: kaput/);
  await fails(assertModelTypeConformance(baseModel, { samples: { bump: { by: "x" } } }), /check 18\].*validation_failed.*by: /);
  await fails(assertModelTypeConformance(baseModel, { samples: { bmup: {} } }), /check 17\] samples name "bmup", which is not a method/);
  await fails(assertModelTypeConformance(baseModel, { requireSamples: true }), /check 17\] no sample arguments for method "bump"/);
  await fails(
    assertModelTypeConformance(withMethod(async (_a, ctx) => ctx.writeResource("other", "x", {})), { samples: { bump: {} } }),
    /check 18\].*Undeclared resource spec 'other' in model '@acme\/counter'/,
  );
  await fails(assertModelTypeConformance(withMethod(async (_a, ctx) => ctx.writeResource("state", "x", { n: "one" })), { samples: { bump: {} } }), /check 21\].*data does not match schema: n: /);
  await assertModelTypeConformance(withMethod(async (_a, ctx) => ctx.writeResource("state", "x", { n: "one" })), { samples: { bump: {} }, strictResourceSchemas: false });
  await fails(
    assertModelTypeConformance(withMethod(async (_a, ctx) => ctx.createFileWriter("log", "l").writeLine("forgot to finalize")), { samples: { bump: {} } }),
    /check 22\].*left the file writer for "l" \(spec "log"\) open/,
  );
  await fails(assertModelTypeConformance(withMethod(async () => ({ dataHandles: "all" })), { samples: { bump: {} } }), /check 19\].*dataHandles must be an array/);
  await fails(assertModelTypeConformance({ ...baseModel, checks: { c: { description: "c", execute: async () => { throw new Error("check blew up"); } } } }), /check 23\] check "c" must resolve/);
  await fails(assertModelTypeConformance({ ...baseModel, checks: { c: { description: "c", execute: async () => ({ ok: true }) } } }), /check 23\] check "c" must resolve to \{ pass: boolean/);
  const report = await assertModelTypeConformance(baseModel, { samples: { bump: [{}, { by: 5 }] } });
  assert.deepEqual(report.runs.map((r) => r.resource("main")), [{ n: 1 }, { n: 5 }]);
});

function driverWith(execute: ExecutionDriver["execute"]) {
  return { type: "@acme/driver", name: "D", description: "d", createDriver: () => ({ type: "@acme/driver", execute }) };
}

test("driver suite: results, in-process failures, cancellation", async () => {
  const inProcess: ExecutionDriver["execute"] = async (_r, cb) => {
    try {
      const handles = await cb!.runInProcess!();
      return { status: "success", outputs: handles.map((handle) => ({ kind: "persisted" as const, handle })), logs: [], durationMs: 1 };
    } catch (err) {
      return { status: "error", error: (err as Error).message, outputs: [], logs: [], durationMs: 1 };
    }
  };
  await assertDriverConformance(driverWith(inProcess));
  await fails(
    assertDriverConformance(driverWith(async (_r, cb) => ({ status: "success", outputs: (await cb!.runInProcess!()).map((handle) => ({ kind: "persisted" as const, handle })), logs: [], durationMs: 1 }))),
    /check 13\] when the in-process run throws, execute must resolve with status "error"; it rejected/,
  );
  await fails(assertDriverConformance(driverWith(async () => ({ status: "success", outputs: [], logs: [] }) as never)), /check 10\].*durationMs must be a number/);
  await fails(assertDriverConformance(driverWith(async () => ({ status: "success", outputs: [{ kind: "pending", specName: "result", name: "r", type: "resource", content: "{}" }], logs: [], durationMs: 0 }) as never)), /check 11\].*content must be a Uint8Array/);
  await fails(assertDriverConformance(driverWith(async () => ({ status: "error", error: "", outputs: [], logs: [], durationMs: 0 }))), /check 10\].*needs a non-empty "error" message/);
  await fails(
    assertDriverConformance({ ...driverWith(inProcess), createDriver: () => ({ type: "other", execute: inProcess }) }),
    /check 7\] the driver's "type" "other" must equal the export's type "@acme\/driver"/,
  );
  const outOfProcess: ExecutionDriver["execute"] = async () => ({ status: "success", outputs: [{ kind: "pending", specName: "result", name: "result", type: "resource", content: new TextEncoder().encode("{}") }], logs: [], durationMs: 1 });
  await fails(assertDriverConformance(driverWith(outOfProcess)), /check 14\] with an aborted signal, status must be "error"/);
  await assertDriverConformance(driverWith(outOfProcess), { checkCancellation: false });
  await fails(assertDriverConformance(driverWith(() => new Promise(() => {})), { timeoutMs: 200 }), /check 10\].*did not settle within 200ms/);
});

test("report suite: shape, output, and leaving the context alone", async () => {
  const good = { name: "@acme/report", description: "d", scope: "method", execute: async (c: ReportContext) => ({ markdown: `# ${c.methodName}`, json: { n: c.dataHandles.length } }) };
  await assertReportConformance(good);
  await assertReportConformance({ report: good });
  await fails(assertReportConformance({ ...good, scope: "run" }), /check 3\] "scope" must be "method", "model" or "workflow", got "run"/);
  await fails(assertReportConformance({ ...good, name: "report" }), /check 1\] "name" "report" must match/);
  await fails(assertReportConformance({ ...good, execute: async () => ({ markdown: "x", json: [] }) }), /check 8\] execute\(sampleContext\)\.json must be a plain object/);
  await fails(assertReportConformance({ ...good, execute: async () => ({ markdown: "x", json: { when: () => 1 } }) }), /check 8\].*json\.when is a function/);
  await fails(assertReportConformance({ ...good, execute: async () => ({ markdown: 1, json: {} }) }), /check 7\] execute\(sampleContext\)\.markdown must be a string/);
  await fails(
    assertReportConformance({ ...good, execute: async (c: ReportContext) => { c.dataHandles.pop(); return { markdown: "", json: {} }; } }),
    /check 9\] execute\(sampleContext\) must not modify the context/,
  );
  await fails(
    assertReportConformance({ ...good, execute: async (c: ReportContext) => ({ markdown: c.dataHandles[0]!.name, json: {} }) }),
    /check 10\] execute\(a failed run\) must resolve; it threw TypeError/,
  );
});

test("vault provider suite: annotations and refresh hooks, when offered, round-trip as whole groups", async () => {
  const annotations = new Map<string, unknown>();
  const withAnnotations = tampered({
    getAnnotation: async (k) => (annotations.get(k) ?? null) as never,
    putAnnotation: async (k, a) => void annotations.set(k, a),
    deleteAnnotation: async (k) => void annotations.delete(k),
  });
  await assertVaultProviderConformance(withAnnotations);
  await fails(assertVaultProviderConformance(tampered({ getRefreshHook: async () => null })), /check 31\] refresh hooks: implement all of getRefreshHook, putRefreshHook, deleteRefreshHook or none/);
  const forgetful = tampered({ getAnnotation: async () => null, putAnnotation: async () => {}, deleteAnnotation: async () => {} });
  await fails(assertVaultProviderConformance(forgetful), /check 32\] getAnnotation must return the annotation put, got null/);
  const sticky = new Map<string, unknown>();
  const undying = tampered({ getRefreshHook: async (k) => (sticky.get(k) ?? null) as never, putRefreshHook: async (k, h) => void sticky.set(k, h), deleteRefreshHook: async () => {} });
  await fails(assertVaultProviderConformance(undying), /check 33\] getRefreshHook after deleteRefreshHook must resolve to null/);
});
