/**
 * The vault service (models.md §7.3): finds vault configs by name, builds each vault's provider
 * once through the plugin registry (config validated with the type's schema, provider shape
 * checked), and performs get/put/list/delete with the audit trail. It implements `VaultStore`,
 * which is all the rest of the kernel uses.
 *
 * Nothing is read until a vault is asked for: constructing the service costs nothing.
 */
import { isAbsolute, resolve } from "node:path";
import { errorCode, errorMessage, oneLine, SwampError } from "../contract/errors.js";
import {
  REQUIRED_VAULT_PROVIDER_METHODS,
  supportsAnnotations,
  supportsRefreshHooks,
  type VaultAnnotation,
  type VaultPlugin,
  type VaultProvider,
  type VaultPutOptions,
  type VaultRefreshHook,
  type VaultStore,
} from "../contract/ports/vault.js";
import type { Kernel } from "../runtime/kernel.js";
import type { PluginRegistry } from "../runtime/registry.js";
import { VaultAuditLog, type VaultAuditAction } from "./audit.js";
import { VaultConfigRepository, type StoredVault } from "./config.js";
import { shortName } from "../contract/untrusted.js";
import { assertSecretKeyValid, VaultErrorCode, vaultNotFound } from "./errors.js";
import { isStale, runRefreshCommand } from "./refresh.js";

/** The audit trail's caller for a value a refresh hook stored. */
export const REFRESH_CALLER = "vault-refresh-hook";

/** A change `annotate` merges into a secret's annotation. */
export interface AnnotationChange {
  url?: string;
  notes?: string;
  labels?: Record<string, string>;
  removeLabels?: string[];
}

/** What `swamp vault inspect` shows: metadata, never the value. */
export interface SecretInspection {
  sizeBytes: number;
  sizeChars: number;
  valueType: "json" | "multiline" | "string";
  supportsAnnotations: boolean;
  hasAnnotation: boolean;
  annotation: VaultAnnotation | null;
  supportsRefreshHooks: boolean;
  hasRefreshHook: boolean;
  refreshHook: VaultRefreshHook | null;
}

/** How a value looks, for `inspect`: a JSON object or array, several lines (a PEM key), or one line. */
export function valueTypeOf(value: string): SecretInspection["valueType"] {
  const first = value.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      JSON.parse(value);
      return "json";
    } catch {
      // not JSON after all
    }
  }
  return value.includes("\n") ? "multiline" : "string";
}

export interface VaultServiceOptions {
  repoDir: string;
  registry: PluginRegistry;
  /** Absolute `vaults/` directory. */
  vaultsDir: string;
  /** Absolute directory of the audit JSONL files. */
  auditDir: string;
  /** Called before an audit line is written (a syncing datastore pushes it). */
  markDirty?(absPath?: string): Promise<void>;
  defaultVault?: string;
  warn?(message: string): void;
}

export interface OpenVault {
  stored: StoredVault;
  plugin: VaultPlugin;
  provider: VaultProvider;
}

/** Validates a vault config with the type's schema (anything with zod's safeParse). */
export function validateVaultConfig(plugin: VaultPlugin, vaultName: string, config: unknown): Record<string, unknown> {
  const schema = plugin.configSchema as
    | { safeParse?(v: unknown): { success: boolean; data?: unknown; error?: { issues?: Array<{ path?: PropertyKey[]; message?: string }> } } }
    | undefined;
  if (!schema || typeof schema.safeParse !== "function") return (config ?? {}) as Record<string, unknown>;
  const result = schema.safeParse(config ?? {});
  if (result.success) return (result.data ?? {}) as Record<string, unknown>;
  const issue = result.error?.issues?.[0];
  const field = issue?.path?.map(String).join(".");
  throw new SwampError(
    VaultErrorCode.configInvalid,
    `Invalid config for vault type '${plugin.type}' (vault '${vaultName}'): ${field ? `${field}: ` : ""}${oneLine(issue?.message ?? "invalid value")}`,
    { details: { vault: vaultName, type: plugin.type, ...(field ? { field } : {}) } },
  );
}

