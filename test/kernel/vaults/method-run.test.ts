/**
 * Sensitive outputs and vault references through a real method run (runMethod → MethodRun →
 * DataRepository → VaultService → local_encryption), in a repo made by initRepo.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { errorCode } from "../../../kernel/contract/errors.js";
import { newDefinition } from "../../../kernel/models/definition.js";
import { runMethod } from "../../../kernel/models/execute.js";
import { definitionRepository } from "../../../kernel/models/service.js";
import { createKernel, type Kernel } from "../../../kernel/runtime/kernel.js";
import { initRepo } from "../../../kernel/runtime/repo-init.js";
import { lazyVaultStore, revealVaultReferences } from "../../../kernel/vaults/lazy.js";
import { vaultService } from "../../../kernel/vaults/service.js";
import { registryWithSensitiveModel, SENSITIVE_TYPE } from "./fixtures/sensitive-model.js";
import { withDir } from "./helpers.js";

const SECRET = "sk_live_Zq9-very-secret";
const TOKEN = "nested-token-77";

async function repoKernel(dir: string): Promise<Kernel> {
  const repo = join(dir, "repo");
  await initRepo(repo, { force: false, version: "test" });
  return createKernel({ repoDir: repo, env: { ...process.env, HOME: dir, SWAMP_HOME: join(dir, "home") }, registry: registryWithSensitiveModel() });
}

async function addModel(kernel: Kernel, name: string, args: Record<string, unknown>): Promise<void> {
  const def = newDefinition(SENSITIVE_TYPE, name, "2026.01.01.1");
  def.methods = { create: { arguments: args } };
  await definitionRepository(kernel).save(def);
}

/** Every file under `root` whose bytes contain `needle`. */
async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await readFile(p)).includes(Buffer.from(needle))) hits.push(p);
    }
  };
  await walk(root);
  return hits;
}

test("a sensitive output is stored in the vault and persisted as a reference; reading it back resolves it", async () => {
  await withDir(async (dir) => {
    const kernel = await repoKernel(dir);
    const vaults = vaultService(kernel);
    await vaults.configs.create({ name: "dev", type: "local_encryption", config: { auto_generate: true } });
    await vaults.put("dev", "api", SECRET, "test");
    await vaults.put("dev", "tok", TOKEN, "test");
    await addModel(kernel, "sens", { apiKey: "${{ vault.get('dev', 'api') }}", publicId: "pk_1", token: "${{ vault.get(dev, tok) }}" });

    const view = await runMethod(kernel, { ref: "sens", method: "create", vaults: lazyVaultStore(kernel), skipReports: true });
    const state = view.dataArtifacts.find((a) => a.name === "main");
    const keyBase = `test-sensitive-${view.modelId}-create-state-main`;
    assert.deepEqual(state?.attributes, {
      apiKey: `\${{ vault.get('dev', '${keyBase}-apiKey') }}`,
      publicId: "pk_1",
      note: "made with ***",
      nested: { token: `\${{ vault.get('dev', '${keyBase}-nested.token') }}` },
    });
    assert.equal(await vaults.get("dev", `${keyBase}-apiKey`), SECRET);
    assert.equal(await vaults.get("dev", `${keyBase}-nested.token`), TOKEN);
    assert.equal(view.methodArguments.apiKey, "${{ vault.get('dev', 'api') }}");

    const log = await readFile(join(kernel.repoDir, view.logFile), "utf8");
    assert.match(log, /creating with \*\*\*/);
    assert.equal((await stat(join(kernel.repoDir, view.logFile))).mode & 0o077, 0);

    // inspect reads its own resource: values come back resolved, and every sink redacts them.
    const outputs: string[] = [];
    const inspect = await runMethod(kernel, { ref: "sens", method: "inspect", vaults: lazyVaultStore(kernel), skipReports: true, onOutput: (l) => outputs.push(l) });
    assert.deepEqual(outputs, ["read back ***", "stderr copy ***"]);
    assert.deepEqual(inspect.dataArtifacts.find((a) => a.name === "seen")?.attributes, { seen: "***" });

    // An explicit reveal (what `data get --reveal` would call) gives the values back.
    assert.deepEqual(await revealVaultReferences(kernel, state?.attributes, "test:reveal"), {
      apiKey: SECRET,
      publicId: "pk_1",
      note: "made with ***",
      nested: { token: TOKEN },
    });

    assert.deepEqual(await filesContaining(kernel.repoDir, SECRET), []);
    assert.deepEqual(await filesContaining(kernel.repoDir, TOKEN), []);
    assert.deepEqual(await filesContaining(dir, SECRET), []);
  });
});

