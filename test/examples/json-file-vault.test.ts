/**
 * examples/vaults/json-file: the vault conformance suites, then the example installed in a
 * repository and used through the real CLI — create, put, read, list, overwrite, delete — and a
 * secret it holds reaching a shell command through `vault.get` (redacted in the output).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VaultPlugin } from "../../kernel/contract/ports/vault.js";
import { assertVaultExportConformance, assertVaultProviderConformance, importExtension } from "../../sdk/testing/index.js";
import { parseJson, withRepo } from "../helpers/cli.js";
import { example, inRepo, install } from "./helpers.js";

let root: string;
let vault: VaultPlugin;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "swamp-example-vault-"));
  ({ vault } = await importExtension<{ vault: VaultPlugin }>(example("vaults/json-file.ts")));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("json-file vault passes the vault conformance suites; its file is private", async () => {
  const provider = await assertVaultExportConformance(vault, {
    validConfigs: [{}, { directory: "vault-files" }, { directory: join(root, "abs") }],
    invalidConfigs: [{ directory: "" }, { directory: 7 }],
    vaultName: "dev",
    context: { repoDir: root },
  });
  await assertVaultProviderConformance(provider);
  await provider.put("kept", "value");
  const file = join(root, ".secrets", "dev.json");
  assert.deepEqual(JSON.parse(await readFile(file, "utf8")), { kept: "value" });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(join(root, ".secrets"))).mode & 0o777, 0o700);

  // Concurrent puts through one provider are not lost.
  await Promise.all(Array.from({ length: 20 }, (_, i) => provider.put(`k${i}`, String(i))));
  assert.equal((await provider.list()).length, 21);
  const other = await vault.createProvider("other", { directory: "vault-files" }, { repoDir: root });
  await other.put("x", "y");
  assert.ok(existsSync(join(root, "vault-files", "other.json")));
});

test("through the CLI: create, put, read, list, overwrite, delete, and vault.get in a shell command", async () => {
  await withRepo(async (repo) => {
    const swamp = inRepo(repo);
    await install(repo, "vaults/json-file.ts", "extensions/vaults/json-file.ts");

    const created = await swamp(["vault", "create", "@examples/json-file", "dev", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const c = parseJson(created.stdout);
    assert.deepEqual([c.name, c.type, c.typeName, c.config], ["dev", "@examples/json-file", "JSON file (example)", { directory: ".secrets" }]);

    const put = await swamp(["vault", "put", "dev", "api-token", "--json"], { input: "s3cret-value-1" });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(parseJson(put.stdout).vaultType, "@examples/json-file");
    assert.equal((await swamp(["vault", "read-secret", "dev", "api-token"])).stdout, "s3cret-value-1");
    assert.deepEqual(parseJson((await swamp(["vault", "list-keys", "dev", "--json"])).stdout).secretKeys, ["api-token"]);
    assert.equal((await stat(join(repo, ".secrets", "dev.json"))).mode & 0o777, 0o600);

    const overwritten = await swamp(["vault", "put", "dev", "api-token", "-f", "--json"], { input: "s3cret-value-2" });
    assert.equal(parseJson(overwritten.stdout).overwritten, true);
    const invalid = await swamp(["vault", "put", "dev", "../escape", "--json"], { input: "x" });
    assert.equal(invalid.code, 1);

    await swamp(["model", "create", "command/shell", "hello", "--json"]);
    const run = await swamp(["model", "method", "run", "hello", "execute", "--input", 'run=echo token=${{ vault.get("dev", "api-token") }}', "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = parseJson(run.stdout).dataArtifacts.find((a: { name: string }) => a.name === "result");
    assert.equal(result.attributes.stdout, "token=***", "the secret reached the command and was redacted");
    assert.ok(!run.stdout.includes("s3cret-value-2"));

    const deleted = await swamp(["vault", "delete", "dev", "api-token", "-y", "--json"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const missing = await swamp(["vault", "read-secret", "dev", "api-token"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Secret 'api-token' not found in vault 'dev'/);
  });
});