/** Builds and shape-checks a provider. */
export async function buildProvider(plugin: VaultPlugin, vaultName: string, config: Record<string, unknown>, repoDir: string): Promise<VaultProvider> {
  let provider: VaultProvider;
  try {
    provider = await plugin.createProvider(vaultName, config, { repoDir });
  } catch (err) {
    if (errorCode(err)) throw err;
    throw new SwampError(VaultErrorCode.providerInvalid, `createProvider for vault type '${plugin.type}' (vault '${vaultName}') failed: ${oneLine(errorMessage(err))}`);
  }
  const missing = REQUIRED_VAULT_PROVIDER_METHODS.filter((m) => typeof (provider as unknown as Record<string, unknown> | null)?.[m] !== "function");
  if (missing.length) {
    throw new SwampError(
      VaultErrorCode.providerInvalid,
      `createProvider for vault type '${plugin.type}' (vault '${vaultName}') returned an invalid provider: missing methods: ${missing.join(", ")}`,
    );
  }
  return provider;
}

export class VaultService implements VaultStore {
  readonly configs: VaultConfigRepository;
  readonly audit: VaultAuditLog;
  private readonly open = new Map<string, Promise<OpenVault>>();

  constructor(private readonly o: VaultServiceOptions) {
    this.configs = new VaultConfigRepository(o.vaultsDir, o.warn);
    this.audit = new VaultAuditLog(o.auditDir, undefined, o.markDirty);
  }

  get repoDir(): string {
    return this.o.repoDir;
  }

  get registry(): PluginRegistry {
    return this.o.registry;
  }

  defaultVault(): string | undefined {
    return this.o.defaultVault;
  }

  async names(): Promise<string[]> {
    return this.configs.names();
  }

  /** The vault's config; throws the spec's "Vault '<v>' not found" error. */
  async require(name: string): Promise<StoredVault> {
    const stored = await this.configs.find(name);
    if (stored) return stored;
    throw vaultNotFound(name, await this.configs.names());
  }

  /** The vault's config and provider, built once per service. */
  async vault(name: string): Promise<OpenVault> {
    const stored = await this.require(name);
    const key = stored.config.name;
    let pending = this.open.get(key);
    if (!pending) {
      pending = (async () => {
        const plugin = await this.o.registry.load("vault", stored.config.type);
        const config = validateVaultConfig(plugin, stored.config.name, stored.config.config);
        const provider = await buildProvider(plugin, stored.config.name, config, this.o.repoDir);
        return { stored, plugin, provider };
      })();
      this.open.set(key, pending);
      pending.catch(() => this.open.delete(key));
    }
    return pending;
  }

  /**
   * A secret's value. A stale refresh hook runs first (unless `refresh: false`); when it fails
   * the stored value is returned with a warning.
   */
  async get(vault: string, key: string, caller = "unknown", options: { refresh?: boolean } = {}): Promise<string> {
    assertSecretKeyValid(vault, key);
    const open = await this.vault(vault);
    const refreshed = options.refresh === false ? null : await this.refreshIfStale(open, key);
    const value = refreshed ?? (await this.call(open, "get", key, () => open.provider.get(key)));
    if (open.stored.config.auditReads) await this.record(open, "get", key, caller);
    return value;
  }

  private async refreshIfStale(open: OpenVault, key: string): Promise<string | null> {
    const provider = open.provider;
    if (!supportsRefreshHooks(provider)) return null;
    const hook = await this.call(open, "read the refresh hook of", key, () => provider.getRefreshHook!(key));
    const now = new Date();
    if (!hook || !isStale(hook, now)) return null;
    let value: string;
    try {
      value = await runRefreshCommand(hook.command, this.o.repoDir);
    } catch (err) {
      this.o.warn?.(`The refresh hook of secret '${key}' in vault '${open.stored.config.name}' failed (${oneLine(errorMessage(err))}); using the stored value`);
      return null;
    }
    await this.call(open, "put", key, () => provider.put(key, value));
    await this.call(open, "update the refresh hook of", key, () => provider.putRefreshHook!(key, { ...hook, lastRefreshedAt: now.toISOString() }));
    await this.record(open, "put", key, REFRESH_CALLER);
    return value;
  }

