/**
 * Small runtime helpers for extension authors.
 *
 * Locks:
 *   - `createLockInfo({ ttlMs })` — the LockInfo body of a new acquisition (holder, hostname,
 *     pid, acquiredAt, a fresh nonce);
 *   - `isLockExpired(info)` — swamp's staleness rule: whether the lock's TTL has run out since
 *     its last sign of life (the newest of `acquiredAt` and `modifiedAt`, clock-skew safe);
 *   - `createPollingLock(store, options)` — a complete DistributedLock (retry with exponential
 *     backoff clamped to `maxWaitMs`, `LockTimeoutError` naming the holder, heartbeat, takeover of
 *     expired locks, nonce-fenced release and forceRelease) over four primitive operations of
 *     your backend (`LockStore`). Your backend only has to make `create` atomic.
 *
 * Vaults:
 *   - `secretKeyProblem(key)` / `assertSecretKey(vaultName, key)` — the key rules every
 *     vault applies (non-empty, no `/`, `\`, `..` or NUL);
 *   - `secretNotFoundError(vaultName, key)` — the error `get` and `delete` throw for a missing
 *     key (code `vault_secret_not_found`, which swamp relies on).
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { LockTimeoutError, SwampError } from "../kernel/contract/errors.js";
import type { DistributedLock, LockInfo, LockOptions } from "../kernel/contract/ports/datastore.js";
import { DEFAULT_LOCK_TTL_MS, isLockStale, runWithLock } from "../kernel/contract/lock-keys.js";
import { retry, TryAgain } from "../kernel/contract/retry.js";
import { secretKeyProblem } from "../kernel/contract/ports/vault.js";
import { shortName } from "../kernel/contract/untrusted.js";

// ---------------------------------------------------------------------------------------------
// locks

export { DEFAULT_LOCK_TTL_MS };
/** Upper bound of one backoff step of `createPollingLock`. */
export const MAX_LOCK_BACKOFF_MS = 5_000;
export const DEFAULT_LOCK_RETRY_INTERVAL_MS = 1_000;
export const DEFAULT_LOCK_MAX_WAIT_MS = 60_000;

