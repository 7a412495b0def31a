/**
 * The rest of the `swamp vault …` surface (extensions.md §8) through the real binary: put's
 * value sources (argv only with --value-from-arg, --value-file, a hidden prompt in a real
 * pseudo-terminal), --json never overwriting without --force, labels and refresh hooks;
 * annotate, inspect, audit-trail, edit, type search, migrate (annotations and refresh hooks
 * carried along, a failed migrate leaving the source intact), and the shapes of get, delete
 * and create that §8 fixes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseJson, swamp, withRepo, type RunResult } from "../helpers/cli.js";
import { inTerminalShell, swampCommand } from "../helpers/pty.js";
import { snapshotTree } from "../helpers/tree.js";

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line expected, got: ${stderr}`);
  return lines[0] as string;
}

function jsonError(r: RunResult): { code: string; message: string } {
  assert.notEqual(r.code, 0, r.stdout);
  assert.equal(r.stdout, "");
  return parseJson(r.stderr).error;
}

async function auditEntries(repo: string): Promise<Array<Record<string, string>>> {
  const dir = join(repo, ".swamp", "audit");
  const out: Array<Record<string, string>> = [];
  for (const f of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith("vault-audit-")).sort()) {
    for (const line of (await readFile(join(dir, f), "utf8")).split("\n").filter(Boolean)) out.push(JSON.parse(line));
  }
  return out;
}

function runner(repo: string) {
  return (args: string[], input?: string, env?: Record<string, string>): Promise<RunResult> =>
    swamp([...args, "--repo-dir", repo], { ...(input === undefined ? {} : { input }), ...(env ? { env } : {}) });
}

test("vault put: argv values only with --value-from-arg, --value-file, --json refuses to overwrite, labels, refresh hooks", async () => {
  await withRepo(async (repo) => {
    const r = runner(repo);
    assert.equal((await r(["vault", "create", "local_encryption", "dev"])).code, 0);

    // A value on the command line is refused unless asked for explicitly; nothing is stored.
    const before = await snapshotTree(repo);
    for (const args of [["vault", "put", "dev", "k", "argv-secret-1"], ["vault", "put", "dev", "K=argv-secret-1"]]) {
      const text = await r(args);
      assert.equal(text.code, 2, text.stderr);
      assert.match(oneLine(text.stderr), /^Error: .*command line.*--value-from-arg/);
      assert.ok(!text.stderr.includes("argv-secret-1"));
      assert.equal(jsonError(await r([...args, "--json"])).code, "vault_value_on_command_line");
    }
    assert.deepEqual(await snapshotTree(repo), before, "nothing written");
    const accepted = await r(["vault", "put", "dev", "K=argv=secret-2", "--value-from-arg", "--json"]);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(parseJson(oneLine(accepted.stderr)).warning, /other users/);
    assert.equal((await r(["vault", "read-secret", "dev", "K"])).stdout, "argv=secret-2");

    // --value-file: one trailing newline dropped when it is the only one.
    const file = join(repo, "..", "token.txt");
    await writeFile(file, "file-secret-3\n", { mode: 0o600 });
    const fromFile = await r(["vault", "put", "dev", "from-file", "--value-file", file, "--json"]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromFile.stderr, "");
    assert.equal((await r(["vault", "read-secret", "dev", "from-file"])).stdout, "file-secret-3");
    assert.equal(jsonError(await r(["vault", "put", "dev", "x", "--value-file", join(repo, "missing.txt"), "--json"])).code, "not_found");

    // --json never overwrites silently.
    const overwrite = jsonError(await r(["vault", "put", "dev", "from-file", "--json"], "other"));
    assert.equal(overwrite.code, "vault_secret_exists");
    assert.match(overwrite.message, /Use --force to overwrite it$/);
    assert.equal(jsonError(await r(["vault", "put", "dev", "from-file", "-y", "--json"], "other")).code, "vault_secret_exists", "--yes is not enough under --json");
    assert.equal((await r(["vault", "read-secret", "dev", "from-file"])).stdout, "file-secret-3");
    assert.equal(parseJson((await r(["vault", "put", "dev", "from-file", "--force", "--json"], "file-secret-4")).stdout).overwritten, true);

    // Labels are stored as the secret's annotation labels; a bad one is refused before anything is read.
    const labelled = parseJson((await r(["vault", "put", "dev", "lbl", "--label", "env=prod", "--label", "team=core", "--json"], "lbl-value")).stdout);
    assert.deepEqual(labelled.labels, { env: "prod", team: "core" });
    assert.equal(jsonError(await r(["vault", "put", "dev", "lbl2", "--label", "novalue", "--json"], "v")).message, "Invalid label format: 'novalue'. Expected key=value.");
    assert.match(jsonError(await r(["vault", "put", "dev", "lbl2", "--label", "=v", "--json"], "v")).message, /empty key/);

    // Refresh hooks: the command gives the first value now and a new one once the TTL passed.
    const src = join(repo, "..", "source.txt");
    await writeFile(src, "refreshed-v1\n");
    const hooked = await r(["vault", "put", "dev", "tok", "--refresh-from", `cat '${src}'`, "--refresh-ttl", "1ms", "--json"]);
    assert.equal(hooked.code, 0, hooked.stderr);
    assert.equal((await r(["vault", "read-secret", "dev", "tok"])).stdout, "refreshed-v1");
    await writeFile(src, "refreshed-v2\n");
    assert.equal((await r(["vault", "read-secret", "dev", "tok"])).stdout, "refreshed-v2", "stale: the command ran again");
    await rm(src);
    const failed = await r(["vault", "read-secret", "dev", "tok", "--json"]);
    assert.equal(failed.code, 0, failed.stderr);
    assert.equal(parseJson(failed.stdout).value, "refreshed-v2", "a failing hook keeps the stale value");
    assert.match(parseJson(oneLine(failed.stderr)).warning, /refresh/i);
    const inspected = parseJson((await r(["vault", "inspect", "dev", "tok", "--json"])).stdout);
    assert.equal(inspected.hasRefreshHook, true);
    assert.deepEqual([inspected.refreshHook.command, inspected.refreshHook.ttl, inspected.refreshHook.ttlMs], [`cat '${src}'`, "1ms", 1]);
    const hookFiles = await readdir(join(repo, ".swamp", "secrets", "local_encryption", "dev", ".refresh"));
    assert.deepEqual(hookFiles, ["tok.enc"]);
    const cleared = await r(["vault", "put", "dev", "tok", "--clear-refresh", "-f", "--json"], "manual-v3");
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(parseJson((await r(["vault", "inspect", "dev", "tok", "--json"])).stdout).hasRefreshHook, false);
    assert.equal((await r(["vault", "read-secret", "dev", "tok"])).stdout, "manual-v3");
    for (const [args, message] of [
      [["--refresh-from", "true"], /--refresh-from and --refresh-ttl go together/],
      [["--refresh-ttl", "1h"], /--refresh-from and --refresh-ttl go together/],
      [["--refresh-from", "true", "--refresh-ttl", "1h", "--clear-refresh"], /--clear-refresh cannot be combined/],
      [["--refresh-from", "true", "--refresh-ttl", "soon"], /Invalid --refresh-ttl "soon"/],
    ] as Array<[string[], RegExp]>) {
      const res = await r(["vault", "put", "dev", "tok2", ...args, "--json"], "v");
      assert.match(jsonError(res).message, message, args.join(" "));
    }
    const failingHook = await r(["vault", "put", "dev", "tok3", "--refresh-from", "exit 3", "--refresh-ttl", "1h", "--json"]);
    assert.match(jsonError(failingHook).message, /exited with code 3/);

    // Audit: writes under the spec's caller names, never a value.
    const audit = await auditEntries(repo);
    assert.ok(audit.filter((e) => e.action === "put").every((e) => e.callerContext === "cli:vault-put" || e.callerContext === "vault-refresh-hook"), JSON.stringify(audit));
    const auditText = JSON.stringify(audit);
    for (const v of ["secret-2", "file-secret", "refreshed-v", "manual-v3", "lbl-value"]) assert.ok(!auditText.includes(v), v);
    assert.ok(!(await readFile(join(repo, "vaults", (await readdir(join(repo, "vaults")))[0]!, (await readdir(join(repo, "vaults", "local_encryption")))[0]!), "utf8")).includes("refreshed"));
  });
});

test("vault annotate, inspect and audit-trail", async () => {
  await withRepo(async (repo) => {
    const r = runner(repo);
    assert.equal((await r(["vault", "create", "local_encryption", "dev", "--audit-reads"])).code, 0);
    assert.equal((await r(["vault", "put", "dev", "k"], "héllo")).code, 0);
    assert.equal((await r(["vault", "put", "dev", "conf"], '{"a":1}')).code, 0);

    const first = await r(["vault", "annotate", "dev", "k", "--url", "https://example.test/rotate", "--notes", "rotates monthly", "--label", "env=prod", "--label", "tier=1", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const a1 = parseJson(first.stdout);
    assert.deepEqual(Object.keys(a1), ["vaultName", "secretKey", "vaultType", "fieldsUpdated", "cleared", "timestamp", "annotation"]);
    assert.deepEqual(a1.fieldsUpdated, ["url", "notes", "labels"]);
    assert.equal(a1.cleared, false);
    const second = parseJson((await r(["vault", "annotate", "dev", "k", "--label", "team=core", "--remove-label", "tier", "--json"])).stdout);
    assert.deepEqual(
      (({ updatedAt: _u, ...rest }) => rest)(second.annotation),
      { url: "https://example.test/rotate", notes: "rotates monthly", labels: { env: "prod", team: "core" } },
      "merge semantics",
    );
    const text = await r(["vault", "annotate", "dev", "k", "--notes", "owner: ops"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Annotated secret 'k' in vault 'dev'/);

    for (const [args, message] of [
      [["k"], /^No annotation fields specified/],
      [["k", "--clear", "--url", "https://x.test"], /--clear cannot be combined/],
      [["k", "--label", "bad"], /^Invalid label format: 'bad'\. Expected key=value\.$/],
      [["missing", "--notes", "n"], /^Secret 'missing' not found in vault 'dev'$/],
    ] as Array<[string[], RegExp]>) {
      assert.match(jsonError(await r(["vault", "annotate", "dev", ...args, "--json"])).message, message, args.join(" "));
    }

    const inspect = await r(["vault", "inspect", "dev", "k", "--json"]);
    assert.equal(inspect.code, 0, inspect.stderr);
    const i = parseJson(inspect.stdout);
    assert.deepEqual(Object.keys(i), [
      "vaultName", "secretKey", "vaultType", "sizeBytes", "sizeChars", "valueType", "supportsAnnotations", "hasAnnotation", "annotation", "supportsRefreshHooks", "hasRefreshHook", "refreshHook",
    ]);
    assert.deepEqual([i.sizeBytes, i.sizeChars, i.valueType, i.supportsAnnotations, i.hasAnnotation, i.supportsRefreshHooks, i.hasRefreshHook, i.refreshHook], [6, 5, "string", true, true, true, false, null]);
    assert.equal(i.annotation.notes, "owner: ops");
    assert.ok(!inspect.stdout.includes("héllo"));
    assert.equal(parseJson((await r(["vault", "inspect", "dev", "conf", "--json"])).stdout).valueType, "json");
    const inspectText = await r(["vault", "inspect", "dev", "k"]);
    assert.match(inspectText.stdout, /Size: 6 bytes/);
    assert.ok(!inspectText.stdout.includes("héllo"));

    const cleared = parseJson((await r(["vault", "annotate", "dev", "k", "--clear", "--json"])).stdout);
    assert.deepEqual([cleared.cleared, cleared.annotation, cleared.fieldsUpdated], [true, null, []]);
    assert.equal(parseJson((await r(["vault", "inspect", "dev", "k", "--json"])).stdout).hasAnnotation, false);

    // The trail: newest first, filtered, truncated, within a bounded window.
    const all = await r(["vault", "audit-trail", "--json"]);
    assert.equal(all.code, 0, all.stderr);
    const t = parseJson(all.stdout);
    assert.deepEqual(Object.keys(t), ["entries", "returnedCount", "truncated"]);
    assert.deepEqual(
      t.entries.map((e: Record<string, string>) => `${e.action} ${e.secretKey} ${e.callerContext}`),
      [
        "get k cli:vault-inspect",
        "annotate k cli:vault-annotate",
        "get k cli:vault-inspect",
        "get conf cli:vault-inspect",
        "get k cli:vault-inspect",
        "annotate k cli:vault-annotate",
        "annotate k cli:vault-annotate",
        "annotate k cli:vault-annotate",
        "put conf cli:vault-put",
        "put k cli:vault-put",
      ],
    );
    assert.deepEqual(Object.keys(t.entries[0]), ["action", "timestamp", "vaultName", "vaultType", "secretKey", "callerContext"]);
    assert.deepEqual([t.returnedCount, t.truncated], [10, false]);
    const limited = parseJson((await r(["vault", "audit-trail", "--limit", "2", "--action", "annotate", "--key", "k", "--vault", "dev", "--json"])).stdout);
    assert.deepEqual([limited.returnedCount, limited.truncated], [2, true]);
    assert.equal(parseJson((await r(["vault", "audit-trail", "--vault", "other", "--json"])).stdout).returnedCount, 0);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(parseJson((await r(["vault", "audit-trail", "--since", today, "--until", today, "--json"])).stdout).returnedCount, 10, "a date-only --until is the whole day");
    assert.equal(parseJson((await r(["vault", "audit-trail", "--until", "2020-01-01", "--json"])).stdout).returnedCount, 0);
    const log = await r(["vault", "audit-trail", "--limit", "3"]);
    assert.match(log.stdout, /^3 vault operation\(s\):\n/);
    assert.match(log.stdout, /\(results truncated — use --limit to see more\)/);
    for (const [args, message] of [
      [["--since", "nope"], /^Invalid date: nope/],
      [["--since", "2026-02-01", "--until", "2026-01-01"], /--since .* is after --until/],
      [["--since", "2020-01-01", "--until", "2022-01-01"], /365 days/],
      [["--action", "read"], /--action/],
      [["--limit", "0"], /--limit/],
    ] as Array<[string[], RegExp]>) {
      assert.match(jsonError(await r(["vault", "audit-trail", ...args, "--json"])).message, message, args.join(" "));
    }
    // A line another program wrote badly is skipped, not fatal.
    const auditFile = join(repo, ".swamp", "audit", `vault-audit-${today}.jsonl`);
    await writeFile(auditFile, `${await readFile(auditFile, "utf8")}{not json\n`);
    assert.equal(parseJson((await r(["vault", "audit-trail", "--json"])).stdout).returnedCount, 10);
  });
});

test("vault edit, get with a key, delete -f on a missing key, create without a name, type search", async () => {
  await withRepo(async (repo) => {
    const r = runner(repo);
    const c = parseJson((await r(["vault", "create", "local_encryption", "dev", "--json"])).stdout);

    // edit: a checked copy in $EDITOR replaces vaults/<type>/<id>.yaml in one step.
    const configFile = join(repo, "vaults", "local_encryption", `${c.id}.yaml`);
    const script = async (name: string, body: string) => {
      const file = join(repo, "..", name);
      await writeFile(file, `#!/bin/sh\n${body}\n`);
      await chmod(file, 0o755);
      return file;
    };
    const editor = await script("editor.sh", `printf '# edited\\n' >> "$1"`);
    const edited = await r(["vault", "edit", "dev", "--json"], undefined, { EDITOR: editor });
    assert.equal(edited.code, 0, edited.stderr);
    assert.deepEqual(parseJson(edited.stdout), { path: `vaults/local_encryption/${c.id}.yaml`, editor, status: "opened", name: "dev", type: "local_encryption", changed: true });
    assert.match(await readFile(configFile, "utf8"), /# edited\n$/);
    const good = await readFile(configFile, "utf8");
    for (const [name, body, message] of [
      ["breaker.sh", `printf 'name: [\\n' >> "$1"`, /^Invalid YAML: .*\(your edit is kept in \/.*\/[^/]+\.yaml\)$/],
      ["bad-config.sh", `sed -i 's/auto_generate: true/auto_generate: maybe/' "$1"`, /^Invalid config for vault type 'local_encryption' \(vault 'dev'\): auto_generate: /],
      ["retype.sh", `sed -i 's|^type: local_encryption|type: "@acme/other"|' "$1"`, /use: swamp vault migrate dev --to-type @acme\/other/],
    ] as Array<[string, string, RegExp]>) {
      const res = await r(["vault", "edit", c.id, "-t", "local_encryption", "--json"], undefined, { EDITOR: await script(name, body) });
      const err = jsonError(res);
      assert.equal(err.code, "vault_config_invalid", name);
      assert.match(err.message, message, name);
      assert.equal(await readFile(configFile, "utf8"), good, `${name}: the file is unchanged`);
      const kept = /your edit is kept in (.+)\)$/.exec(err.message)?.[1] ?? "";
      assert.ok(existsSync(kept), kept);
      await rm(dirname(kept), { recursive: true, force: true });
    }
    assert.match(jsonError(await r(["vault", "edit", "--json"])).message, /vault name is required/i);
    assert.equal(jsonError(await r(["vault", "edit", "nope", "--json"], undefined, { EDITOR: editor })).code, "vault_not_found");
    assert.match(jsonError(await r(["vault", "edit", "dev", "--json"], undefined, { EDITOR: join(repo, "no-such-editor") })).message, /no-such-editor' is not installed/);

    // get takes one argument and points to read-secret.
    const two = await r(["vault", "get", "dev", "api-token"]);
    assert.equal(two.code, 2);
    assert.match(oneLine(two.stderr), /swamp vault read-secret dev api-token/);

    // delete: §8's shape, noOp for a missing key under -f.
    assert.equal((await r(["vault", "put", "dev", "k"], "v-1")).code, 0);
    const del = parseJson((await r(["vault", "delete", "dev", "k", "-y", "--json"])).stdout);
    assert.deepEqual(Object.keys(del), ["vaultName", "secretKey", "vaultType", "timestamp"]);
    const noop = parseJson((await r(["vault", "delete", "dev", "k", "-f", "--json"])).stdout);
    assert.deepEqual(Object.keys(noop), ["vaultName", "secretKey", "vaultType", "timestamp", "noOp"]);
    assert.equal(noop.noOp, true);
    assert.equal((await r(["vault", "delete", "dev", "k", "-f"])).stdout, "Secret k does not exist in vault dev, skipping\n");
    assert.deepEqual((await auditEntries(repo)).map((e) => `${e.action} ${e.callerContext}`), ["put cli:vault-put", "delete cli:vault-delete"]);

    // create: a name is required without a terminal; invalid --config JSON; the log line.
    assert.match(jsonError(await r(["vault", "create", "local_encryption", "--json"])).message, /^Vault name is required in non-interactive mode/);
    assert.match(oneLine((await r(["vault", "create", "local_encryption"])).stderr), /Vault name is required in non-interactive mode/);
    assert.match(jsonError(await r(["vault", "create", "local_encryption", "x", "--config", "{nope", "--json"])).message, /^Invalid JSON in --config: /);
    assert.equal((await r(["vault", "create", "local_encryption", "second"])).stdout, "Created vault: second (Local encryption)\n");
    assert.match(jsonError(await r(["vault", "create", "nosuch", "x", "--json"])).message, /local_encryption/);

    // type search
    const types = parseJson((await r(["vault", "type", "search", "--json"])).stdout);
    assert.equal(types.query, "");
    assert.deepEqual(types.results.find((t: { type: string }) => t.type === "local_encryption"), {
      type: "local_encryption",
      name: "Local encryption",
      description: "AES-256-GCM encrypted secrets in the repository's .swamp/secrets",
    });
    assert.equal(parseJson((await r(["vault", "type", "search", "ENCRYPT", "--json"])).stdout).results.length, 1);
    assert.deepEqual(parseJson((await r(["vault", "type", "list", "zzz", "--json"])).stdout), { query: "zzz", results: [] });
    assert.match((await r(["vault", "type", "search"])).stdout, /local_encryption\s+Local encryption/);
  });
});

/** A vault extension keeping everything in one JSON file, with annotations and refresh hooks. */
const MEMO_VAULT = `
import { z } from "npm:zod@4";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const Config = z.object({ failOn: z.string().optional() });

function store(dir, name) {
  const file = join(dir, name + ".json");
  const load = () => { try { return JSON.parse(readFileSync(file, "utf8")); } catch { return { secrets: {}, annotations: {}, hooks: {} }; } };
  const save = (s) => { mkdirSync(dir, { recursive: true }); writeFileSync(file, JSON.stringify(s)); };
  return { load, save };
}

export const vault = {
  type: "@test/memo",
  name: "Memo vault",
  description: "Test vault with annotations and refresh hooks",
  configSchema: Config,
  createProvider(name, config, context) {
    const s = store(join(context.repoDir, ".memo-vault"), name);
    const edit = (fn) => { const d = s.load(); fn(d); s.save(d); };
    return {
      getName: () => name,
      async get(key) {
        const v = s.load().secrets[key];
        if (v === undefined) { const e = new Error("Secret '" + key + "' not found in vault '" + name + "'"); e.code = "vault_secret_not_found"; throw e; }
        return v;
      },
      async put(key, value) {
        if (config.failOn === key) throw new Error("refusing " + key);
        edit((d) => { d.secrets[key] = value; });
      },
      async list() { return Object.keys(s.load().secrets).sort(); },
      async delete(key) { edit((d) => { delete d.secrets[key]; }); },
      async getAnnotation(key) { return s.load().annotations[key] ?? null; },
      async putAnnotation(key, a) { edit((d) => { d.annotations[key] = a; }); },
      async deleteAnnotation(key) { edit((d) => { delete d.annotations[key]; }); },
      async listAnnotations() { return Object.keys(s.load().annotations).sort(); },
      async getRefreshHook(key) { return s.load().hooks[key] ?? null; },
      async putRefreshHook(key, h) { edit((d) => { d.hooks[key] = h; }); },
      async deleteRefreshHook(key) { edit((d) => { delete d.hooks[key]; }); },
    };
  },
};
`;

