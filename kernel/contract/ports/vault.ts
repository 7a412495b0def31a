/**
 * Vault port: named secret stores. A vault config in `vaults/` names a type; the type's
 * provider reads and writes secrets. Secrets are plain strings; callers JSON-encode others.
 */
import * as z from "zod";

export interface VaultPutOptions {
  tags?: Record<string, string>;
}

export interface VaultProvider {
  get(key: string): Promise<string>;
  put(key: string, value: string, options?: VaultPutOptions): Promise<void>;
  /** Secret key names, sorted. */
  list(): Promise<string[]>;
  getName(): string;
  delete?(key: string): Promise<void>;
}

export interface VaultPlugin<Config = Record<string, unknown>> {
  type: string;
  name: string;
  description: string;
  configSchema?: unknown;
  createProvider(vaultName: string, config: Config): VaultProvider | Promise<VaultProvider>;
}

/** A vault as configured in `vaults/<type>/<id>.yaml`. */
export const VaultConfigSchema = z.object({
  id: z.string(),
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  type: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.string(),
  auditReads: z.boolean().optional(),
});
export type VaultConfig = z.infer<typeof VaultConfigSchema>;

export const VaultPutOptionsSchema = z.object({
  tags: z.record(z.string(), z.string()).optional(),
});