function currentUser(): string {
  const fromEnv = process.env["USER"] ?? process.env["USERNAME"] ?? process.env["LOGNAME"];
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

export interface LockInfoOptions {
  ttlMs?: number;
  /** Default `<user>@<hostname>`. */
  holder?: string;
  /** Default: a random UUID. */
  nonce?: string;
}

/** The body of a new lock acquisition by this process. */
export function createLockInfo(options: LockInfoOptions = {}): LockInfo & { nonce: string } {
  const host = hostname();
  return {
    holder: options.holder ?? `${currentUser()}@${host}`,
    hostname: host,
    pid: process.pid,
    acquiredAt: new Date().toISOString(),
    ttlMs: options.ttlMs ?? DEFAULT_LOCK_TTL_MS,
    nonce: options.nonce ?? randomUUID(),
  };
}

/**
 * True when the lock showed no sign of life for longer than its `ttlMs`: the newest of its
 * `acquiredAt` and (when `read()` reports it) `modifiedAt`, neither counting as later than now,
 * `acquiredAt` no later than `modifiedAt`. Unreadable times count as expired.
 */
export function isLockExpired(info: LockInfo, now: number = Date.now()): boolean {
  return isLockStale(info, { now });
}

/**
 * The primitive operations of a lock backend (one lock key). Only `create` must be atomic
 * (exclusive create, conditional put, insert-if-absent …).
 */
export interface LockStore {
  /** Creates the lock holding `info` if no lock exists; false when one exists. */
  create(info: LockInfo): Promise<boolean>;
  /** The current lock, or null when there is none (or it cannot be read). */
  read(): Promise<LockInfo | null>;
  /**
   * Heartbeat: replaces the body of the lock carrying `info.nonce` with `info`; false when the
   * lock is gone or carries another nonce (make it conditional where the backend can).
   */
  update(info: LockInfo & { nonce: string }): Promise<boolean>;
  /**
   * Deletes the lock if its nonce is `nonce`; true when it deleted it. `undefined` matches a
   * legacy lock whose body has no nonce (so an expired one can be taken over).
   */
  remove(nonce: string | undefined): Promise<boolean>;
}

export interface PollingLockOptions extends LockOptions {
  /** Named in timeout errors when there is no `lockKey` (default "lock"). */
  description?: string;
  /** Extra staleness rule, e.g. "the holder's pid is dead on this host". TTL expiry always counts. */
  isStale?(info: LockInfo): boolean;
  /** Default `ttlMs / 3`. */
  heartbeatIntervalMs?: number;
}

/**
 * A DistributedLock over a `LockStore`:
 * - `acquire()` tries `create`; while someone else holds the lock it retries with exponential
 *   backoff from `retryIntervalMs` (never sleeping past the deadline) and throws `LockTimeoutError` after
 *   `maxWaitMs`. An expired holder (TTL, or `isStale`) is removed by its nonce and replaced.
 * - While held, a heartbeat rewrites `acquiredAt` every `heartbeatIntervalMs` (`update`); when
 *   the lock was force-released (`update` returns false), the heartbeat stops and the instance
 *   no longer holds it.
 * - `release()` removes the lock only if it still carries our nonce; it is idempotent.
 */
export function createPollingLock(store: LockStore, options: PollingLockOptions = {}): DistributedLock {
  const ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const retryIntervalMs = Math.max(1, options.retryIntervalMs ?? DEFAULT_LOCK_RETRY_INTERVAL_MS);
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_LOCK_MAX_WAIT_MS;
  const heartbeatMs = Math.max(10, options.heartbeatIntervalMs ?? Math.floor(ttlMs / 3));
  const name = options.lockKey ?? options.description ?? "lock";
  let held: (LockInfo & { nonce: string }) | null = null;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const stopHeartbeat = () => {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    heartbeat = undefined;
  };

  const startHeartbeat = () => {
    stopHeartbeat();
    let busy = false;
    heartbeat = setInterval(() => {
      if (busy || !held) return;
      busy = true;
      const mine = held;
      void (async () => {
        try {
          const extended = { ...mine, acquiredAt: new Date().toISOString() };
          if (await store.update(extended)) {
            if (held === mine) held = extended;
          } else if (held === mine) {
            // Someone force-released (and maybe re-acquired) it: we no longer hold it.
            held = null;
            stopHeartbeat();
          }
        } catch {
          // A missed beat is retried on the next tick; the TTL covers short outages.
        } finally {
          busy = false;
        }
      })();
    }, heartbeatMs);
    heartbeat.unref?.();
  };

  const stale = (info: LockInfo) => isLockExpired(info) || (options.isStale?.(info) ?? false);

  const lock: DistributedLock = {
    async acquire() {
      if (held) throw new SwampError("lock_already_held", `${name} is already held by this lock instance`);
      const started = Date.now();
      let takeovers = 0;
      await retry(
        async () => {
          const info = createLockInfo({ ttlMs });
          if (await store.create(info)) {
            held = info;
            startHeartbeat();
            return;
          }
          const current = await store.read();
          // A stale lock is removed by its nonce (none for a legacy body) and the create retried at
          // once, a few times at most: a lock that keeps coming back is waited for with backoff.
          const takenOver = current && stale(current) && (await store.remove(current.nonce)) && takeovers++ < 3;
          throw new TryAgain(current, takenOver ? { delayMs: 0 } : {});
        },
        {
          baseMs: retryIntervalMs,
          maxMs: MAX_LOCK_BACKOFF_MS,
          remainingMs: () => started + maxWaitMs - Date.now(),
          giveUp: (last) => {
            const current = (last as TryAgain).reason as LockInfo | null;
            return new LockTimeoutError(name, current ? { holder: current.holder, pid: current.pid, hostname: current.hostname } : null, Date.now() - started);
          },
        },
      );
    },
    async release() {
      stopHeartbeat();
      const mine = held;
      held = null;
      if (mine) await store.remove(mine.nonce);
    },
    withLock: <T>(fn: () => Promise<T>): Promise<T> => runWithLock(lock, fn),
    inspect: () => store.read(),
    async forceRelease(expectedNonce: string) {
      const removed = await store.remove(expectedNonce);
      if (removed && held?.nonce === expectedNonce) {
        held = null;
        stopHeartbeat();
      }
      return removed;
    },
  };
  return lock;
}

// ---------------------------------------------------------------------------------------------
// vaults

/** The code of the error `get`/`delete` throw for a key that does not exist. */
export const SECRET_NOT_FOUND_CODE = "vault_secret_not_found";
/** The code of the error thrown for a key that breaks the key rules. */
export const INVALID_SECRET_KEY_CODE = "vault_invalid_key";

/** Throws (code `vault_invalid_key`) when `key` cannot name a secret. */
export function assertSecretKey(vaultName: string, key: unknown): asserts key is string {
  const problem = secretKeyProblem(key);
  if (problem) {
    throw new SwampError(INVALID_SECRET_KEY_CODE, `Invalid secret key ${JSON.stringify(shortName(String(key)))} for vault '${vaultName}': ${problem}`, {
      details: { vault: vaultName },
    });
  }
}

/** The error for a missing secret (code `vault_secret_not_found`); never contains a value. */
export function secretNotFoundError(vaultName: string, key: string): SwampError {
  return new SwampError(SECRET_NOT_FOUND_CODE, `Secret '${key}' not found in vault '${vaultName}'`, { details: { vault: vaultName, key } });
}
