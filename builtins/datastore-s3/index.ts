/**
 * The builtin S3 datastore (`type: s3`, alias `@swamp/s3-datastore`): runtime data lives in a
 * bucket (under an optional prefix) and is mirrored in a local cache where every command
 * reads and writes; sync moves changes both ways (sync.ts), locks are leases on small objects
 * written with conditional requests (lock.ts).
 *
 * Loading this module loads zod for the config schema but not the AWS SDK: the client is
 * imported on the first request (client.ts), so registering the plugin costs nothing.
 */
import { join } from "node:path";
import type { DatastorePlugin, DatastoreProvider, LockOptions } from "../../kernel/contract/ports/datastore.js";
import { S3Transport } from "./client.js";
import { resolveS3Config, S3_DATASTORE_TYPE, S3ConfigSchema, type S3DatastoreConfig } from "./config.js";
import { S3Lock, type S3LockOptions } from "./lock.js";
import { S3SyncService } from "./sync.js";
import { S3Verifier } from "./verifier.js";

export interface S3ProviderOptions {
  /** Environment for SWAMP_S3_REQUEST_TIMEOUT_MS and the region fallbacks (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function createS3Provider(config: S3DatastoreConfig, options: S3ProviderOptions = {}): DatastoreProvider {
  const resolved = resolveS3Config(S3ConfigSchema.parse(config), options.env ?? process.env);
  const transport = new S3Transport(resolved);
  return {
    createLock: (_datastorePath: string, lockOptions?: LockOptions) => new S3Lock(transport, lockOptions as S3LockOptions | undefined),
    createVerifier: () => new S3Verifier(transport),
    createSyncService: (_repoDir: string, cachePath: string) => new S3SyncService(transport, cachePath),
    resolveDatastorePath: (repoDir: string) => join(repoDir, ".swamp"),
    resolveCachePath: () => undefined,
    // One LIST (one request per 1 000 keys) under `<prefix><lock prefix>`.
    listLockKeys: async (_datastorePath: string, prefix: string) => {
      const objects = await transport.list(transport.key(prefix));
      return objects.map((o) => o.key.slice(resolved.prefix.length)).filter((k) => k.endsWith(".lock"));
    },
  };
}

export const datastore: DatastorePlugin<S3DatastoreConfig> = {
  type: S3_DATASTORE_TYPE,
  name: "Amazon S3",
  description: "Stores runtime data in an S3 bucket (or an S3-compatible store) shared by a team and CI",
  configSchema: S3ConfigSchema,
  createProvider: (config) => createS3Provider(config),
};

export { S3ConfigSchema, resolveS3Config } from "./config.js";
export type { S3DatastoreConfig, ResolvedS3Config } from "./config.js";
export { S3Lock } from "./lock.js";
export { S3SyncService } from "./sync.js";
export type { SyncReport } from "./sync.js";
export { S3Transport } from "./client.js";
