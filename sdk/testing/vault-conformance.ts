/**
 * Conformance suites for vault extensions (and the builtin vaults), plus an in-memory vault
 * provider for tests of code that reads or writes secrets.
 *
 *   const provider = await assertVaultExportConformance(vault, { validConfigs: [{}], invalidConfigs: [{ path: 3 }] });
 *   await assertVaultProviderConformance(provider);
 *
 * Framework-agnostic: each suite resolves when every check passes and throws an
 * AssertionError naming the first failed check (`[vault conformance check N] …`).
 */
import { randomUUID } from "node:crypto";
import type { VaultPlugin, VaultProvider, VaultProviderContext, VaultPutOptions } from "../../kernel/contract/ports/vault.js";
import { assertSecretKey, secretNotFoundError, SECRET_NOT_FOUND_CODE } from "../helpers.js";
import {
  BUILTIN_PATTERN,
  codeOf,
  collectiveOf,
  ensure,
  field,
  isFunction,
  isSchema,
  issueText,
  NAMESPACED_PATTERN,
  isReservedCollective,
  settle,
  show,
  unwrapExport,
} from "./internal.js";

function check(n: number, what: string): string {
  return `[vault conformance check ${n}] ${what}`;
}

// ---------------------------------------------------------------------------------------------
// in-memory vault

export interface VaultTestProviderOptions {
  /** Secrets present from the start. */
  secrets?: Record<string, string>;
  /** Leave out the optional `delete` capability. */
  withoutDelete?: boolean;
}

export interface VaultTestProvider extends VaultProvider {
  delete(key: string): Promise<void>;
  /** Every call, in order (`get`/`put`/`list`/`delete` with the key; never a value). */
  readonly operations: Array<{ method: "get" | "put" | "list" | "delete"; key?: string; tags?: Record<string, string> }>;
  /** A copy of the current secrets. */
  snapshot(): Record<string, string>;
}

/**
 * An in-memory VaultProvider that follows the port exactly: key rules enforced (code
 * `vault_invalid_key`), a missing key fails with code `vault_secret_not_found`, `list()` is
 * sorted and has names only. It passes `assertVaultProviderConformance`.
 */
