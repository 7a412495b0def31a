/**
 * The sdk conformance suites against every builtin, in process: the filesystem datastore
 * (the S3 datastore runs the same suites over HTTP in test/builtins/datastore-s3), the
 * local_encryption vault, the command/shell model type, the raw and docker drivers (docker
 * through a fake container CLI), and the method-summary report.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { datastore as filesystem } from "../../builtins/datastore-filesystem/index.js";
import { vault as localEncryption } from "../../builtins/vault-local-encryption/index.js";
import { model as commandShell } from "../../builtins/model-command-shell/index.js";
import { driver as raw } from "../../builtins/driver-raw/index.js";
import { driver as docker } from "../../builtins/driver-docker/index.js";
import { report as methodSummary } from "../../builtins/report-method-summary/index.js";
import {
  assertDatastoreExportConformance,
  assertDriverConformance,
  assertLockConformance,
  assertModelTypeConformance,
  assertReportConformance,
  assertVaultExportConformance,
  assertVaultProviderConformance,
  assertVerifierConformance,
  createReportTestContext,
  createTestDataHandle,
} from "../../sdk/testing/index.js";

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "swamp-sdk-builtins-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("filesystem datastore: export, lock and verifier suites", async () => {
  const ds = join(root, "fs-ds");
  await assertDatastoreExportConformance(filesystem, {
    validConfigs: [{ path: ds }],
    invalidConfigs: [{}, { path: "" }, { path: "relative" }, { path: 3 }],
    builtin: true,
  });
  const provider = await filesystem.createProvider({ path: ds });
  await assertLockConformance(provider.createLock(ds, { lockKey: "sdk/one.lock" }));
  const health = await assertVerifierConformance(provider.createVerifier());
  assert.equal(health.healthy, true);
});

test("local_encryption vault: export and provider suites", async () => {
  const repoDir = join(root, "vault-repo");
  const provider = await assertVaultExportConformance(localEncryption, {
    validConfigs: [{ auto_generate: true }, {}, { key_file: "keys/vault.key" }, { ssh_key_path: "~/.ssh/id_ed25519" }],
    invalidConfigs: [{ auto_generate: "yes" }, { key_file: "" }, { base_dir: 3 }],
    builtin: true,
    vaultName: "sdk-conformance",
    context: { repoDir },
  });
  await assertVaultProviderConformance(provider);
  assert.deepEqual(await provider.list(), [], "the suite deleted what it wrote");
});

test("command/shell model type: shape, a successful run, and only declared outputs", async () => {
  const report = await assertModelTypeConformance(commandShell, {
    kind: "model",
    samples: { execute: [{ run: "echo hello" }, { run: "echo out; echo err >&2; exit 3", ignoreExitCode: true }, { run: 'echo "token=$__SWAMP_VAULT_0"' }] },
    secretEnv: { __SWAMP_VAULT_0: "s3cret-token" },
  });
  const [first, second, third] = report.runs;
  assert.equal(third?.resource("result")?.["stdout"], "token=***", "the secret reached the child through secretEnv and was redacted");
  assert.equal(first?.resource("result")?.["stdout"], "hello");
  assert.equal(first?.fileText("log"), "[stdout]\nhello");
  assert.equal(second?.resource("result")?.["exitCode"], 3);
  assert.deepEqual(second?.logs.map((l) => [l.level, l.message]), [["info", "out"], ["warn", "err"]]);
});

test("raw driver: in-process runs report the host's handles; failures are results", async () => {
  const result = await assertDriverConformance(raw, { builtin: true, validConfigs: [{}], invalidConfigs: [] });
  assert.equal(result.outputs.length, 2);
});

test("docker driver: command mode through a fake container CLI", async () => {
  const fakeDocker = fileURLToPath(new URL("../builtins/driver-docker/fixtures/fake-docker.js", import.meta.url));
  const cli = join(root, "fake-docker");
  await writeFile(cli, `#!/bin/sh\nexec '${process.execPath}' '${fakeDocker}' "$@"\n`);
  await chmod(cli, 0o755);
  const result = await assertDriverConformance(docker, {
    builtin: true,
    validConfigs: [{ image: "alpine:3", command: cli }],
    invalidConfigs: [{}, { image: "" }, { image: "a", command: "kubectl" }, { image: "a", surprise: true }],
    request: { modelType: "command/shell", methodArgs: { run: "echo from-container" } },
  });
  const out = result.outputs[0];
  assert.ok(out?.kind === "pending");
  assert.equal(JSON.parse(new TextDecoder().decode(out.content)).stdout, "from-container");
});

test("method-summary report: success and failure runs", async () => {
  const out = await assertReportConformance(
    methodSummary,
    createReportTestContext({ definition: { id: "m", name: "hello", version: 1, tags: {} }, dataHandles: [createTestDataHandle({ name: "result", version: 2 })] }),
  );
  assert.match(out.markdown, /^# hello \(@test\/model\) → execute: succeeded/);
  assert.equal((out.json["dataProduced"] as unknown[]).length, 1);
});
