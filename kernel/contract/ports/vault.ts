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

/** Metadata about a secret, never its value (`swamp vault annotate`). */
export interface VaultAnnotation {
  url?: string;
  notes?: string;
  labels?: Record<string, string>;
  /** ISO-8601. */
  updatedAt: string;
}

/** A command whose stdout becomes the secret's new value once `ttlMs` passed since the last run. */
export interface VaultRefreshHook {
  command: string;
  ttlMs: number;
  /** The duration as the user wrote it (`1h`, `30m`). */
  ttl: string;
  /** ISO-8601; null before the first run. */
  lastRefreshedAt: string | null;
}

export const VaultAnnotationSchema = z.object({
  url: z.string().optional(),
  notes: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  updatedAt: z.string(),
});

export const VaultRefreshHookSchema = z.object({
  command: z.string().min(1),
  ttlMs: z.number().int().positive(),
  ttl: z.string(),
  lastRefreshedAt: z.string().nullable().default(null),
});

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

  // Optional capability: annotations (get, put and delete; list is optional). `get` returns null when there is none.
  getAnnotation?(key: string): Promise<VaultAnnotation | null>;
  putAnnotation?(key: string, annotation: VaultAnnotation): Promise<void>;
  deleteAnnotation?(key: string): Promise<void>;
  listAnnotations?(): Promise<string[]>;

  // Optional capability: refresh hooks (all three or none).
  getRefreshHook?(key: string): Promise<VaultRefreshHook | null>;
  putRefreshHook?(key: string, hook: VaultRefreshHook): Promise<void>;
  deleteRefreshHook?(key: string): Promise<void>;
}

export const VAULT_ANNOTATION_METHODS = ["getAnnotation", "putAnnotation", "deleteAnnotation"] as const;
export const VAULT_REFRESH_HOOK_METHODS = ["getRefreshHook", "putRefreshHook", "deleteRefreshHook"] as const;

function hasAll(provider: VaultProvider, methods: readonly string[]): boolean {
  return methods.every((m) => typeof (provider as unknown as Record<string, unknown>)[m] === "function");
}

export function supportsAnnotations(provider: VaultProvider): boolean {
  return hasAll(provider, VAULT_ANNOTATION_METHODS);
}

export function supportsRefreshHooks(provider: VaultProvider): boolean {
  return hasAll(provider, VAULT_REFRESH_HOOK_METHODS);
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
