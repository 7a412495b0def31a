/**
 * Lock conventions shared by the kernel, the CLI, the sdk and every datastore: key names, the
 * `withLock` behaviour, the one staleness rule and the one backoff. Kept free of zod so the
 * paths that take locks load nothing heavy.
 */
import type { DistributedLock, LockInfo } from "./ports/datastore.js";

/** TTL assumed for a lock whose body does not say (legacy, partial or unreadable bodies). */
export const DEFAULT_LOCK_TTL_MS = 30_000;

function toMs(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * When a lock last showed a sign of life, in ms on the reader's clock: the newest of the body's
 * timestamp (`acquiredAt`, refreshed by every heartbeat) and the time the lock file or object
 * was last written (`modifiedAt`: a file's mtime, or an object's age on its server subtracted
 * from the reader's now). Nothing counts as later than now, and a body timestamp counts as no
 * later than the write that stored it: a writer whose clock runs ahead cannot keep a dead lock
 * alive, one whose clock runs behind cannot make a live lock look dead. Null when neither is
 * readable.
 */
export function lastSignOfLife(signs: { acquiredAt?: string | number | undefined; modifiedAt?: string | number | undefined }, now: number): number | null {
  const modified = toMs(signs.modifiedAt);
  const body = toMs(signs.acquiredAt);
  const ceiling = modified === null ? now : Math.min(modified, now);
  if (modified === null && body === null) return null;
  return Math.max(modified === null ? -Infinity : ceiling, body === null ? -Infinity : Math.min(body, ceiling));
}

export interface StalenessOptions {
  /** Reader's clock (ms); default Date.now(). */
  now?: number;
  /** When the lock file/object was last written, if the reader knows (overrides `info.modifiedAt`). */
  modifiedAt?: string | number;
  /** TTL for a body that names none; default DEFAULT_LOCK_TTL_MS. */
  fallbackTtlMs?: number;
  /** True when the holder is provably gone (e.g. its pid is dead on this very host). */
  holderGone?(info: LockInfo): boolean;
}

/**
 * The one staleness rule: a lock is stale when its last sign of life is older than its TTL, when
 * nothing about it is readable (garbage body and no modification time), or when its holder is
 * provably gone. `info` null means an unreadable body: only its modification time can speak for
 * it. A live, heartbeating holder is never stale under this rule, whatever the clocks say.
 */
export function isLockStale(info: LockInfo | null, options: StalenessOptions = {}): boolean {
  const now = options.now ?? Date.now();
  const modifiedAt = options.modifiedAt ?? info?.modifiedAt;
  const last = lastSignOfLife({ acquiredAt: info?.acquiredAt, modifiedAt }, now);
  if (last === null) return true;
  const fallback = options.fallbackTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const ttl = info && Number.isFinite(info.ttlMs) && info.ttlMs > 0 ? info.ttlMs : fallback;
  if (now - last > ttl) return true;
  return info !== null && (options.holderGone?.(info) ?? false);
}

/** `DistributedLock.withLock` for any lock: acquire, run, release even when `fn` throws. */
export async function runWithLock<T>(lock: Pick<DistributedLock, "acquire" | "release">, fn: () => Promise<T>): Promise<T> {
  await lock.acquire();
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export const GLOBAL_LOCK_KEY = ".datastore.lock";

/**
 * Per-model locks live flat under one prefix, so finding every held model lock is a single
 * directory listing (or one LIST request), never a walk of the data tree. The type is
 * percent-encoded (it may span segments, `@org/aws/ec2`) and never contains `~`.
 */
export const MODEL_LOCK_PREFIX = ".locks/models/";

export function modelLockKey(modelType: string, modelId: string): string {
  return `${MODEL_LOCK_PREFIX}${encodeURIComponent(modelType)}~${modelId}.lock`;
}

export function parseModelLockKey(key: string): { modelType: string; modelId: string } | null {
  if (!key.startsWith(MODEL_LOCK_PREFIX) || !key.endsWith(".lock")) return null;
  const body = key.slice(MODEL_LOCK_PREFIX.length, -".lock".length);
  const sep = body.indexOf("~");
  if (sep <= 0 || sep === body.length - 1) return null;
  try {
    return { modelType: decodeURIComponent(body.slice(0, sep)), modelId: body.slice(sep + 1) };
  } catch {
    return null;
  }
}
