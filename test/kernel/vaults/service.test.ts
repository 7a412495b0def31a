/**
 * Vault configs and the vault service: storage format, name rules, provider construction
 * through the registry, the audit trail, and the spec's error messages.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import * as z from "zod";
import { errorCode } from "../../../kernel/contract/errors.js";
import type { VaultPlugin, VaultProvider } from "../../../kernel/contract/ports/vault.js";
import { serviceFor, vaultRegistry, withDir } from "./helpers.js";

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal(errorCode(err), code, String((err as Error).message));
    const text = (err as Error).message;
    assert.doesNotMatch(text, /\n/, "one line");
    if (typeof message === "string") assert.equal(text, message);
    else if (message) assert.match(text, message);
    return true;
  });
}

async function auditLines(repo: string): Promise<Array<Record<string, unknown>>> {
  const dir = join(repo, ".swamp", "audit");
  let files: string[] = [];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const out: Array<Record<string, unknown>> = [];
  for (const f of files.sort()) {
    assert.match(f, /^vault-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
    for (const line of (await readFile(join(dir, f), "utf8")).split("\n").filter(Boolean)) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

test("vault configs: vaults/<type>/<id>.yaml, name rules, uniqueness, no absolute base_dir", async () => {
  await withDir(async (repo) => {
    const service = serviceFor(repo);
    const created = await service.configs.create({ name: "dev-secrets", type: "local_encryption", config: { auto_generate: true } });
    assert.equal(created.path, join(repo, "vaults", "local_encryption", `${created.config.id}.yaml`));
    const yaml = parse(await readFile(created.path, "utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(yaml), ["id", "name", "type", "config", "createdAt"]);
    assert.deepEqual(yaml.config, { auto_generate: true });
    assert.ok(!(await readFile(created.path, "utf8")).includes(repo));

    const audited = await service.configs.create({ name: "audited", type: "local_encryption", config: {}, auditReads: true });
    assert.equal((parse(await readFile(audited.path, "utf8")) as Record<string, unknown>).auditReads, true);

    await rejects(service.configs.create({ name: "dev-secrets", type: "local_encryption", config: {} }), "already_exists", "Vault already exists: dev-secrets");
    for (const bad of ["Dev", "1abc", "a_b", "", "-a", "a/b", "../x"]) {
      await rejects(service.configs.create({ name: bad, type: "local_encryption", config: {} }), "vault_invalid_name", /^Invalid vault name/);
    }
    assert.deepEqual(await serviceFor(repo).names(), ["audited", "dev-secrets"]);
    assert.equal((await serviceFor(repo).configs.find(created.config.id))?.config.name, "dev-secrets");
  });
});

test("broken vault files are skipped with a warning; old type names are remapped", async () => {
  await withDir(async (repo) => {
    await mkdir(join(repo, "vaults", "local_encryption"), { recursive: true });
    await writeFile(join(repo, "vaults", "local_encryption", "bad.yaml"), "id: [unclosed");
    await writeFile(join(repo, "vaults", "local_encryption", "noname.yaml"), "id: x\ntype: local_encryption\ncreatedAt: now\n");
    await mkdir(join(repo, "vaults", "aws"), { recursive: true });
    await writeFile(join(repo, "vaults", "aws", "a.yaml"), "id: a\nname: cloud\ntype: aws\ncreatedAt: now\nconfig: {}\n");
    const warnings: string[] = [];
    const service = serviceFor(repo, { warnings });
    assert.deepEqual(await service.names(), ["cloud"]);
    assert.equal((await service.configs.find("cloud"))?.config.type, "@swamp/aws-sm");
    assert.equal(warnings.filter((w) => w.startsWith("Skipping broken vault config")).length, 2);
    assert.ok(warnings.some((w) => w.includes("old type name 'aws'")));
  });
});

test("get/put/list/delete through the registry, with the audit trail (never a value)", async () => {
  await withDir(async (repo) => {
    const service = serviceFor(repo);
    await service.configs.create({ name: "dev", type: "local_encryption", config: { auto_generate: true } });
    await service.configs.create({ name: "loud", type: "local_encryption", config: { auto_generate: true }, auditReads: true });
    const SECRET = "correct-horse-battery-staple";
    await service.put("dev", "api", SECRET, "test:put");
    assert.equal(await service.get("dev", "api", "test:get"), SECRET);
    assert.deepEqual(await service.listKeys("dev"), ["api"]);
    assert.equal(await service.has("dev", "api"), true);
    await service.put("loud", "k", SECRET, "test:put");
    assert.equal(await service.get("loud", "k", "test:get"), SECRET);
    await service.delete("dev", "api", "test:delete");
    assert.deepEqual(await service.listKeys("dev"), []);

    const lines = await auditLines(repo);
    assert.deepEqual(
      lines.map((l) => [l.action, l.vaultName, l.secretKey, l.callerContext, l.vaultType]),
      [
        ["put", "dev", "api", "test:put", "local_encryption"],
        ["put", "loud", "k", "test:put", "local_encryption"],
        ["get", "loud", "k", "test:get", "local_encryption"],
        ["delete", "dev", "api", "test:delete", "local_encryption"],
      ],
    );
    for (const l of lines) assert.deepEqual(Object.keys(l), ["action", "timestamp", "vaultName", "vaultType", "secretKey", "callerContext"]);
    const raw = (await readdir(join(repo, ".swamp", "audit"))).map((f) => f);
    for (const f of raw) assert.ok(!(await readFile(join(repo, ".swamp", "audit", f), "utf8")).includes(SECRET));
  });
});

test("unknown vaults: the spec's messages, on one line", async () => {
  await withDir(async (repo) => {
    const empty = serviceFor(repo);
    await rejects(
      empty.get("nope", "k"),
      "vault_not_found",
      "Vault 'nope' not found. No vaults are configured. Note: vaults are NOT configured in .swamp.yaml. Create a vault using: swamp vault create <type> nope",
    );
    const service = serviceFor(repo);
    await service.configs.create({ name: "b", type: "local_encryption", config: {} });
    await service.configs.create({ name: "a", type: "local_encryption", config: {} });
    await rejects(serviceFor(repo).put("nope", "k", "v"), "vault_not_found", "Vault 'nope' not found. Available vaults: a, b. Create 'nope' using: swamp vault create <type> nope");
    await rejects(serviceFor(repo).get("a", "missing"), "vault_secret_not_found", "Secret 'missing' not found in vault 'a'");
  });
});

test("config validation, provider shape and provider errors", async () => {
  await withDir(async (repo) => {
    const broken: VaultPlugin = {
      type: "@test/broken",
      name: "Broken",
      description: "returns half a provider",
      createProvider: () => ({ getName: () => "x", get: async () => "v" }) as unknown as VaultProvider,
    };
    const noisy: VaultPlugin = {
      type: "@test/noisy",
      name: "Noisy",
      description: "multi-line errors, no delete",
      configSchema: z.object({ region: z.string() }),
      createProvider: (name) => ({
        getName: () => name,
        get: async () => {
          throw new Error("upstream said no\n\n  because reasons\n");
        },
        put: async () => {},
        list: async () => [],
      }),
    };
    const registry = vaultRegistry([broken, noisy]);
    const service = serviceFor(repo, { registry });
    await service.configs.create({ name: "half", type: "@test/broken", config: {} });
    await service.configs.create({ name: "loud", type: "@test/noisy", config: { region: "eu" } });
    await service.configs.create({ name: "badcfg", type: "@test/noisy", config: { region: 3 } });
    await service.configs.create({ name: "badle", type: "local_encryption", config: { auto_generate: "yes" } });
    await service.configs.create({ name: "ghost", type: "@test/ghost", config: {} });

    await rejects(service.get("half", "k"), "vault_provider_invalid", "createProvider for vault type '@test/broken' (vault 'half') returned an invalid provider: missing methods: put, list");
    await rejects(service.get("badcfg", "k"), "vault_config_invalid", /^Invalid config for vault type '@test\/noisy' \(vault 'badcfg'\): region: /);
    await rejects(service.get("badle", "k"), "vault_config_invalid", /^Invalid config for vault type 'local_encryption' \(vault 'badle'\): auto_generate: /);
    await rejects(service.get("loud", "k"), "vault_operation_failed", "Vault 'loud' (type: @test/noisy) failed to get 'k': upstream said no — because reasons");
    await rejects(service.delete("loud", "k"), "vault_unsupported", "Vault 'loud' (type: @test/noisy) does not support deleting secrets");
    await rejects(service.get("ghost", "k"), "not_found", /Unknown vault type/);
  });
});