export function createVaultTestProvider(name = "test-vault", options: VaultTestProviderOptions = {}): VaultTestProvider {
  const secrets = new Map<string, string>(Object.entries(options.secrets ?? {}));
  const operations: VaultTestProvider["operations"] = [];
  const provider = {
    operations,
    getName: () => name,
    async get(key: string) {
      operations.push({ method: "get", key });
      assertSecretKey(name, key);
      const value = secrets.get(key);
      if (value === undefined) throw secretNotFoundError(name, key);
      return value;
    },
    async put(key: string, value: string, putOptions?: VaultPutOptions) {
      operations.push({ method: "put", key, ...(putOptions?.tags ? { tags: { ...putOptions.tags } } : {}) });
      assertSecretKey(name, key);
      if (typeof value !== "string") throw new TypeError(`A secret value must be a string (vault '${name}', key '${key}')`);
      secrets.set(key, value);
    },
    async list() {
      operations.push({ method: "list" });
      return [...secrets.keys()].sort();
    },
    async delete(key: string) {
      operations.push({ method: "delete", key });
      assertSecretKey(name, key);
      if (!secrets.delete(key)) throw secretNotFoundError(name, key);
    },
    snapshot: () => Object.fromEntries([...secrets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  if (options.withoutDelete) delete (provider as Partial<typeof provider>).delete;
  return provider as VaultTestProvider;
}

/** A `vault` export backed by `createVaultTestProvider` (one store per vault name). */
export function createVaultTestPlugin(type = "@test/memory-vault"): VaultPlugin & { providers: Map<string, VaultTestProvider> } {
  const providers = new Map<string, VaultTestProvider>();
  return {
    type,
    name: "In-memory test vault",
    description: "Keeps secrets in memory (tests only)",
    providers,
    createProvider(vaultName: string, config: Record<string, unknown>) {
      let provider = providers.get(vaultName);
      if (!provider) {
        const seed = field(config, "secrets");
        provider = createVaultTestProvider(vaultName, { secrets: (seed && typeof seed === "object" ? seed : {}) as Record<string, string> });
        providers.set(vaultName, provider);
      }
      return provider;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// export conformance (checks 1-12)

export interface VaultExportConformanceOptions {
  /** Configs the schema must accept; the first one is used to create a provider. */
  validConfigs: unknown[];
  /** Configs the schema must reject. */
  invalidConfigs?: unknown[];
  /** Allow a single-segment builtin type such as `local_encryption` (first-party vaults only). */
  builtin?: boolean;
  /** Name of the vault the provider is created for (default `conformance-vault`). */
  vaultName?: string;
  /** Passed to createProvider (default `{ repoDir: <a temp path> }`). */
  context?: VaultProviderContext;
}

/**
 * Checks a `vault` export (checks 1-12) and returns the provider it created for
 * `validConfigs[0]`, ready for `assertVaultProviderConformance`. A module namespace
 * (`{ vault }`) is unwrapped.
 */
export async function assertVaultExportConformance(exported: unknown, options: VaultExportConformanceOptions): Promise<VaultProvider> {
  const v = unwrapExport(exported, ["vault"], "type");
  ensure(typeof v === "object" && v !== null, check(1, `the vault export must be an object, got ${show(v)}`));

  const type = field(v, "type");
  ensure(typeof type === "string", check(1, `"type" must be a string, got ${show(type)}`));
  const typeOk = NAMESPACED_PATTERN.test(type) || (options.builtin === true && BUILTIN_PATTERN.test(type));
  ensure(typeOk, check(1, `"type" ${JSON.stringify(type)} must match @collective/name or collective/name (lowercase)` + (options.builtin ? ` (or ${BUILTIN_PATTERN} for a builtin)` : "")));
  if (!options.builtin) {
    const collective = collectiveOf(type);
    ensure(!isReservedCollective(type), check(2, `"type" uses the reserved collective "${collective}"`));
  }

  const name = field(v, "name");
  ensure(typeof name === "string" && name.trim() !== "", check(3, `"name" must be a non-empty string, got ${show(name)}`));
  const description = field(v, "description");
  ensure(typeof description === "string" && description.trim() !== "", check(4, `"description" must be a non-empty string, got ${show(description)}`));

  const schema = field(v, "configSchema");
  ensure(Array.isArray(options.validConfigs) && options.validConfigs.length > 0, check(5, "supply at least one valid config"));
  if (schema !== undefined) {
    ensure(isSchema(schema), check(6, `"configSchema", when present, must have a safeParse function`));
    options.validConfigs.forEach((config, i) => {
      const result = schema.safeParse(config);
      ensure(result?.success === true, check(7, `validConfigs[${i}] ${show(config)} must pass configSchema.safeParse: ${issueText(result?.error)}`));
    });
    (options.invalidConfigs ?? []).forEach((config, i) => {
      ensure(schema.safeParse(config)?.success === false, check(8, `invalidConfigs[${i}] ${show(config)} must fail configSchema.safeParse`));
    });
  } else {
    ensure((options.invalidConfigs ?? []).length === 0, check(8, `invalidConfigs were given but the export has no configSchema to reject them`));
  }
  const defaultConfig = field(v, "defaultConfig");
  if (defaultConfig !== undefined) {
    ensure(typeof defaultConfig === "object" && defaultConfig !== null && !Array.isArray(defaultConfig), check(9, `"defaultConfig" must be an object`));
    if (isSchema(schema)) {
      const result = schema.safeParse(defaultConfig);
      ensure(result.success, check(9, `"defaultConfig" ${show(defaultConfig)} must pass configSchema.safeParse: ${issueText(result.error)}`));
    }
  }

  const createProvider = field(v, "createProvider");
  ensure(isFunction(createProvider), check(10, `"createProvider" must be a function`));
  const vaultName = options.vaultName ?? "conformance-vault";
  const context = options.context ?? { repoDir: `/tmp/swamp-vault-conformance-${randomUUID().slice(0, 8)}` };
  const config = isSchema(schema) ? (schema.safeParse(options.validConfigs[0]).data ?? options.validConfigs[0]) : options.validConfigs[0];
  const created = await settle(() => (createProvider as (this: unknown, ...a: unknown[]) => unknown).call(v, vaultName, config, context));
  ensure(created.ok, check(11, `createProvider("${vaultName}", validConfigs[0]) threw ${created.ok ? "" : show(created.error)}`));
  const provider = created.value;
  for (const method of ["get", "put", "list", "getName"]) {
    ensure(isFunction(field(provider, method)), check(11, `the provider must have a "${method}" function (missing methods fail vault construction)`));
  }
  const reported = (provider as VaultProvider).getName();
  ensure(reported === vaultName, check(12, `getName() must return the vault's name "${vaultName}", got ${show(reported)}`));
  return provider as VaultProvider;
}

// ---------------------------------------------------------------------------------------------
// provider conformance (checks 13-30)

export interface VaultProviderConformanceOptions {
  /** Prefix of the keys this suite writes (default `conformance-<random>`). */
  keyPrefix?: string;
  /**
   * Require the port's error codes (`vault_secret_not_found` for a missing key). Default true:
   * swamp relies on the code to tell "missing" from "broken".
   */
  strictErrorCodes?: boolean;
}

/**
 * Runs checks 13-30 against a provider: put/get round trip (multi-line and unicode values kept
 * byte for byte), overwrite, list sorted with names only, a missing key rejects with
 * `vault_secret_not_found`, keys with `/`, `\`, `..` or empty are rejected and never listed,
 * put accepts tags, and `delete` (when offered) removes. Writes only keys under `keyPrefix`
 * and deletes them again when `delete` exists.
 */
export async function assertVaultProviderConformance(provider: VaultProvider, options: VaultProviderConformanceOptions = {}): Promise<void> {
  const strict = options.strictErrorCodes ?? true;
  const prefix = options.keyPrefix ?? `conformance-${randomUUID().slice(0, 8)}`;
  for (const method of ["get", "put", "list", "getName"]) {
    ensure(isFunction(field(provider, method)), check(13, `the provider must have a "${method}" function`));
  }
  const name = provider.getName();
  ensure(typeof name === "string" && name !== "", check(14, `getName() must return a non-empty string, got ${show(name)}`));

  const initial = await settle(() => provider.list());
  ensure(initial.ok, check(15, `list() must resolve; it threw ${initial.ok ? "" : show(initial.error)}`));
  ensure(Array.isArray(initial.value) && initial.value.every((k) => typeof k === "string"), check(15, `list() must resolve to an array of strings, got ${show(initial.value)}`));

  const written: string[] = [];
  try {
    const key = `${prefix}-token`;
    const value = `s3cret-${randomUUID()}`;
    const put = await settle(() => provider.put(key, value));
    ensure(put.ok, check(16, `put("${key}", …) must resolve; it threw ${put.ok ? "" : show(put.error)}`));
    written.push(key);
    const got = await settle(() => provider.get(key));
    ensure(got.ok, check(17, `get("${key}") after put must resolve; it threw ${got.ok ? "" : show(got.error)}`));
    ensure(got.value === value, check(17, `get("${key}") must return the value put, got ${show(got.value)}`));

    const multiKey = `${prefix}-pem`;
    const multi = "-----BEGIN KEY-----\nline 1\r\nline 2 \t ünïcödé ✓ 🔑\n-----END KEY-----\n";
    await provider.put(multiKey, multi);
    written.push(multiKey);
    ensure((await provider.get(multiKey)) === multi, check(18, "a multi-line, unicode value must round-trip exactly (newlines, CR, tabs, trailing newline)"));

    const emptyKey = `${prefix}-empty`;
    const emptyPut = await settle(() => provider.put(emptyKey, ""));
    if (emptyPut.ok) {
      written.push(emptyKey);
      const back = await settle(() => provider.get(emptyKey));
      ensure(back.ok && back.value === "", check(19, `an empty value that put accepted must read back as "", got ${back.ok ? show(back.value) : show(back.error)}`));
    }

    const replacement = `replaced-${randomUUID()}`;
    const overwrite = await settle(() => provider.put(key, replacement));
    ensure(overwrite.ok, check(20, `put on an existing key must overwrite; it threw ${overwrite.ok ? "" : show(overwrite.error)}`));
    ensure((await provider.get(key)) === replacement, check(20, "get after an overwrite must return the new value"));

    const listed = await provider.list();
    ensure(Array.isArray(listed), check(21, `list() must resolve to an array, got ${show(listed)}`));
    ensure(listed.filter((k) => k === key).length === 1, check(21, `list() must name "${key}" exactly once after put and overwrite, got ${show(listed)}`));
    ensure(listed.includes(multiKey), check(21, `list() must name "${multiKey}", got ${show(listed)}`));
    const sorted = [...listed].sort();
    ensure(listed.every((k, i) => k === sorted[i]), check(22, `list() must be sorted, got ${show(listed)}`));
    ensure(!listed.some((k) => k.includes(replacement) || k.includes(value) || k.includes("BEGIN KEY")), check(23, "list() must return key names only, never values"));

    const missing = `${prefix}-missing`;
    const absent = await settle(() => provider.get(missing));
    ensure(!absent.ok, check(24, `get("${missing}") of a key never written must reject, got ${show(absent.ok ? absent.value : undefined)}`));
    if (strict) {
      ensure(codeOf(absent.error) === SECRET_NOT_FOUND_CODE, check(24, `a missing key must reject with code "${SECRET_NOT_FOUND_CODE}", got ${show(absent.error)}`));
    }
    const message = absent.error instanceof Error ? absent.error.message : String(absent.error);
    ensure(!message.includes(replacement), check(24, "the not-found error must not contain secret values"));

    const badKeys = ["../escape", "a/b", "a\\b", "..", `${prefix}..x`, ""];
    for (const bad of badKeys) {
      const rejected = await settle(() => provider.put(bad, "must-not-be-stored"));
      ensure(!rejected.ok, check(25, `put(${JSON.stringify(bad)}, …) must reject: keys with "/", "\\", ".." or empty are invalid`));
      const read = await settle(() => provider.get(bad));
      ensure(!read.ok, check(26, `get(${JSON.stringify(bad)}) must reject`));
    }
    const afterBad = await provider.list();
    ensure(!afterBad.some((k) => k.includes("escape") || k.includes("/") || k.includes("\\") || k === ""), check(27, `rejected keys must not be listed, got ${show(afterBad)}`));

    const tagged = `${prefix}-tagged`;
    const withTags = await settle(() => provider.put(tagged, "tagged-value", { tags: { owner: "conformance" } }));
    ensure(withTags.ok, check(28, `put(key, value, { tags }) must resolve; it threw ${withTags.ok ? "" : show(withTags.error)}`));
    written.push(tagged);
    ensure((await provider.get(tagged)) === "tagged-value", check(28, "a value put with tags must read back"));

    const del = field(provider, "delete");
    if (del !== undefined) {
      ensure(isFunction(del), check(29, `"delete", when present, must be a function`));
      const removed = await settle(() => (del as (k: string) => Promise<void>).call(provider, tagged));
      ensure(removed.ok, check(29, `delete("${tagged}") must resolve; it threw ${removed.ok ? "" : show(removed.error)}`));
      written.splice(written.indexOf(tagged), 1);
      ensure(!(await provider.list()).includes(tagged), check(29, "a deleted key must not be listed"));
      const gone = await settle(() => provider.get(tagged));
      ensure(!gone.ok, check(29, "get of a deleted key must reject"));
      const again = await settle(() => (del as (k: string) => Promise<void>).call(provider, tagged));
      ensure(!again.ok, check(30, "delete of a key that does not exist must reject"));
      if (strict) ensure(codeOf(again.error) === SECRET_NOT_FOUND_CODE, check(30, `delete of a missing key must reject with code "${SECRET_NOT_FOUND_CODE}", got ${show(again.error)}`));
    }
    await assertOptionalCapabilities(provider, key);
  } finally {
    const del = field(provider, "delete");
    if (isFunction(del)) {
      for (const key of written) await settle(() => (del as (k: string) => Promise<void>).call(provider, key));
    }
  }
}

/** Annotations and refresh hooks, checked only when the provider offers them (all methods of a group or none). */
async function assertOptionalCapabilities(provider: VaultProvider, key: string): Promise<void> {
  const groups: Array<[string, readonly string[]]> = [
    ["annotations", ["getAnnotation", "putAnnotation", "deleteAnnotation"]],
    ["refresh hooks", ["getRefreshHook", "putRefreshHook", "deleteRefreshHook"]],
  ];
  for (const [group, methods] of groups) {
    const present = methods.filter((m) => isFunction(field(provider, m)));
    ensure(present.length === 0 || present.length === methods.length, check(31, `${group}: implement all of ${methods.join(", ")} or none, got ${present.join(", ")}`));
  }
  const call = (m: string, ...args: unknown[]) => (field(provider, m) as (...a: unknown[]) => Promise<unknown>).call(provider, ...args);
  if (isFunction(field(provider, "getAnnotation"))) {
    const annotation = { url: "https://example.test/rotate", notes: "conformance", labels: { owner: "conformance" }, updatedAt: "2026-01-01T00:00:00.000Z" };
    const put = await settle(() => call("putAnnotation", key, annotation));
    ensure(put.ok, check(32, `putAnnotation("${key}", …) must resolve; it threw ${put.ok ? "" : show(put.error)}`));
    const back = await call("getAnnotation", key);
    ensure(JSON.stringify(back) === JSON.stringify(annotation), check(32, `getAnnotation must return the annotation put, got ${show(back)}`));
    await call("deleteAnnotation", key);
    ensure((await call("getAnnotation", key)) === null, check(32, "getAnnotation after deleteAnnotation must resolve to null"));
  }
  if (isFunction(field(provider, "getRefreshHook"))) {
    const hook = { command: "printf conformance", ttlMs: 60_000, ttl: "1m", lastRefreshedAt: "2026-01-01T00:00:00.000Z" };
    const put = await settle(() => call("putRefreshHook", key, hook));
    ensure(put.ok, check(33, `putRefreshHook("${key}", …) must resolve; it threw ${put.ok ? "" : show(put.error)}`));
    const back = await call("getRefreshHook", key);
    ensure(JSON.stringify(back) === JSON.stringify(hook), check(33, `getRefreshHook must return the hook put, got ${show(back)}`));
    await call("deleteRefreshHook", key);
    ensure((await call("getRefreshHook", key)) === null, check(33, "getRefreshHook after deleteRefreshHook must resolve to null"));
  }
}