  /** Throws "does not support …" unless the vault's provider has the capability. */
  requireCapability(open: OpenVault, capability: "annotations" | "refresh hooks"): void {
    const ok = capability === "annotations" ? supportsAnnotations(open.provider) : supportsRefreshHooks(open.provider);
    if (!ok) {
      throw new SwampError(VaultErrorCode.unsupported, `Vault '${open.stored.config.name}' (type: ${open.stored.config.type}) does not support ${capability}`, {
        details: { vault: open.stored.config.name, type: open.stored.config.type },
      });
    }
  }

  /** Throws the provider's "not found" error unless the secret exists. */
  async requireSecret(open: OpenVault, key: string): Promise<void> {
    assertSecretKeyValid(open.stored.config.name, key);
    if (await this.has(open.stored.config.name, key)) return;
    throw new SwampError(VaultErrorCode.secretNotFound, `Secret '${key}' not found in vault '${open.stored.config.name}'`, {
      details: { vault: open.stored.config.name, key },
    });
  }

  async annotation(open: OpenVault, key: string): Promise<VaultAnnotation | null> {
    if (!supportsAnnotations(open.provider)) return null;
    return this.call(open, "read the annotation of", key, () => open.provider.getAnnotation!(key));
  }

  async refreshHook(open: OpenVault, key: string): Promise<VaultRefreshHook | null> {
    if (!supportsRefreshHooks(open.provider)) return null;
    return this.call(open, "read the refresh hook of", key, () => open.provider.getRefreshHook!(key));
  }

  /**
   * Merges `change` into the secret's annotation (or removes it with "clear") and records an
   * `annotate` entry. Returns the annotation now stored (null once cleared).
   */
  async annotate(vault: string, key: string, change: AnnotationChange | "clear", caller: string): Promise<VaultAnnotation | null> {
    const open = await this.vault(vault);
    this.requireCapability(open, "annotations");
    await this.requireSecret(open, key);
    const provider = open.provider;
    let next: VaultAnnotation | null = null;
    if (change === "clear") {
      await this.call(open, "clear the annotation of", key, () => provider.deleteAnnotation!(key));
    } else {
      const current = await this.annotation(open, key);
      const labels = { ...current?.labels, ...change.labels };
      for (const l of change.removeLabels ?? []) delete labels[l];
      const url = change.url ?? current?.url;
      const notes = change.notes ?? current?.notes;
      next = {
        ...(url !== undefined ? { url } : {}),
        ...(notes !== undefined ? { notes } : {}),
        ...(Object.keys(labels).length > 0 ? { labels } : {}),
        updatedAt: new Date().toISOString(),
      };
      const stored = next;
      await this.call(open, "annotate", key, () => provider.putAnnotation!(key, stored));
    }
    await this.record(open, "annotate", key, caller);
    return next;
  }

  async setRefreshHook(vault: string, key: string, hook: VaultRefreshHook | null): Promise<void> {
    const open = await this.vault(vault);
    this.requireCapability(open, "refresh hooks");
    const provider = open.provider;
    if (hook) await this.call(open, "store the refresh hook of", key, () => provider.putRefreshHook!(key, hook));
    else await this.call(open, "clear the refresh hook of", key, () => provider.deleteRefreshHook!(key));
  }

