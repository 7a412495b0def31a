/**
 * Vault port: named secret stores. A vault config in `vaults/<type>/<id>.yaml` names a type;
 * the type's provider reads and writes secrets. Secrets are plain strings; callers JSON-encode
 * anything else.
 *
 * An extension exports `vault = { type, name, description, configSchema?, createProvider }`
 * (models.md §7.5). `createProvider` receives the vault's name, its config (validated with
 * `configSchema` when there is one) and a context naming the repository, so a provider that
 * keeps files never needs an absolute path stored in the committed config.
 */
import * as z from "zod";

// Secret-key rules live in a zod-free module, so checking a key loads no schemas.
export { MAX_SECRET_KEY_BYTES, secretKeyProblem } from "../secret-keys.js";

export interface VaultPutOptions {
  tags?: Record<string, string>;
}

export interface VaultProvider {
  /** The secret's value; throws (code `vault_secret_not_found`) when the key does not exist. */
  get(key: string): Promise<string>;
  /** Creates or replaces a secret. */
  put(key: string, value: string, options?: VaultPutOptions): Promise<void>;
  /** Secret key names (never values), sorted. */
  list(): Promise<string[]>;
  getName(): string;
  /** Optional capability; throws `vault_secret_not_found` when the key does not exist. */
  delete?(key: string): Promise<void>;
}

/** What the host tells a provider about where it runs. Extensions may ignore it. */
export interface VaultProviderContext {
  /** Absolute path of the repository the vault belongs to. */
  repoDir: string;
}

export interface VaultPlugin<Config = Record<string, unknown>> {
  type: string;
  name: string;
  description: string;
  configSchema?: unknown;
  /** Config written by `swamp vault create <type> <name>` when no --config is given. */
  defaultConfig?: Record<string, unknown>;
  createProvider(vaultName: string, config: Config, context?: VaultProviderContext): VaultProvider | Promise<VaultProvider>;
}

/** The methods every provider must have (checked on construction). */
export const REQUIRED_VAULT_PROVIDER_METHODS = ["get", "put", "list", "getName"] as const;

/** Vault names: lowercase, start with a letter (`^[a-z][a-z0-9-]*$`). */
export const VAULT_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

/** A vault as configured in `vaults/<type>/<id>.yaml`. */
export const VaultConfigSchema = z.object({
  id: z.string().min(1),
  name: z.string().regex(VAULT_NAME_PATTERN),
  type: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.string(),
  auditReads: z.boolean().optional(),
});
export type VaultConfig = z.infer<typeof VaultConfigSchema>;

export const VaultPutOptionsSchema = z.object({
  tags: z.record(z.string(), z.string()).optional(),
});

/**
 * What the engine needs of the configured vaults, by vault name: the vault service implements
 * it, and method runs (sensitive outputs, `vault.get` in CEL, vault references read back from
 * data) use nothing else. `caller` is recorded in the audit trail.
 */
export interface VaultStore {
  get(vault: string, key: string, caller?: string): Promise<string>;
  put(vault: string, key: string, value: string, caller?: string): Promise<void>;
  /** Configured vault names, sorted. */
  names(): Promise<string[]>;
  /** `.swamp.yaml` `defaultVault`, when set. */
  defaultVault(): string | undefined;
}
