/**
 * The one retry loop: S3 requests, the S3 index's compare-and-swap and root re-read, lock
 * waits (kernel, filesystem, S3, the sdk's polling lock), the S3 cache mutex, the npm install
 * lock, the registry lockfile and key files all try again through it.
 *
 * A failed attempt is tried again when it is retryable — a `TryAgain` thrown by the attempt, or
 * what `retryable` accepts — while attempts and time remain; any other failure is thrown at
 * once. Between attempts it sleeps the next step of an exponential backoff with jitter, or the
 * delay the `TryAgain` asked for (0: at once, not advancing the backoff); no sleep goes past the
 * time left. One attempt may begin once the time is up; when it fails, or the attempts are
 * spent, `giveUp(last failure)` is thrown (default: the failure, or a `TryAgain`'s reason when
 * that is an Error). An abort of `signal` ends a sleep at once and is thrown as its reason.
 *
 * Lives in the contract (imports nothing) so the sdk's helpers use it too.
 */

export interface Backoff {
  /** The first backoff step, in ms. */
  baseMs: number;
  /** Growth per step (default 2; 1 keeps a fixed interval). */
  factor?: number;
  /** Upper bound of one step before jitter (default: none; never below `baseMs`). */
  maxMs?: number;
  /** "spread": ×[0.75, 1.25) (default); "full": ×[0, 1); "none": the step as is. */
  jitter?: "spread" | "full" | "none";
}

/** The `step`-th backoff delay (0-based), jittered. */
export function backoffDelay(step: number, backoff: Backoff, random: () => number = Math.random): number {
  const { baseMs, factor = 2, maxMs = Infinity, jitter = "spread" } = backoff;
  const base = Math.min(baseMs * factor ** Math.min(step, 30), Math.max(maxMs, baseMs));
  if (jitter === "none") return base;
  return jitter === "full" ? base * random() : base * (0.75 + random() * 0.5);
}

/** How long the wait before the next attempt is: `delayMs` replaces the backoff step (0: at once). */
export interface TryAgainWait {
  delayMs?: number;
  /** Caps this wait (the backoff step still advances), e.g. at when a lock turns stale. */
  atMostMs?: number;
}

/**
 * Thrown by an attempt to ask for another: `reason` says why (a busy lock's holder, the
 * conflict); `wait` shapes the sleep before it.
 */
export class TryAgain extends Error {
  constructor(
    readonly reason?: unknown,
    readonly wait: TryAgainWait = {},
  ) {
    super(reason instanceof Error ? reason.message : "try again");
    this.name = "TryAgain";
  }
}

export interface RetryOptions extends Backoff {
  /** Attempts in all (default: no limit; then `remainingMs` must end the loop). */
  attempts?: number;
  /** Time left; no sleep goes past it, and a failure of an attempt begun with none left is the last. */
  remainingMs?: () => number;
  /** Whether a failure other than `TryAgain` is worth another attempt (default: none is). */
  retryable?(err: unknown): boolean;
  /** The error thrown when no attempt or time is left, made from the last failure as thrown. */
  giveUp?(last: unknown): unknown | Promise<unknown>;
  signal?: AbortSignal;
}

function abortReason(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  return err;
}

/** Resolves after `ms`; rejects with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `attempt` (given its 0-based number) until it succeeds or no attempt is left. */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts = Infinity, remainingMs, retryable, giveUp, signal } = options;
  let step = 0;
  for (let n = 0; ; n++) {
    if (signal?.aborted) throw abortReason(signal);
    // One attempt may start once the time is up (a zero budget still tries once, and a holder
    // leaving during the last sleep is noticed); its failure is the last.
    const late = (remainingMs?.() ?? Infinity) <= 0;
    let failure: unknown;
    try {
      return await attempt(n);
    } catch (err) {
      failure = err;
    }
    if (signal?.aborted) throw abortReason(signal);
    const again = failure instanceof TryAgain;
    if (!again && !retryable?.(failure)) throw failure;
    if (n + 1 >= attempts || late) {
      if (giveUp) throw await giveUp(failure);
      throw again && (failure as TryAgain).reason instanceof Error ? (failure as TryAgain).reason : failure;
    }
    const wait = again ? (failure as TryAgain).wait : {};
    const delay = Math.min(wait.delayMs ?? backoffDelay(step++, options), wait.atMostMs ?? Infinity, remainingMs?.() ?? Infinity);
    if (delay > 0) await sleep(delay, signal);
  }
}
