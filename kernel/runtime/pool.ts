/**
 * The one concurrency limiter: bounded batches of filesystem or network work, enough calls in
 * flight to keep libuv's thread pool (or the sockets) busy, never thousands of handles at once.
 *
 *   createLimiter(n)         a gate shared by unrelated callers (gc shares one across models)
 *   mapLimited(items, n, f)  results in input order; the first failure rejects (others finish)
 *   settleLimited(...)       every item is tried; the failures are returned, not thrown
 */

/** Runs `task` with at most `n` tasks of this limiter in flight. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(n: number): Limiter {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/** Runs `step(i)` for every index below `count`, at most `limit` at a time; `stop()` ends a worker before its next item. */
async function drain(count: number, limit: number, step: (index: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count && !stop()) await step(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
}

/** `fn` over `items`, at most `limit` at a time; results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  await drain(items.length, limit, async (i) => {
    out[i] = await fn(items[i] as T, i);
  });
  return out;
}

/**
 * `fn` over `items`, at most `limit` at a time, carrying on past failures; resolves to the
 * failures in the order they happened. Once `signal` aborts no further item starts, and its
 * reason is among the failures when items were left undone.
 */
export async function settleLimited<T>(
  items: readonly T[],
  { limit, signal }: { limit: number; signal?: AbortSignal | undefined },
  fn: (item: T) => Promise<void>,
): Promise<unknown[]> {
  const failures: unknown[] = [];
  let started = 0;
  await drain(
    items.length,
    limit,
    async (i) => {
      started++;
      try {
        await fn(items[i] as T);
      } catch (err) {
        failures.push(err);
      }
    },
    () => signal?.aborted === true,
  );
  if (started < items.length && signal?.aborted) failures.push(abortReason(signal));
  return failures;
}

function abortReason(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  return err;
}