test("without a vault: a mutating method of a type with sensitive outputs fails before it runs", async () => {
  await withDir(async (dir) => {
    const kernel = await repoKernel(dir);
    await addModel(kernel, "sens", { apiKey: "literal-value", publicId: "pk_1" });
    await assert.rejects(runMethod(kernel, { ref: "sens", method: "create", vaults: lazyVaultStore(kernel), skipReports: true }), (err: unknown) => {
      assert.equal(errorCode(err), "vault_not_configured");
      assert.equal(
        (err as Error).message,
        'Model "sens" has sensitive resource output fields but no vault is configured. Create a vault before running this method: swamp vault create <type> <name>',
      );
      return true;
    });
    assert.deepEqual(await readdir(join(kernel.repoDir, ".swamp", "data")), []);
    // No store at all is the same (nothing is ever persisted in plain text).
    await assert.rejects(runMethod(kernel, { ref: "sens", method: "create", skipReports: true }), /no vault is configured/);
  });
});

test("errors that quote a secret are redacted before they leave the run", async () => {
  await withDir(async (dir) => {
    const kernel = await repoKernel(dir);
    const vaults = vaultService(kernel);
    await vaults.configs.create({ name: "dev", type: "local_encryption", config: { auto_generate: true } });
    await vaults.put("dev", "api", SECRET, "test");
    const def = newDefinition(SENSITIVE_TYPE, "bad", "2026.01.01.1");
    def.methods = {
      check: { arguments: { apiKey: "${{ vault.get('dev', 'api') }}" } },
      explode: { arguments: { apiKey: "${{ vault.get('dev', 'api') }}" } },
      create: { arguments: { apiKey: "${{ vault.get('dev', 'api') }}", publicId: "${{ vault.get('dev', 'missing') }}" } },
    };
    await definitionRepository(kernel).save(def);
    const leaks = (err: unknown) => {
      const e = err as Error & { details?: unknown; view?: unknown };
      return [e.message, e.stack ?? "", JSON.stringify(e.details ?? null), JSON.stringify(e.view ?? null)].join("\n").includes(SECRET);
    };
    // Validation fails before the run log opens; zod's message quotes the value.
    await assert.rejects(runMethod(kernel, { ref: "bad", method: "check", vaults: lazyVaultStore(kernel), skipReports: true }), (err: unknown) => {
      assert.match((err as Error).message, /not a public key: \*\*\*/);
      assert.ok(!leaks(err));
      return true;
    });
    // The method throws with the value in its message.
    await assert.rejects(runMethod(kernel, { ref: "bad", method: "explode", vaults: lazyVaultStore(kernel), skipReports: true }), (err: unknown) => {
      assert.match((err as Error).message, /provider rejected \*\*\*/);
      assert.ok(!leaks(err));
      return true;
    });
    // A missing secret: the message names the call, never another secret.
    await assert.rejects(runMethod(kernel, { ref: "bad", method: "create", vaults: lazyVaultStore(kernel), skipReports: true }), (err: unknown) => {
      assert.match((err as Error).message, /Failed to resolve vault expression vault\.get\('dev', 'missing'\): Secret 'missing' not found in vault 'dev'/);
      assert.ok(!leaks(err));
      return true;
    });
    assert.deepEqual(await filesContaining(kernel.repoDir, SECRET), []);
  });
});

test("a workflow step's vaultName override wins over the definition's, and the vault key follows the vary name", async () => {
  await withDir(async (dir) => {
    const kernel = await repoKernel(dir);
    const vaults = vaultService(kernel);
    await vaults.configs.create({ name: "dev", type: "local_encryption", config: { auto_generate: true } });
    await vaults.configs.create({ name: "prod", type: "local_encryption", config: { auto_generate: true } });
    await vaults.put("dev", "api", SECRET, "test");
    const def = newDefinition(SENSITIVE_TYPE, "sens", "2026.01.01.1");
    def.methods = { create: { arguments: { apiKey: "${{ vault.get('dev', 'api') }}", publicId: "pk_1" } } };
    def.resources = { state: { vaultName: "dev", lifetime: "7d" } };
    await definitionRepository(kernel).save(def);

    const view = await runMethod(kernel, {
      ref: "sens",
      method: "create",
      vaults: lazyVaultStore(kernel),
      skipReports: true,
      workflow: {
        workflowId: "5d7c2a3e-0000-4000-8000-000000000001",
        workflowName: "wf",
        workflowRunId: "5d7c2a3e-0000-4000-8000-000000000002",
        jobName: "j",
        stepName: "s",
        workflowTags: {},
        stepInputs: { region: "eu" },
        dataOutputOverrides: [{ specName: "state", vaultName: "prod", vary: ["region"] }],
      },
    });
    const state = view.dataArtifacts.find((a) => a.specName === "state");
    assert.equal(state?.name, "main-eu");
    const key = `test-sensitive-${view.modelId}-create-state-main-eu-apiKey`;
    assert.equal(state?.attributes?.apiKey, `\${{ vault.get('prod', '${key}') }}`);
    assert.equal(await vaults.get("prod", key), SECRET);
    assert.deepEqual(await filesContaining(kernel.paths.resolve("data"), SECRET), []);
  });
});
