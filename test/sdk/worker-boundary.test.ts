/**
 * The same conformance suites a second time, through the real worker boundary: each builtin is
 * saved as an extension file of a temp repo (re-exporting the builtin's source under a
 * namespaced type, as a user's extension would export its own code), discovered, bundled with
 * esbuild and loaded by the extension host; the suites then run against the host's proxies,
 * so every call crosses into a worker thread and back.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DatastorePlugin } from "../../kernel/contract/ports/datastore.js";
import { shutdownExtensions } from "../../plugins/lifecycle.js";
import {
  assertDatastoreExportConformance,
  assertDriverConformance,
  assertLockConformance,
  assertLockContention,
  assertModelTypeConformance,
  assertReportConformance,
  assertVaultExportConformance,
  assertVaultProviderConformance,
  assertVerifierConformance,
} from "../../sdk/testing/index.js";
import { extensionRegistry, tempRepo, testEnv, type TempRepo } from "../plugins/helpers.js";
import type { PluginRegistry } from "../../kernel/runtime/registry.js";

/** The source tree (the tests run from dist/test/sdk). */
const SRC = fileURLToPath(new URL("../../../", import.meta.url));
const builtin = (rel: string) => JSON.stringify(join(SRC, "builtins", rel));

const SOURCES: Record<string, string> = {
  // The builtin's own config schema is hand-written (no zod, to keep its hot path light); an
  // extension declares a zod schema, which crosses the boundary as JSON Schema.
  "extensions/datastores/filesystem/mod.ts": `import { z } from "npm:zod@4";
import { datastore as builtin } from ${builtin("datastore-filesystem/index.ts")};
export const datastore = {
  ...builtin,
  type: "@swamp-builtin/filesystem",
  configSchema: z.object({ path: z.string().regex(/^\\//, "must be absolute") }),
};
`,
  "extensions/vaults/local-encryption.ts": `import { vault as builtin } from ${builtin("vault-local-encryption/index.ts")};
export const vault = { ...builtin, type: "@swamp-builtin/local-encryption" };
`,
  "extensions/models/command-shell.ts": `import { model as builtin } from ${builtin("model-command-shell/index.ts")};
export const model = { ...builtin, type: "@swamp-builtin/command-shell" };
`,
  "extensions/drivers/raw.ts": `import { driver as builtin } from ${builtin("driver-raw/index.ts")};
export const driver = {
  ...builtin,
  type: "@swamp-builtin/raw",
  createDriver: async (config: Record<string, unknown>) => {
    const inner = await builtin.createDriver(config);
    return { type: "@swamp-builtin/raw", execute: (request: any, callbacks: any) => inner.execute(request, callbacks) };
  },
};
`,
  "extensions/reports/method-summary.ts": `import { report as builtin } from ${builtin("report-method-summary/index.ts")};
export const report = { ...builtin, name: "@swamp-builtin/method-summary" };
`,
};

let t: TempRepo;
let registry: PluginRegistry;

before(async () => {
  t = await tempRepo(SOURCES);
  const built = await extensionRegistry(t.repo, testEnv());
  assert.deepEqual(built.outcome.warnings, []);
  registry = built.registry;
});

after(async () => {
  await shutdownExtensions();
  await t.cleanup();
});

test("filesystem datastore through the worker: export, lock, contention and verifier suites", async () => {
  const plugin: DatastorePlugin = await registry.load("datastore", "@swamp-builtin/filesystem");
  assert.equal(registry.get("datastore", "@swamp-builtin/filesystem")?.origin, "extension");
  const ds = join(t.dir, "fs-ds");
  await assertDatastoreExportConformance(plugin, {
    validConfigs: [{ path: ds }],
    invalidConfigs: [{}, { path: "" }, { path: "relative" }, { path: 3 }],
  });
  const provider = await plugin.createProvider({ path: ds });
  assert.equal(provider.resolveDatastorePath(t.repo), ds);
  await assertLockConformance(provider.createLock(ds, { lockKey: "sdk/one.lock" }));
  await assertLockContention((options) => provider.createLock(ds, options));
  const health = await assertVerifierConformance(provider.createVerifier());
  assert.equal(health.healthy, true);
  assert.equal(health.datastoreType, "filesystem");
});

test("local_encryption vault through the worker: export and provider suites; secrets land in the repo", async () => {
  const plugin = await registry.load("vault", "@swamp-builtin/local-encryption");
  const provider = await assertVaultExportConformance(plugin, {
    validConfigs: [{ auto_generate: true }, {}, { key_file: "keys/vault.key" }],
    invalidConfigs: [{ auto_generate: "yes" }, { key_file: "" }],
    vaultName: "boundary",
    context: { repoDir: t.repo },
  });
  await assertVaultProviderConformance(provider);
  await provider.put("kept", "value");
  assert.ok(existsSync(join(t.repo, ".swamp", "secrets", "local_encryption", "boundary", "kept.enc")), "the provider got the repository from the host");
  assert.equal(await provider.get("kept"), "value");
});

test("command/shell through the worker: the model suite, writers serviced by the fake context", async () => {
  const plugin = await registry.load("model", "@swamp-builtin/command-shell");
  const report = await assertModelTypeConformance(plugin, {
    samples: { execute: [{ run: "echo across" }, { run: 'echo "t=$__SWAMP_VAULT_0"' }] },
    secretEnv: { __SWAMP_VAULT_0: "s3cret" },
  });
  assert.equal(report.runs[0]?.resource("result")?.["stdout"], "across");
  assert.equal(report.runs[0]?.fileText("log"), "[stdout]\nacross");
  assert.equal(report.runs[1]?.resource("result")?.["stdout"], "t=***", "secretEnv crossed; the worker redacted");
});

test("raw driver through the worker: runInProcess crosses back to the host", async () => {
  const plugin = await registry.load("driver", "@swamp-builtin/raw");
  const result = await assertDriverConformance(plugin);
  assert.deepEqual(result.outputs.map((o) => o.kind), ["persisted", "persisted"]);
});

test("method-summary report through the worker", async () => {
  const plugin = await registry.load("report", "@swamp-builtin/method-summary");
  const out = await assertReportConformance(plugin);
  assert.match(out.markdown, /→ execute: succeeded/);
});
