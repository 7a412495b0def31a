/**
 * Datastore port: where runtime data lives, how writers serialise, how remote copies sync.
 * Shapes follow the extension-datastore contract so extensions written for the reference
 * implementation load unchanged.
 */
import * as z from "zod";

/** Who holds a lock. Stored as pretty JSON in the lock body; `acquiredAt` is refreshed by heartbeats. */
export interface LockInfo {
  holder: string;
  hostname: string;
  pid: number;
  /** ISO time of acquisition or of the last heartbeat ("last extended at"). */
  acquiredAt: string;
  ttlMs: number;
  /** Random per acquisition: the fencing token. */
  nonce?: string;
  /**
   * Set by `inspect()`, never stored: when the lock file/object was last written, on the
   * reader's clock (a file's mtime; an object's server-side age subtracted from now). The
   * staleness rule (`isLockStale`) trusts it over a body timestamp written on another clock.
   */
  modifiedAt?: string;
}

export interface LockOptions {
  /** Relative key under the datastore; default `.datastore.lock` (the global lock). */
  lockKey?: string;
  ttlMs?: number;
  retryIntervalMs?: number;
  maxWaitMs?: number;
}

export interface DistributedLock {
  /** Retries until `maxWaitMs`, then throws a `lock_timeout` error. Starts a heartbeat. */
  acquire(): Promise<void>;
  /** Stops the heartbeat and deletes the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Current holder, or null when free or unreadable. No side effects. */
  inspect(): Promise<LockInfo | null>;
  /** Deletes the lock only when its nonce equals `expectedNonce`. */
  forceRelease(expectedNonce: string): Promise<boolean>;
}

export interface DatastoreHealthResult {
  readonly healthy: boolean;
  readonly message: string;
  readonly latencyMs: number;
  readonly datastoreType: string;
  readonly details?: Record<string, string>;
}

export interface DatastoreVerifier {
  /** Never throws: an unreachable datastore is reported as unhealthy. */
  verify(): Promise<DatastoreHealthResult>;
}

export interface SyncContext {
  models?: ReadonlyArray<{ modelType: string; modelId: string }>;
}

export interface DatastoreSyncOptions {
  signal?: AbortSignal;
  /** Cache-relative, forward slashes; only meaningful on markDirty. */
  relPath?: string;
  context?: SyncContext;
  namespace?: string;
  metadataOnly?: boolean;
  /**
   * Files moved so far of those this pull or push moves (a progress line on a terminal).
   * In-process services only: it is not passed to extension workers.
   */
  onProgress?(done: number, total: number): void;
}

export interface SyncCapabilities {
  scopedSync?: boolean;
  lazyHydration?: boolean;
  namespacedSync?: boolean;
  twoPhaseSync?: boolean;
  previewPush?: boolean;
  controlPlane?: boolean;
}

export interface PushPreviewSummary {
  total: number;
  new: number;
  changed: number;
  deleted: number;
}

export interface DatastoreSyncService {
  /** Returns the number of files pulled (0 or undefined: already up to date). */
  pullChanged(options?: DatastoreSyncOptions): Promise<number | void>;
  pushChanged(options?: DatastoreSyncOptions): Promise<number | void>;
  /** Called before every write into the cache. A path absent at push time is a delete. */
  markDirty(options?: DatastoreSyncOptions): Promise<void>;
  capabilities?(): SyncCapabilities;
  hydrateFile?(relPath: string, options?: DatastoreSyncOptions): Promise<boolean>;
  previewPush?(options?: DatastoreSyncOptions): Promise<PushPreviewSummary>;
}

export interface DatastoreProvider {
  createLock(datastorePath: string, options?: LockOptions): DistributedLock;
  createVerifier(): DatastoreVerifier;
  createSyncService?(repoDir: string, cachePath: string): DatastoreSyncService;
  resolveDatastorePath(repoDir: string): string;
  /** Local mirror for remote datastores; undefined means `<swampHome>/repos/<repoId>`. */
  resolveCachePath?(repoDir: string): string | undefined;
  /**
   * Lock keys under `prefix` currently present (held or stale). Optional: without it the
   * kernel cannot list per-model locks, so structural commands skip the per-model drain.
   */
  listLockKeys?(datastorePath: string, prefix: string): Promise<string[]>;
}

/** What a datastore plugin (builtin or `export const datastore` in an extension) provides. */
export interface DatastorePlugin<Config = Record<string, unknown>> {
  type: string;
  name: string;
  description: string;
  /** Zod schema (or anything with safeParse) validating the config from `.swamp.yaml`. */
  configSchema?: unknown;
  createProvider(config: Config): DatastoreProvider | Promise<DatastoreProvider>;
}

export { GLOBAL_LOCK_KEY, MODEL_LOCK_PREFIX, modelLockKey, parseModelLockKey } from "../lock-keys.js";

/** `@collective/name` or `collective/name`: lowercase, digits, `-` and `_`. */
export const EXTENSION_DATASTORE_TYPE_PATTERN = /^@?[a-z0-9_-]+\/[a-z0-9_-]+$/;

// ---- Wire schemas (values that cross the worker boundary) ----

export const LockInfoSchema = z.object({
  holder: z.string(),
  hostname: z.string(),
  pid: z.number().int(),
  acquiredAt: z.string(),
  ttlMs: z.number().nonnegative(),
  nonce: z.string().optional(),
  modifiedAt: z.string().optional(),
});

export const LockOptionsSchema = z.object({
  lockKey: z.string().optional(),
  ttlMs: z.number().int().positive().optional(),
  retryIntervalMs: z.number().int().nonnegative().optional(),
  maxWaitMs: z.number().int().nonnegative().optional(),
});

export const DatastoreHealthResultSchema = z.object({
  healthy: z.boolean(),
  message: z.string(),
  latencyMs: z.number(),
  datastoreType: z.string(),
  details: z.record(z.string(), z.string()).optional(),
});

export const SyncContextSchema = z.object({
  models: z.array(z.object({ modelType: z.string(), modelId: z.string() })).optional(),
});

/** `signal` never crosses; the host turns aborts into a cancel message. */
export const DatastoreSyncOptionsSchema = z.object({
  relPath: z.string().optional(),
  context: SyncContextSchema.optional(),
  namespace: z.string().optional(),
  metadataOnly: z.boolean().optional(),
});

export const SyncCapabilitiesSchema = z.object({
  scopedSync: z.boolean().optional(),
  lazyHydration: z.boolean().optional(),
  namespacedSync: z.boolean().optional(),
  twoPhaseSync: z.boolean().optional(),
  previewPush: z.boolean().optional(),
  controlPlane: z.boolean().optional(),
});

export const PushPreviewSummarySchema = z.object({
  total: z.number().int(),
  new: z.number().int(),
  changed: z.number().int(),
  deleted: z.number().int(),
});