test("vault migrate: every secret, annotation and refresh hook moves; same id and name; a failure leaves the source intact", async () => {
  await withRepo(async (repo) => {
    const r = runner(repo);
    await mkdir(join(repo, "extensions", "vaults"), { recursive: true });
    await writeFile(join(repo, "extensions", "vaults", "memo.js"), MEMO_VAULT);
    const c = parseJson((await r(["vault", "create", "local_encryption", "team", "--audit-reads", "--json"])).stdout);
    const PEM = "-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n";
    assert.equal((await r(["vault", "put", "team", "a", "--label", "env=prod"], "value-a")).code, 0);
    assert.equal((await r(["vault", "put", "team", "b"], PEM)).code, 0);
    assert.equal((await r(["vault", "annotate", "team", "a", "--notes", "keep me"])).code, 0);
    assert.equal((await r(["vault", "put", "team", "c", "--refresh-from", "printf hooked", "--refresh-ttl", "2h"])).code, 0);
    const oldConfig = join(repo, "vaults", "local_encryption", `${c.id}.yaml`);

    // Rejected up front: the same type, a target config its schema refuses, an unknown vault.
    assert.match(jsonError(await r(["vault", "migrate", "team", "--to-type", "local_encryption", "--json"])).message, /already of type 'local_encryption'/);
    assert.match(jsonError(await r(["vault", "migrate", "team", "--to-type", "@test/memo", "--config", '{"failOn":5}', "--json"])).message, /^Invalid config for vault type '@test\/memo'/);
    assert.equal(jsonError(await r(["vault", "migrate", "nope", "--to-type", "@test/memo", "--json"])).code, "vault_not_found");

    const preview = await r(["vault", "migrate", "team", "--to-type", "@test/memo", "--dry-run", "--json"]);
    assert.equal(preview.code, 0, preview.stderr);
    assert.deepEqual(parseJson(preview.stdout), {
      vaultName: "team", currentType: "local_encryption", currentTypeName: "Local encryption", targetType: "@test/memo", targetTypeName: "Memo vault", secretCount: 3,
    });
    assert.ok(existsSync(oldConfig));
    assert.ok(!existsSync(join(repo, ".memo-vault")), "a dry run copies nothing");

    // A copy that fails half-way: the vault stays what it was.
    const failed = await r(["vault", "migrate", "team", "--to-type", "@test/memo", "--config", '{"failOn":"b"}', "-y", "--json"]);
    assert.match(jsonError(failed).message, /refusing b/);
    assert.equal(parseJson((await r(["vault", "get", "team", "--json"])).stdout).type, "local_encryption");
    assert.ok(!existsSync(join(repo, "vaults", "@test")));
    assert.deepEqual(JSON.parse(await readFile(join(repo, ".memo-vault", "team.json"), "utf8")).secrets, {}, "what was copied is removed again");
    assert.equal((await r(["vault", "read-secret", "team", "b"])).stdout, PEM);

    const migrated = await r(["vault", "migrate", "team", "--to-type", "@test/memo", "-y", "--json"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const m = parseJson(migrated.stdout);
    assert.deepEqual((({ timestamp: _t, ...rest }) => rest)(m), { vaultName: "team", previousType: "local_encryption", newType: "@test/memo", newTypeName: "Memo vault", secretsMigrated: 3 });
    assert.ok(!existsSync(oldConfig), "the old config is gone");
    const g = parseJson((await r(["vault", "get", "team", "--json"])).stdout);
    assert.deepEqual([g.id, g.name, g.type, g.createdAt, g.storagePath], [c.id, "team", "@test/memo", parseJson((await r(["vault", "describe", "team", "--json"])).stdout).createdAt, `vaults/@test/memo/${c.id}.yaml`]);
    const migratedYaml = await readFile(join(repo, "vaults", "@test", "memo", `${c.id}.yaml`), "utf8");
    assert.match(migratedYaml, /auditReads: true/);
    assert.match(migratedYaml, /^createdAt: "\d{4}-\d{2}-\d{2}T[^"]+Z"$/m, "a quoted ISO timestamp");
    assert.equal((await r(["vault", "read-secret", "team", "b"])).stdout, PEM);
    const a = parseJson((await r(["vault", "inspect", "team", "a", "--json"])).stdout);
    assert.deepEqual([a.annotation.notes, a.annotation.labels], ["keep me", { env: "prod" }]);
    const hook = parseJson((await r(["vault", "inspect", "team", "c", "--json"])).stdout);
    assert.deepEqual([hook.refreshHook.command, hook.refreshHook.ttl], ["printf hooked", "2h"]);
    // The source backend is never wiped.
    assert.deepEqual(await readdir(join(repo, ".swamp", "secrets", "local_encryption", "team")).then((f) => f.filter((n) => n.endsWith(".enc")).sort()), ["a.enc", "b.enc", "c.enc"]);
    const audit = await auditEntries(repo);
    assert.ok(audit.some((e) => e.action === "get" && e.callerContext === "cli:vault-migrate"), "reads audited (auditReads)");
    assert.ok(!JSON.stringify(audit).includes("value-a"));
    assert.ok(!migrated.stdout.includes("value-a") && !migrated.stderr.includes("value-a"));
  });
});

/** Runs swamp in a real pseudo-terminal, typing each reply (and Enter) once its prompt has appeared. */
async function inTerminal(args: string[], replies: Array<[prompt: string, reply: string]>): Promise<string> {
  return (await inTerminalShell(swampCommand(args), replies.map(([prompt, reply]) => [prompt, `${reply}\r`]))).output;
}

test("in a real terminal: put prompts without echo, create asks for the name", async () => {
  await withRepo(async (repo) => {
    const created = await inTerminal(["vault", "create", "local_encryption", "--repo-dir", repo], [["Vault name: ", "typed-vault"]]);
    assert.match(created, /Created vault: typed-vault \(Local encryption\)/);
    const SECRET = "pty-secret-7f3a";
    const output = await inTerminal(["vault", "put", "typed-vault", "typed", "--repo-dir", repo], [["Enter value for typed: ", SECRET]]);
    assert.match(output, /Enter value for typed: /);
    assert.ok(!output.includes(SECRET), `echoed: ${output}`);
    assert.match(output, /Stored secret 'typed' in vault 'typed-vault'/);
    assert.equal((await swamp(["vault", "read-secret", "typed-vault", "typed", "--repo-dir", repo])).stdout, SECRET);
  });
});
