/**
 * The builtin filesystem datastore: runtime data lives in a directory (by default
 * `{repoDir}/.swamp`, or any local or shared path). Locks are lock files (FileLock), the
 * health check is a stat plus a write probe, and there is nothing to sync.
 */
import { isAbsolute } from "node:path";
import * as z from "zod";
import type { DatastorePlugin, DatastoreProvider, LockOptions } from "../../kernel/contract/ports/datastore.js";
import { FileLock } from "./lock.js";
import { FILESYSTEM_DATASTORE_TYPE, FilesystemVerifier } from "./verifier.js";

export interface FilesystemDatastoreConfig {
  path: string;
}

export const filesystemConfigSchema = z.object({
  path: z
    .string()
    .min(1, "path must not be empty")
    .refine((p) => isAbsolute(p), { message: "path must be absolute" }),
});

export function createFilesystemProvider(config: FilesystemDatastoreConfig): DatastoreProvider {
  return {
    createLock: (datastorePath: string, options?: LockOptions) => new FileLock(datastorePath, options),
    createVerifier: () => new FilesystemVerifier(config.path),
    resolveDatastorePath: () => config.path,
    resolveCachePath: () => undefined,
  };
}

export const datastore: DatastorePlugin<FilesystemDatastoreConfig> = {
  type: FILESYSTEM_DATASTORE_TYPE,
  name: "Filesystem",
  description: "Stores runtime data in a local or shared directory",
  configSchema: filesystemConfigSchema,
  createProvider: (config) => createFilesystemProvider(config),
};

export { FileLock, releaseAllHeldLocks, defaultLockWaitMs, lockPathFor } from "./lock.js";
export type { FileLockOptions } from "./lock.js";
export { FilesystemVerifier } from "./verifier.js";
