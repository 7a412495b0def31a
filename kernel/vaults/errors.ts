/**
 * Vault error codes and the messages the spec fixes (models.md §7.3, one line each: provider
 * messages spanning lines are flattened with " — ").
 */
import { SwampError } from "../contract/errors.js";
import { secretKeyProblem } from "../contract/secret-keys.js";
import { shortName } from "../contract/untrusted.js";

export const VaultErrorCode = {
  vaultNotFound: "vault_not_found",
  secretNotFound: "vault_secret_not_found",
  secretExists: "vault_secret_exists",
  invalidName: "vault_invalid_name",
  configInvalid: "vault_config_invalid",
  providerInvalid: "vault_provider_invalid",
  unsupported: "vault_unsupported",
  decryptFailed: "vault_decrypt_failed",
  noVault: "vault_not_configured",
  reservedVault: "vault_reserved",
  invalidKey: "vault_invalid_key",
  /** A secret given as a command-line argument without --value-from-arg. */
  valueOnCommandLine: "vault_value_on_command_line",
  refreshFailed: "vault_refresh_failed",
  migrateFailed: "vault_migrate_failed",
} as const;

/** Throws `vault_invalid_key` when `key` breaks the key rules every vault shares (length included). */
export function assertSecretKeyValid(vault: string, key: string): void {
  const problem = secretKeyProblem(key);
  if (problem) {
    throw new SwampError(VaultErrorCode.invalidKey, `Invalid secret key ${JSON.stringify(shortName(key))} for vault '${shortName(vault)}': ${problem}`, {
      details: { vault: shortName(vault), key: shortName(key) },
    });
  }
}

export function vaultNotFound(given: string, available: readonly string[]): SwampError {
  const name = shortName(given);
  const message =
    available.length === 0
      ? `Vault '${name}' not found. No vaults are configured. Note: vaults are NOT configured in .swamp.yaml. Create a vault using: swamp vault create <type> ${name}`
      : `Vault '${name}' not found. Available vaults: ${available.join(", ")}. Create '${name}' using: swamp vault create <type> ${name}`;
  return new SwampError(VaultErrorCode.vaultNotFound, message, { details: { vault: name, available: [...available] } });
}
