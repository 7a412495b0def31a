/**
 * Sensitive outputs: which fields are sensitive, the vault key, the vault choice, the exact
 * persisted reference, and resolving references back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { errorCode } from "../../../kernel/contract/errors.js";
import type { ResourceOutputSpec } from "../../../kernel/contract/ports/model-type.js";
import type { DataAccess, DataRecord } from "../../../kernel/expressions/context.js";
import { Redactor } from "../../../kernel/runtime/redact.js";
import { registerSecretValue, revealingResolver } from "../../../kernel/vaults/lazy.js";
import {
  isVaultReference,
  parseVaultReference,
  resolveVaultReferences,
  vaultReference,
  VaultReferenceDataAccess,
} from "../../../kernel/vaults/references.js";
import { defaultVaultKey, protectSensitiveFields, sanitizeVaultKey, sensitiveFieldsOf, specNeedsVault } from "../../../kernel/vaults/sensitive.js";
import { MemoryStore } from "./helpers.js";

const Schema = z.object({
  apiKey: z.string().meta({ sensitive: true }),
  publicId: z.string(),
  maybe: z.string().meta({ sensitive: true, vaultName: "other" }).optional(),
  wrapped: z.string().nullable().meta({ sensitive: true, vaultKey: "fixed-key" }),
  withDefault: z.number().meta({ sensitive: true }).default(7),
  piped: z.string().meta({ sensitive: true }).transform((s) => s),
  credentials: z
    .object({
      user: z.string(),
      token: z.string().meta({ sensitive: true }),
      deep: z.object({ pin: z.string().meta({ sensitive: true }) }).optional(),
    })
    .optional(),
});

function spec(schema: unknown, extra: Partial<ResourceOutputSpec> = {}): ResourceOutputSpec {
  return { schema, lifetime: "infinite", garbageCollection: 10, ...extra };
}

test("sensitive fields are found through wrappers and nested objects, in zod and JSON Schema", () => {
  const expected = [
    { path: ["apiKey"] },
    { path: ["maybe"], vaultName: "other" },
    { path: ["wrapped"], vaultKey: "fixed-key" },
    { path: ["withDefault"] },
    { path: ["piped"] },
    { path: ["credentials", "token"] },
    { path: ["credentials", "deep", "pin"] },
  ];
  assert.deepEqual(sensitiveFieldsOf(Schema), expected);
  assert.deepEqual(sensitiveFieldsOf(z.toJSONSchema(Schema, { io: "input" })), expected);
  assert.deepEqual(sensitiveFieldsOf(z.object({ a: z.string() })), []);
  assert.equal(specNeedsVault(spec(z.object({ a: z.string() }))), false);
  assert.equal(specNeedsVault(spec(z.object({ a: z.string() }), { sensitiveOutput: true })), true);
  assert.equal(specNeedsVault(spec(Schema)), true);
});

test("vault keys: sanitized {type}/{modelId}/{method}/{spec}/{instance}/{fieldPath}", () => {
  assert.equal(
    defaultVaultKey({ modelType: "@user/aws/ec2", modelId: "1234", methodName: "create", specName: "state", instanceName: "main", fieldPath: "creds.token" }),
    "user-aws-ec2-1234-create-state-main-creds.token",
  );
  assert.equal(sanitizeVaultKey("a@b\u0000c/d\\e..f....g"), "abc-d-e.f.g");
  assert.doesNotMatch(sanitizeVaultKey("x/../../etc/passwd"), /\.\.|\//);
});

test("the persisted reference has the exact documented form and parses back", () => {
  const ref = vaultReference("my-secrets", "command-shell-abc-execute-apiKey");
  assert.equal(ref, "${{ vault.get('my-secrets', 'command-shell-abc-execute-apiKey') }}");
  assert.deepEqual(parseVaultReference(ref), { vault: "my-secrets", key: "command-shell-abc-execute-apiKey" });
  assert.deepEqual(parseVaultReference(`  \${{vault.get( "v" ,"k" )}} `), { vault: "v", key: "k" });
  assert.equal(parseVaultReference(`prefix ${ref}`), null);
  assert.equal(parseVaultReference("${{ vault.get('v', 'k') }} and more"), null);
  assert.equal(isVaultReference(42), false);
});

const base = { specName: "state", instanceName: "main", modelType: "@user/aws/ec2", modelId: "m-1", methodName: "create", caller: "test" };

test("protect: values go to the vault, references replace them, the input is untouched", async () => {
  const store = new MemoryStore(["_internal", "main", "other"]);
  const redactor = new Redactor();
  const data = {
    apiKey: "sk_live_abcdef",
    publicId: "pk_12345",
    maybe: "only-if-set",
    wrapped: null,
    withDefault: 42,
    credentials: { user: "bob", token: "tok-999", deep: { pin: "4321" } },
    note: "copy of sk_live_abcdef leaked",
  };
  const before = structuredClone(data);
  const { data: out, stored } = await protectSensitiveFields(data, { ...base, spec: spec(Schema), store, onSecret: (s) => redactor.register(s) });
  assert.deepEqual(data, before);
  const key = (field: string) => `user-aws-ec2-m-1-create-state-main-${field}`;
  assert.deepEqual(out, {
    apiKey: `\${{ vault.get('main', '${key("apiKey")}') }}`,
    publicId: "pk_12345",
    maybe: `\${{ vault.get('other', '${key("maybe")}') }}`,
    wrapped: null,
    withDefault: `\${{ vault.get('main', '${key("withDefault")}') }}`,
    credentials: { user: "bob", token: `\${{ vault.get('main', '${key("credentials.token")}') }}`, deep: { pin: `\${{ vault.get('main', '${key("credentials.deep.pin")}') }}` } },
    note: "copy of sk_live_abcdef leaked",
  });
  assert.equal(store.secrets.get(`main/${key("apiKey")}`), "sk_live_abcdef");
  assert.equal(store.secrets.get(`main/${key("withDefault")}`), "42");
  assert.equal(store.secrets.get(`other/${key("maybe")}`), "only-if-set");
  assert.deepEqual(stored.map((s) => s.fieldPath), ["apiKey", "maybe", "withDefault", "credentials.token", "credentials.deep.pin"]);
  // Registered: the leaked copy in an ordinary field is redacted when the data is persisted.
  assert.equal(redactor.redact(out.note as string), "copy of *** leaked");
  assert.equal(redactor.redact("tok-999 4321 bob"), "*** *** bob"); // nested sensitive values are registered; "bob" is not sensitive
});

test("vault choice: field → definition → spec → defaultVault → first not starting with _ → first", async () => {
  const pick = async (opts: { store: MemoryStore; definitionVaultName?: string; specVault?: string; schema?: unknown }) => {
    const { data } = await protectSensitiveFields(
      { a: "value-a" },
      {
        ...base,
        spec: spec(opts.schema ?? z.object({ a: z.string().meta({ sensitive: true }) }), opts.specVault ? { vaultName: opts.specVault } : {}),
        store: opts.store,
        ...(opts.definitionVaultName ? { definitionVaultName: opts.definitionVaultName } : {}),
        onSecret: () => {},
      },
    );
    return parseVaultReference(data.a as string)?.vault;
  };
  const all = ["_hidden", "beta", "alpha", "def", "fld", "dfn", "spc"];
  assert.equal(await pick({ store: new MemoryStore(all, "def"), schema: z.object({ a: z.string().meta({ sensitive: true, vaultName: "fld" }) }), definitionVaultName: "dfn", specVault: "spc" }), "fld");
  assert.equal(await pick({ store: new MemoryStore(all, "def"), definitionVaultName: "dfn", specVault: "spc" }), "dfn");
  assert.equal(await pick({ store: new MemoryStore(all, "def"), specVault: "spc" }), "spc");
  assert.equal(await pick({ store: new MemoryStore(all, "def") }), "def");
  assert.equal(await pick({ store: new MemoryStore(all) }), "alpha");
  await assert.rejects(pick({ store: new MemoryStore(["_only"]) }), (err: unknown) => {
    assert.equal(errorCode(err), "vault_reserved");
    assert.equal((err as Error).message, "Cannot store sensitive field 'a': vault '_only' is reserved for internal use");
    return true;
  });
});

test("sensitiveOutput marks every top-level field; no vault → the spec's errors", async () => {
  const store = new MemoryStore(["v"]);
  const { data } = await protectSensitiveFields(
    { a: "aaa", b: { c: 1 }, n: null },
    { ...base, spec: spec(z.object({}).loose(), { sensitiveOutput: true }), store, onSecret: () => {} },
  );
  assert.ok(isVaultReference(data.a) && isVaultReference(data.b));
  assert.equal(data.n, null);
  assert.equal(store.secrets.get("v/user-aws-ec2-m-1-create-state-main-b"), '{"c":1}');

  await assert.rejects(
    protectSensitiveFields({ apiKey: "x", maybe: "y", publicId: "p" }, { ...base, spec: spec(Schema), store: new MemoryStore([]), onSecret: () => {} }),
    (err: unknown) => {
      assert.equal(errorCode(err), "vault_not_configured");
      assert.equal(
        (err as Error).message,
        "Cannot persist data: fields 'apiKey', 'maybe' in resource 'state' are marked as sensitive but no vault is configured. Create a vault using: swamp vault create <type> <name>",
      );
      return true;
    },
  );
  await assert.rejects(
    protectSensitiveFields({ a: "x" }, { ...base, spec: spec(z.object({}).loose(), { sensitiveOutput: true }), onSecret: () => {} }),
    /Cannot persist data: resource 'state' is marked sensitiveOutput but no vault is configured/,
  );
  // Nothing sensitive present: no vault needed, data returned as is.
  const plain = { publicId: "p" };
  assert.equal((await protectSensitiveFields(plain, { ...base, spec: spec(Schema), onSecret: () => {} })).data, plain);
});

test("resolving references: values back, registered; failures leave the reference", async () => {
  const store = new MemoryStore(["v"]);
  await store.put("v", "k", "the-secret-value");
  await store.put("v", "j", '{"inner":"nested-secret"}');
  const redactor = new Redactor();
  const resolver = revealingResolver(store, "test:read", (s) => redactor.register(s));
  const value = {
    a: vaultReference("v", "k"),
    list: [vaultReference("v", "j"), "plain"],
    missing: vaultReference("v", "nope"),
    partial: `x ${vaultReference("v", "k")}`,
  };
  const out = await resolveVaultReferences(value, resolver);
  assert.deepEqual(out, { a: "the-secret-value", list: ['{"inner":"nested-secret"}', "plain"], missing: vaultReference("v", "nope"), partial: value.partial });
  assert.equal(redactor.redact("the-secret-value nested-secret"), "*** ***");
  assert.ok(store.calls.includes("get v k test:read"));
  const untouched = { a: "b" };
  assert.equal(await resolveVaultReferences(untouched, resolver), untouched);
  const r2 = new Redactor();
  registerSecretValue("[1, \"xyz-leaf\"]", (s) => r2.register(s));
  assert.equal(r2.redact("xyz-leaf"), "***");
});

test("VaultReferenceDataAccess resolves records, query results and resource lookups", async () => {
  const attrs = { token: vaultReference("v", "k"), n: 1 };
  const record = { name: "state", attributes: attrs, content: attrs } as unknown as DataRecord;
  const inner: DataAccess = {
    latest: async () => record,
    version: async () => record,
    listVersions: async () => [1],
    findByTag: async () => [record],
    findBySpec: async () => [record],
    query: async (_p, select) => (select ? [vaultReference("v", "k")] : [record]),
    fileContents: async () => "text",
    resource: async () => record,
  };
  const access = new VaultReferenceDataAccess(inner, async (ref) => `<${ref.vault}/${ref.key}>`);
  const latest = await access.latest("m", "state");
  assert.deepEqual(latest?.attributes, { token: "<v/k>", n: 1 });
  assert.equal(latest?.content, latest?.attributes);
  assert.equal(record.attributes.token, vaultReference("v", "k"), "the inner record is not modified");
  assert.deepEqual((await access.findBySpec("m", "s"))[0]?.attributes, { token: "<v/k>", n: 1 });
  assert.deepEqual(await access.query("x", "attributes.token"), ["<v/k>"]);
  assert.deepEqual(((await access.query("x")) as DataRecord[])[0]?.attributes, { token: "<v/k>", n: 1 });
  assert.deepEqual((await access.resource?.("m", "s", "i"))?.attributes, { token: "<v/k>", n: 1 });
  assert.equal(access.file, undefined);
});