  /** Metadata of a secret; its value is read (and audited as a read) only to measure it. */
  async inspect(vault: string, key: string, caller: string): Promise<SecretInspection> {
    const open = await this.vault(vault);
    const value = await this.get(vault, key, caller, { refresh: false });
    const annotation = await this.annotation(open, key);
    const refreshHook = await this.refreshHook(open, key);
    return {
      sizeBytes: Buffer.byteLength(value, "utf8"),
      sizeChars: [...value].length,
      valueType: valueTypeOf(value),
      supportsAnnotations: supportsAnnotations(open.provider),
      hasAnnotation: annotation !== null,
      annotation,
      supportsRefreshHooks: supportsRefreshHooks(open.provider),
      hasRefreshHook: refreshHook !== null,
      refreshHook,
    };
  }

  async put(vault: string, key: string, value: string, caller = "unknown", options?: VaultPutOptions): Promise<void> {
    assertSecretKeyValid(vault, key);
    const open = await this.vault(vault);
    await this.call(open, "put", key, () => open.provider.put(key, value, options));
    await this.record(open, "put", key, caller);
  }

  async listKeys(vault: string): Promise<string[]> {
    const open = await this.vault(vault);
    const keys = await this.call(open, "list", "", () => open.provider.list());
    return [...keys].sort();
  }

  async has(vault: string, key: string): Promise<boolean> {
    return (await this.listKeys(vault)).includes(key);
  }

  async delete(vault: string, key: string, caller = "unknown"): Promise<void> {
    assertSecretKeyValid(vault, key);
    const open = await this.vault(vault);
    const remove = open.provider.delete;
    if (typeof remove !== "function") {
      throw new SwampError(VaultErrorCode.unsupported, `Vault '${vault}' (type: ${open.stored.config.type}) does not support deleting secrets`);
    }
    await this.call(open, "delete", key, () => remove.call(open.provider, key));
    await this.record(open, "delete", key, caller);
    // A secret's metadata goes with it (providers that keep it beside the value have removed it already).
    const provider = open.provider;
    if (supportsAnnotations(provider)) await provider.deleteAnnotation!(key).catch(() => {});
    if (supportsRefreshHooks(provider)) await provider.deleteRefreshHook!(key).catch(() => {});
  }

  /** Runs a provider call; a failure becomes a one-line error with a code. */
  private async call<T>(open: OpenVault, op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const code = errorCode(err);
      const message = oneLine(errorMessage(err));
      if (code && err instanceof SwampError) {
        if (message === err.message) throw err;
        throw new SwampError(code, message, { details: err.details });
      }
      throw new SwampError(
        code ?? "vault_operation_failed",
        `Vault '${open.stored.config.name}' (type: ${open.stored.config.type}) failed to ${op}${key ? ` '${shortName(key)}'` : ""}: ${message}`,
        { details: { vault: open.stored.config.name, ...(key ? { key: shortName(key) } : {}) } },
      );
    }
  }

  async record(open: OpenVault, action: VaultAuditAction, key: string, caller: string): Promise<void> {
    try {
      await this.audit.record({ action, vaultName: open.stored.config.name, vaultType: open.stored.config.type, secretKey: key, callerContext: caller });
    } catch (err) {
      this.o.warn?.(`Could not write the vault audit trail: ${oneLine(errorMessage(err))}`);
    }
  }
}

/** The vault service of a kernel's repository. */
export function vaultService(kernel: Kernel, options: { warn?(message: string): void } = {}): VaultService {
  return new VaultService({
    repoDir: kernel.repoDir,
    registry: kernel.registry,
    vaultsDir: vaultsDirOf(kernel),
    auditDir: kernel.paths.resolve("audit"),
    ...(kernel.markDirty ? { markDirty: kernel.markDirty } : {}),
    ...(kernel.marker.defaultVault ? { defaultVault: kernel.marker.defaultVault } : {}),
    ...(options.warn ? { warn: options.warn } : {}),
  });
}

export function vaultsDirOf(kernel: Pick<Kernel, "repoDir" | "marker">): string {
  const dir = kernel.marker.vaultsDir ?? "vaults";
  return isAbsolute(dir) ? dir : resolve(kernel.repoDir, dir);
}
