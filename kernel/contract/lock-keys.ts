/**
 * Lock conventions shared by the kernel, the CLI and every datastore: key names and the
 * `withLock` behaviour. Kept free of zod so the paths that take locks load nothing heavy.
 */
import type { DistributedLock } from "./ports/datastore.js";

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
