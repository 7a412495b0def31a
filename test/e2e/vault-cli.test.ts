/**
 * `swamp vault …` through the real binary: create, put (stdin, argv, KEY=VALUE), read-secret,
 * list-keys, delete, the JSON shapes of models.md §7.4, the audit trail, and the failures
 * (exit 1, one line, nothing written).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

const PEM = "-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----\n";

function oneErrorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line expected, got: ${stderr}`);
  return lines[0] as string;
}

async function auditText(repo: string): Promise<string> {
  const dir = join(repo, ".swamp", "audit");
  let text = "";
  for (const f of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith("vault-audit-"))) text += await readFile(join(dir, f), "utf8");
  return text;
}

test("vault lifecycle: create, put from stdin, read-secret, list-keys, overwrite, delete", async () => {
  await withRepo(async (repo) => {
    const r = (args: string[], input?: string) => swamp([...args, "--repo-dir", repo], input === undefined ? {} : { input });

    const created = await r(["vault", "create", "local_encryption", "dev-secrets", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const c = parseJson(created.stdout);
    assert.deepEqual(Object.keys(c), ["id", "name", "type", "typeName", "config"]);
    assert.deepEqual([c.name, c.type, c.typeName, c.config], ["dev-secrets", "local_encryption", "Local encryption", { auto_generate: true }]);
    const yaml = await readFile(join(repo, "vaults", "local_encryption", `${c.id}.yaml`), "utf8");
    assert.ok(!yaml.includes(repo), "no absolute base_dir");

    // Piped: one trailing newline dropped when it is the only one; multi-line kept exactly.
    const put = await r(["vault", "put", "dev-secrets", "api-token", "--json"], "s3cret-Value-1\n");
    assert.equal(put.code, 0, put.stderr);
    const p = parseJson(put.stdout);
    assert.deepEqual(Object.keys(p), ["vaultName", "secretKey", "vaultType", "overwritten", "timestamp"]);
    assert.deepEqual([p.vaultName, p.secretKey, p.vaultType, p.overwritten], ["dev-secrets", "api-token", "local_encryption", false]);
    assert.equal(put.stderr, "");
    assert.equal((await r(["vault", "put", "dev-secrets", "pem"], PEM)).code, 0);

    const raw = await r(["vault", "read-secret", "dev-secrets", "api-token"]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, "s3cret-Value-1", "piped: raw, no trailing newline");
    assert.equal((await r(["vault", "read-secret", "dev-secrets", "pem"])).stdout, PEM);
    const rj = parseJson((await r(["vault", "read-secret", "dev-secrets", "api-token", "--json"])).stdout);
    assert.deepEqual(rj, { vaultName: "dev-secrets", secretKey: "api-token", vaultType: "local_encryption", value: "s3cret-Value-1" });

    const keys = parseJson((await r(["vault", "list-keys", "dev-secrets", "--json"])).stdout);
    assert.deepEqual(keys, { vaultName: "dev-secrets", vaultType: "local_encryption", secretKeys: ["api-token", "pem"], count: 2 });
    assert.equal((await r(["vault", "list-keys", "dev-secrets"])).stdout, "Vault dev-secrets (local_encryption): 2 key(s)\n  - api-token\n  - pem\n");

    // Overwrite needs --force when nobody can be asked; the old value survives a refusal.
    const refused = await r(["vault", "put", "dev-secrets", "api-token"], "other\n");
    assert.equal(refused.code, 1);
    assert.equal(oneErrorLine(refused.stderr), "Error: Secret 'api-token' already exists in vault 'dev-secrets'. Use --force (or --yes) to overwrite it");
    assert.equal((await r(["vault", "read-secret", "dev-secrets", "api-token"])).stdout, "s3cret-Value-1");
    const forced = await r(["vault", "put", "dev-secrets", "api-token", "-f", "--json"], "s3cret-Value-2");
    assert.equal(parseJson(forced.stdout).overwritten, true);
    assert.equal((await r(["vault", "read-secret", "dev-secrets", "api-token"])).stdout, "s3cret-Value-2");

    // Values on argv work only when asked for, with a warning that other users can see them.
    const argv = await r(["vault", "put", "dev-secrets", "from-argv", "argv-value-123", "--value-from-arg"]);
    assert.equal(argv.code, 0);
    assert.match(oneErrorLine(argv.stderr), /^Warning: The secret was given on the command line, where other users can see it/);
    const kv = await r(["vault", "put", "dev-secrets", "KV_KEY=kv=value", "--value-from-arg", "--json"]);
    assert.equal(kv.code, 0, kv.stderr);
    assert.equal(parseJson(kv.stdout).secretKey, "KV_KEY");
    assert.match(parseJson(oneErrorLine(kv.stderr)).warning, /command line/);
    assert.equal((await r(["vault", "read-secret", "dev-secrets", "KV_KEY"])).stdout, "kv=value");

    // delete: asks in a terminal, so -y here; -f ignores a missing key.
    const del = await r(["vault", "delete", "dev-secrets", "from-argv", "-y", "--json"]);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(
      (({ timestamp: _t, ...rest }) => rest)(parseJson(del.stdout)),
      { vaultName: "dev-secrets", secretKey: "from-argv", vaultType: "local_encryption" },
    );
    const again = await r(["vault", "delete", "dev-secrets", "from-argv", "-y"]);
    assert.equal(again.code, 1);
    assert.equal(oneErrorLine(again.stderr), "Error: Secret 'from-argv' not found in vault 'dev-secrets'");
    const forcedDel = await r(["vault", "delete", "dev-secrets", "from-argv", "-f", "--json"]);
    assert.equal(forcedDel.code, 0);
    assert.equal(parseJson(forcedDel.stdout).noOp, true);
    assert.equal((await r(["vault", "delete", "dev-secrets", "pem"])).code, 2, "no terminal to ask and no -y");

    // The audit trail names keys and never values.
    const audit = await auditText(repo);
    const entries = audit.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      entries.map((e) => `${e.action} ${e.secretKey}`),
      ["put api-token", "put pem", "put api-token", "put from-argv", "put KV_KEY", "delete from-argv"],
    );
    for (const v of ["s3cret-Value", "AAAA", "argv-value-123", "kv=value"]) assert.ok(!audit.includes(v), v);
  });
});

test("vault get, describe and search shapes", async () => {
  await withRepo(async (repo) => {
    const r = (args: string[]) => swamp([...args, "--repo-dir", repo]);
    const c = parseJson((await r(["vault", "create", "local_encryption", "alpha", "--audit-reads", "--json"])).stdout);
    await r(["vault", "create", "local_encryption", "beta"]);
    const g = parseJson((await r(["vault", "get", "alpha", "--json"])).stdout);
    assert.deepEqual(Object.keys(g), ["id", "name", "type", "config", "createdAt", "storagePath"]);
    assert.equal(g.storagePath, `vaults/local_encryption/${c.id}.yaml`);
    assert.deepEqual(parseJson((await r(["vault", "get", c.id, "--json"])).stdout), g);
    const d = parseJson((await r(["vault", "describe", "alpha", "--json"])).stdout);
    assert.deepEqual(Object.keys(d), ["id", "name", "type", "config", "createdAt"]);
    const s = parseJson((await r(["vault", "search", "--json"])).stdout);
    assert.deepEqual(s.results.map((x: { name: string }) => x.name), ["alpha", "beta"]);
    assert.deepEqual(Object.keys(s.results[0]), ["id", "name", "type", "createdAt"]);
    assert.deepEqual(parseJson((await r(["vault", "search", "bet", "--json"])).stdout).results.map((x: { name: string }) => x.name), ["beta"]);
    assert.match((await r(["vault", "list"])).stdout, /^alpha\s+local_encryption/m);
    // auditReads: reads are recorded too.
    await swamp(["vault", "put", "alpha", "k", "--repo-dir", repo], { input: "v-123" });
    await r(["vault", "read-secret", "alpha", "k"]);
    assert.match(await auditText(repo), /"action":"get","timestamp":"[^"]+","vaultName":"alpha","vaultType":"local_encryption","secretKey":"k","callerContext":"cli:vault-read-secret"/);
  });
});

test("bad input: exit 1 (or 2 for usage), one line, nothing written", async () => {
  await withRepo(async (repo) => {
    const r = (args: string[], input?: string) => swamp([...args, "--repo-dir", repo], input === undefined ? {} : { input });
    assert.equal((await r(["vault", "create", "local_encryption", "dev"])).code, 0);
    assert.equal((await r(["vault", "put", "dev", "known"], "known-value")).code, 0);
    const before = await snapshotTree(repo);
    const cases: Array<[string[], string | undefined, number, RegExp]> = [
      [["vault", "put", "nope", "k"], "value-abc", 1, /^Error: Vault 'nope' not found\. Available vaults: dev\. Create 'nope' using: swamp vault create <type> nope$/],
      [["vault", "read-secret", "nope", "k"], undefined, 1, /^Error: Vault 'nope' not found/],
      [["vault", "list-keys", "nope"], undefined, 1, /^Error: Vault 'nope' not found/],
      [["vault", "delete", "nope", "k", "-y"], undefined, 1, /^Error: Vault 'nope' not found/],
      [["vault", "get", "nope"], undefined, 1, /^Error: Vault 'nope' not found/],
      [["vault", "read-secret", "dev", "missing"], undefined, 1, /^Error: Secret 'missing' not found in vault 'dev'$/],
      [["vault", "read-secret", "dev", "../escape"], undefined, 1, /^Error: Invalid secret key "\.\.\/escape" for vault 'dev'/],
      [["vault", "put", "dev", "a/b"], "value-abc", 1, /^Error: Invalid secret key "a\/b"/],
      [["vault", "put", "dev", "empty"], "", 2, /^Error: The secret value from stdin is empty; nothing was stored$/],
      [["vault", "create", "local_encryption", "dev"], undefined, 1, /^Error: Vault already exists: dev$/],
      [["vault", "create", "local_encryption", "Bad_Name"], undefined, 1, /^Error: Invalid vault name: "Bad_Name"/],
      [["vault", "create", "nosuch", "x"], undefined, 1, /^Error: Unknown vault type: "nosuch"/],
      [["vault", "create", "aws", "x"], undefined, 2, /^Error: The type 'aws' has been renamed to '@swamp\/aws-sm'/],
      [["vault", "create", "local_encryption", "x", "--config", '{"auto_generate":"yes"}'], undefined, 1, /^Error: Invalid config for vault type 'local_encryption' \(vault 'x'\): auto_generate: /],
      [["vault", "create", "local_encryption", "x", "--config", "{nope"], undefined, 2, /^Error: Invalid JSON in --config: /],
    ];
    for (const [args, input, code, message] of cases) {
      const res = await r(args, input);
      assert.equal(res.code, code, `${args.join(" ")}: ${res.stderr}`);
      assert.match(oneErrorLine(res.stderr), message, args.join(" "));
      assert.equal(res.stdout, "", args.join(" "));
      const json = await r([...args, "--json"], input);
      assert.equal(json.code, code, `${args.join(" ")} --json: ${json.stderr}`);
      assert.equal(typeof parseJson(json.stderr).error.code, "string");
    }
    const after = await snapshotTree(repo);
    // Audit files may not change either: nothing was stored, read or deleted.
    assert.deepEqual(after, before);
  });
});

test("vault keys: a dot-file key is listed; a huge key is refused with a short message", async () => {
  await withRepo(async (repo) => {
    const r = (args: string[], input?: string) => swamp([...args, "--repo-dir", repo], input === undefined ? {} : { input });
    assert.equal((await r(["vault", "create", "local_encryption", "dev"])).code, 0);
    for (const key of [".key", ".hidden", "plain"]) assert.equal((await r(["vault", "put", "dev", key], `v${key}`)).code, 0, key);
    const listed = parseJson((await r(["vault", "list-keys", "dev", "--json"])).stdout);
    assert.deepEqual(listed.secretKeys, [".hidden", ".key", "plain"]);
    assert.equal(listed.count, 3);
    assert.equal((await r(["vault", "read-secret", "dev", ".key"])).stdout, "v.key");

    // Keys are at most 200 bytes; no error echoes more than a short prefix of a name.
    const limit = "k".repeat(200);
    assert.equal((await r(["vault", "put", "dev", limit], "v")).code, 0, "200 bytes is allowed");
    const huge = "k".repeat(10_000);
    const before = await snapshotTree(repo);
    for (const args of [["vault", "put", "dev", huge], ["vault", "read-secret", "dev", huge], ["vault", "delete", "dev", huge, "--force"]]) {
      const json = await r([...args, "--json"], "value");
      assert.notEqual(json.code, 0, args[1]);
      const err = parseJson(json.stderr).error;
      assert.equal(err.code, "vault_invalid_key", `${args[1]}: ${err.message.slice(0, 300)}`);
      assert.match(err.message, /10000 bytes.*limited to 200 bytes/);
      assert.ok(json.stderr.length < 400, `${args[1]} echoed ${json.stderr.length} characters`);
      const text = await r(args, "value");
      assert.ok(oneErrorLine(text.stderr).length < 300, text.stderr.slice(0, 300));
    }
    const noKey = await r(["vault", "put", "dev", `${"k".repeat(201)}`], "v");
    assert.match(oneErrorLine(noKey.stderr), /201 bytes/);
    assert.deepEqual(await snapshotTree(repo), before, "nothing written");

    // Other names a user types are cut short too.
    for (const args of [["vault", "list-keys", huge], ["model", "get", huge], ["vault", "read-secret", huge, "k"]]) {
      const res = await r(args);
      assert.equal(res.code, 1, args.join(" ").slice(0, 40));
      assert.ok(oneErrorLine(res.stderr).length < 400, res.stderr.slice(0, 400));
    }
  });
});
