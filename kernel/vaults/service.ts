/**
 * The vault service (models.md §7.3): finds vault configs by name, builds each vault's provider
 * once through the plugin registry (config validated with the type's schema, provider shape
 * checked), and performs get/put/list/delete with the audit trail. It implements `VaultStore`,
 * which is all the rest of the kernel uses.
 *
 * Nothing is read until a vault is asked for: constructing the service costs nothing.
 */
import { isAbsolute, resolve } from "node:path";
import { errorCode, errorMessage, SwampError } from "../contract/errors.js";
import {
  REQUIRED_VAULT_PROVIDER_METHODS,
  type VaultPlugin,
  type VaultProvider,
  type VaultPutOptions,
  type VaultStore,
} from "../contract/ports/vault.js";
import type { Kernel } from "../runtime/kernel.js";
import type { PluginRegistry } from "../runtime/registry.js";
import { VaultAuditLog, type VaultAuditAction } from "./audit.js";
import { VaultConfigRepository, type StoredVault } from "./config.js";
import { shortName } from "../contract/untrusted.js";
import { assertSecretKeyValid, flattenMessage, VaultErrorCode, vaultNotFound } from "./errors.js";

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
    `Invalid config for vault type '${plugin.type}' (vault '${vaultName}'): ${field ? `${field}: ` : ""}${flattenMessage(issue?.message ?? "invalid value")}`,
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
    throw new SwampError(VaultErrorCode.providerInvalid, `createProvider for vault type '${plugin.type}' (vault '${vaultName}') failed: ${flattenMessage(errorMessage(err))}`);
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

  async get(vault: string, key: string, caller = "unknown"): Promise<string> {
    assertSecretKeyValid(vault, key);
    const open = await this.vault(vault);
    const value = await this.call(open, "get", key, () => open.provider.get(key));
    if (open.stored.config.auditReads) await this.record(open, "get", key, caller);
    return value;
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
  }

  /** Runs a provider call; a failure becomes a one-line error with a code. */
  private async call<T>(open: OpenVault, op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const code = errorCode(err);
      const message = flattenMessage(errorMessage(err));
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

  private async record(open: OpenVault, action: VaultAuditAction, key: string, caller: string): Promise<void> {
    try {
      await this.audit.record({ action, vaultName: open.stored.config.name, vaultType: open.stored.config.type, secretKey: key, callerContext: caller });
    } catch (err) {
      this.o.warn?.(`Could not write the vault audit trail: ${flattenMessage(errorMessage(err))}`);
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
