/**
 * Moving a vault to another vault type (`swamp vault migrate`, extensions.md §8): the target
 * provider is built and checked before anything is copied; then every secret is copied with
 * its annotation and refresh hook, and only once all of them are in the target is the config
 * rewritten under the same id and name (new `vaults/<type>/<id>.yaml` first, then the old file
 * removed). Until that moment the vault is what it was; a failure removes what was copied into
 * the target (keys it already held are left alone). The source backend is never wiped.
 */
import { unlink } from "node:fs/promises";
import { errorMessage, oneLine, SwampError, UsageError } from "../contract/errors.js";
import {
  supportsAnnotations,
  supportsRefreshHooks,
  type VaultConfig,
  type VaultPlugin,
  type VaultProvider,
} from "../contract/ports/vault.js";
import { VaultErrorCode } from "./errors.js";
import { buildProvider, validateVaultConfig, type OpenVault, type VaultService } from "./service.js";

export interface MigrationPlan {
  source: OpenVault;
  target: { plugin: VaultPlugin; config: Record<string, unknown>; provider: VaultProvider };
  keys: string[];
}

export interface MigrationResult {
  secretsMigrated: number;
  warnings: string[];
}

/** Checks everything a migration needs without changing anything. */
export async function planMigration(vaults: VaultService, vaultName: string, toType: string, config?: Record<string, unknown>): Promise<MigrationPlan> {
  const source = await vaults.vault(vaultName);
  const name = source.stored.config.name;
  const plugin = await vaults.registry.load("vault", toType);
  if (plugin.type.toLowerCase() === source.stored.config.type.toLowerCase()) {
    throw new UsageError(`Vault '${name}' is already of type '${source.stored.config.type}'`);
  }
  const validated = validateVaultConfig(plugin, name, { ...(config ?? plugin.defaultConfig ?? {}) });
  const provider = await buildProvider(plugin, name, validated, vaults.repoDir);
  const keys = await vaults.listKeys(name);
  return { source, target: { plugin, config: validated, provider }, keys };
}

/** Copies every secret, then switches the config over. `progress` is told about each key. */
export async function runMigration(
  vaults: VaultService,
  plan: MigrationPlan,
  caller: string,
  progress: (index: number, total: number, key: string) => void = () => {},
): Promise<MigrationResult> {
  const { source, target } = plan;
  const name = source.stored.config.name;
  const warnings: string[] = [];
  const heldBefore = new Set(await target.provider.list());
  const copied: string[] = [];
  let newPath: string;
  try {
    for (const [i, key] of plan.keys.entries()) {
      progress(i + 1, plan.keys.length, key);
      const value = await vaults.get(name, key, caller, { refresh: false });
      await target.provider.put(key, value);
      copied.push(key);
      await vaults.audit
        .record({ action: "put", vaultName: name, vaultType: target.plugin.type, secretKey: key, callerContext: caller })
        .catch((err: unknown) => warnings.push(`Could not write the vault audit trail: ${oneLine(errorMessage(err))}`));
      const annotation = await vaults.annotation(source, key);
      if (annotation) {
        if (supportsAnnotations(target.provider)) await target.provider.putAnnotation!(key, annotation);
        else warnings.push(`The annotation of secret '${key}' was not carried over: vault type '${target.plugin.type}' does not support annotations`);
      }
      const hook = await vaults.refreshHook(source, key);
      if (hook) {
        if (supportsRefreshHooks(target.provider)) await target.provider.putRefreshHook!(key, hook);
        else warnings.push(`The refresh hook of secret '${key}' was not carried over: vault type '${target.plugin.type}' does not support refresh hooks`);
      }
    }
    const next: VaultConfig = { ...source.stored.config, type: target.plugin.type, config: target.config };
    newPath = await vaults.configs.write(next);
  } catch (err) {
    await removeCopies(target.provider, copied.filter((k) => !heldBefore.has(k)));
    throw new SwampError(
      VaultErrorCode.migrateFailed,
      `Migrating vault '${name}' to '${target.plugin.type}' failed: ${oneLine(errorMessage(err))}. The vault is unchanged (still '${source.stored.config.type}')`,
      { details: { vault: name, from: source.stored.config.type, to: target.plugin.type } },
    );
  }
  if (newPath !== source.stored.path) {
    try {
      await unlink(source.stored.path);
    } catch (err) {
      warnings.push(`Could not remove the old config ${source.stored.path} (${oneLine(errorMessage(err))}); remove it by hand`);
    }
  }
  vaults.configs.reload();
  return { secretsMigrated: plan.keys.length, warnings };
}

/** Best effort: what a failed migration copied into the target goes again. */
async function removeCopies(provider: VaultProvider, keys: string[]): Promise<void> {
  for (const key of keys) {
    if (supportsAnnotations(provider)) await provider.deleteAnnotation!(key).catch(() => {});
    if (supportsRefreshHooks(provider)) await provider.deleteRefreshHook!(key).catch(() => {});
    if (typeof provider.delete === "function") await provider.delete(key).catch(() => {});
  }
}
