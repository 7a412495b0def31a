/**
 * The builtin filesystem datastore: runtime data lives in a directory (by default
 * `{repoDir}/.swamp`, or any local or shared path). Locks are lock files (FileLock), the
 * health check is a stat plus a write probe, and there is nothing to sync.
 */
import { readdir } from "node:fs/promises";
import { isAbsolute } from "node:path";
import type { DatastorePlugin, DatastoreProvider, LockOptions } from "../../kernel/contract/ports/datastore.js";
import { safeJoin } from "../../kernel/runtime/safe-path.js";
import { FileLock } from "./lock.js";
import { FILESYSTEM_DATASTORE_TYPE, FilesystemVerifier } from "./verifier.js";

export interface FilesystemDatastoreConfig {
  path: string;
}

type ParseResult =
  | { success: true; data: FilesystemDatastoreConfig }
  | { success: false; error: { issues: Array<{ path: string[]; message: string }> } };

/**
 * The config schema, in the duck-typed shape the kernel accepts (`safeParse`/`parse`). Every
 * datastore command validates it, so it is plain code rather than zod, which this hot path
 * would otherwise load just for one string check.
 */
export const filesystemConfigSchema = {
  safeParse(value: unknown): ParseResult {
    const fail = (message: string): ParseResult => ({ success: false, error: { issues: [{ path: ["path"], message }] } });
    if (typeof value !== "object" || value === null) return { success: false, error: { issues: [{ path: [], message: "config must be an object" }] } };
    const path = (value as { path?: unknown }).path;
    if (typeof path !== "string" || path === "") return fail("path must be a non-empty string");
    if (!isAbsolute(path)) return fail("path must be absolute");
    return { success: true, data: { path } };
  },
  parse(value: unknown): FilesystemDatastoreConfig {
    const result = this.safeParse(value);
    if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    return result.data;
  },
};

/** Lock files directly under `<datastorePath>/<prefix>` (one directory listing). */
async function listLockKeys(datastorePath: string, prefix: string): Promise<string[]> {
  const dir = safeJoin(datastorePath, prefix);
  try {
    const names = await readdir(dir);
    const base = prefix.endsWith("/") ? prefix : `${prefix}/`;
    return names.filter((n) => n.endsWith(".lock")).map((n) => base + n);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export function createFilesystemProvider(config: FilesystemDatastoreConfig): DatastoreProvider {
  return {
    createLock: (datastorePath: string, options?: LockOptions) => new FileLock(datastorePath, options),
    createVerifier: () => new FilesystemVerifier(config.path),
    resolveDatastorePath: () => config.path,
    resolveCachePath: () => undefined,
    listLockKeys,
  };
}

export const datastore: DatastorePlugin<FilesystemDatastoreConfig> = {
  type: FILESYSTEM_DATASTORE_TYPE,
  name: "Filesystem",
  description: "Stores runtime data in a local or shared directory",
  configSchema: filesystemConfigSchema,
  createProvider: (config) => createFilesystemProvider(config),
};

export { FileLock, lockPathFor } from "./lock.js";
export type { FileLockOptions } from "./lock.js";
export { FilesystemVerifier } from "./verifier.js";
