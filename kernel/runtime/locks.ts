/**
 * Lock orchestration over the datastore's DistributedLock. Single-model writes take that
 * model's lock; structural operations (gc, setup) take the global lock after draining live
 * model locks, and drain again after acquiring (a writer may have slipped in between).
 * Every wait has a deadline. Locks held by this process are tracked so Ctrl-C and SIGTERM
 * can release them.
 *
 * Fencing: the locks this process holds are remembered (with the nonce of our acquisition)
 * while the work that took them runs, and `assertHeld()` — called by the data repository right
 * before each commit point, with the model being written — re-reads them and throws
 * `lock_lost` when one was released or taken over, so a writer that lost its lock commits
 * nothing more. A commit checks the model's own lock (and the global lock) when this process
 * holds it, else every lock the process holds. No AsyncLocalStorage: in Node 20 it turns on
 * promise hooks for the whole process, which cost a short command 5–10% of its CPU.
 */
import { hostname, userInfo } from "node:os";
import { ErrorCode, LockTimeoutError, SwampError } from "../contract/errors.js";
import { GLOBAL_LOCK_KEY, isLockStale, MODEL_LOCK_PREFIX, modelLockKey, parseModelLockKey } from "../contract/lock-keys.js";
import type { DatastoreProvider, DistributedLock, LockInfo } from "../contract/ports/datastore.js";
import { retry, TryAgain } from "../contract/retry.js";
import type { Env } from "./env-path.js";

export const DEFAULT_LOCK_WAIT_MS = 60_000;
/** Env var naming the swamp processes above us that hold locks we must not wait for. */
export const LOCK_HOLDER_ENV = "SWAMP_LOCK_HOLDER_PID";

/** `SWAMP_LOCK_TIMEOUT_MS` when it is a positive integer, else 60 s. */
export function lockWaitMs(env: Env): number {
  const raw = env.SWAMP_LOCK_TIMEOUT_MS;
  if (raw && /^\d+$/.test(raw.trim())) {
    const n = Number(raw.trim());
    if (n > 0) return n;
  }
  return DEFAULT_LOCK_WAIT_MS;
}

const held = new Set<DistributedLock>();

/** A lock the current work holds, as it looked right after we acquired it. */
interface HeldLock {
  key: string;
  lock: DistributedLock;
  nonce: string | undefined;
}

/** The locks held by work running now, by key (a list, should one key ever be held twice). */
const fencing = new Map<string, HeldLock[]>();

function enterFencing(mine: readonly HeldLock[]): void {
  for (const h of mine) fencing.set(h.key, [...(fencing.get(h.key) ?? []), h]);
}

function leaveFencing(mine: readonly HeldLock[]): void {
  for (const h of mine) {
    const rest = (fencing.get(h.key) ?? []).filter((x) => x !== h);
    if (rest.length > 0) fencing.set(h.key, rest);
    else fencing.delete(h.key);
  }
}

/** What a commit to `modelType/modelId` must still hold: that model's lock and the global lock, or, when we hold neither, everything we hold. */
function locksToCheck(modelType?: string, modelId?: string): HeldLock[] {
  const own = modelType !== undefined && modelId !== undefined ? fencing.get(modelLockKey(modelType, modelId)) : undefined;
  const global = fencing.get(GLOBAL_LOCK_KEY);
  if (own || global) return [...(own ?? []), ...(global ?? [])];
  return [...fencing.values()].flat();
}

function lockLostError(key: string, now: LockInfo | null): SwampError {
  const by = now ? `; it is now held by ${now.holder} (pid ${now.pid})` : "";
  return new SwampError(
    ErrorCode.lockLost,
    `Lock "${key}" was lost while this command held it (released or taken over${by}); nothing more was committed`,
    { details: { lockKey: key, ...(now ? { holder: { holder: now.holder, pid: now.pid, hostname: now.hostname } } : {}) } },
  );
}

/** Throws `lock_lost` unless the locks a commit to `modelType/modelId` relies on are still ours. */
export async function assertHeld(modelType?: string, modelId?: string): Promise<void> {
  for (const h of locksToCheck(modelType, modelId)) {
    const now = await h.lock.inspect();
    const ours = now !== null && (h.nonce !== undefined ? now.nonce === h.nonce : now.pid === process.pid && now.hostname === hostname());
    if (!ours) throw lockLostError(h.key, now);
  }
}

/** Best-effort release of every lock this process holds (signal handlers call this). */
export async function releaseHeldLocks(): Promise<void> {
  const locks = [...held];
  held.clear();
  await Promise.allSettled(locks.map((l) => l.release()));
}

/** True unless the OS says the process does not exist (ESRCH; EPERM means it exists). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true; // unknowable: assume alive
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * The user a lock names as its holder (`<user>@<host>`): the login name from the environment,
 * else the OS account (a service or container often runs without USER).
 */
export function lockUserName(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.USER || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown"; // no passwd entry for this uid
  }
}

/** A holder is provably gone only on the machine that wrote its pid. */
export function holderGoneOn(host: string): (info: LockInfo) => boolean {
  return (info) => info.hostname === host && !isProcessAlive(info.pid);
}

/** The staleness rule (`isLockStale`) as this host applies it to what `inspect()` returned. */
export function isStale(info: LockInfo, now = Date.now()): boolean {
  return isLockStale(info, { now, holderGone: holderGoneOn(hostname()) });
}

export interface ModelRef {
  modelType: string;
  modelId: string;
}

export interface ModelLockState extends ModelRef {
  lockKey: string;
  info: LockInfo | null;
}

/** Upper bound of one step of the kernel's lock waits. */
const MAX_POLL_MS = 1_000;

export class LockManager {
  private readonly pollMs: number;
  private readonly ancestorPids: Set<number>;

  constructor(
    private readonly provider: DatastoreProvider,
    private readonly datastorePath: string,
    private readonly maxWaitMs: number,
    env: Env,
    pollMs = 100,
  ) {
    this.pollMs = pollMs;
    this.ancestorPids = new Set(
      (env[LOCK_HOLDER_ENV] ?? "").split(",").map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0),
    );
  }

  lock(lockKey: string): DistributedLock {
    return this.provider.createLock(this.datastorePath, { lockKey, maxWaitMs: this.maxWaitMs });
  }

  globalLock(): DistributedLock {
    return this.lock(GLOBAL_LOCK_KEY);
  }

  modelLock(ref: ModelRef): DistributedLock {
    return this.lock(modelLockKey(ref.modelType, ref.modelId));
  }

  /** Every per-model lock file present, with its holder (null when unreadable). */
  async listModelLocks(): Promise<ModelLockState[]> {
    if (!this.provider.listLockKeys) return [];
    const keys = await this.provider.listLockKeys(this.datastorePath, MODEL_LOCK_PREFIX);
    const out: ModelLockState[] = [];
    for (const key of keys.sort()) {
      const ref = parseModelLockKey(key);
      if (!ref) continue;
      out.push({ ...ref, lockKey: key, info: await this.lock(key).inspect() });
    }
    return out;
  }

  async withGlobalLock<T>(fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    await this.drainModelLocks(started);
    const lock = this.globalLock();
    await this.track(lock);
    try {
      const mine = [await this.remember(GLOBAL_LOCK_KEY, lock)];
      await this.drainModelLocks(started);
      return await this.asOwner(mine, fn);
    } finally {
      await this.untrack(lock);
    }
  }

  /** Takes the locks of `models` in a global order, waiting out any structural operation. */
  async withModelLocks<T>(models: readonly ModelRef[], fn: () => Promise<T>): Promise<T> {
    const ordered = [...new Map(models.map((m) => [`${m.modelType}/${m.modelId}`, m])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, m]) => m);
    const started = Date.now();
    for (;;) {
      await this.waitForGlobalLock(started);
      const taken: DistributedLock[] = [];
      const mine: HeldLock[] = [];
      try {
        for (const ref of ordered) {
          const lock = this.modelLock(ref);
          if (this.heldByAncestor(await lock.inspect())) continue;
          await this.track(lock);
          taken.push(lock);
          mine.push(await this.remember(modelLockKey(ref.modelType, ref.modelId), lock));
        }
        const global = await this.globalLock().inspect();
        if (global && !isStale(global) && !this.heldByAncestor(global)) {
          // A structural command started while we were acquiring: back off and retry.
          for (const lock of taken.splice(0)) await this.untrack(lock);
          continue;
        }
        return await this.asOwner(mine, fn);
      } finally {
        for (const lock of taken) await this.untrack(lock);
      }
    }
  }

  private async track(lock: DistributedLock): Promise<void> {
    await lock.acquire();
    held.add(lock);
  }

  private async untrack(lock: DistributedLock): Promise<void> {
    held.delete(lock);
    await lock.release();
  }

  /** Our acquisition as the lock shows it now: its nonce is what fencing compares against. */
  private async remember(key: string, lock: DistributedLock): Promise<HeldLock> {
    const info = await lock.inspect();
    return { key, lock, nonce: info?.nonce };
  }

  /**
   * Runs `fn` as the holder of `mine` (fenced while it runs). Child swamp processes started by
   * `fn` must not wait for the locks we hold.
   */
  private async asOwner<T>(mine: readonly HeldLock[], fn: () => Promise<T>): Promise<T> {
    const previous = process.env[LOCK_HOLDER_ENV];
    process.env[LOCK_HOLDER_ENV] = previous ? `${previous},${process.pid}` : String(process.pid);
    enterFencing(mine);
    try {
      return await fn();
    } finally {
      leaveFencing(mine);
      if (previous === undefined) delete process.env[LOCK_HOLDER_ENV];
      else process.env[LOCK_HOLDER_ENV] = previous;
    }
  }

  private heldByAncestor(info: LockInfo | null): boolean {
    return !!info && info.hostname === hostname() && this.ancestorPids.has(info.pid);
  }

  private deadlineError(key: string, info: LockInfo | null, started: number): LockTimeoutError {
    return new LockTimeoutError(key, info ? { holder: info.holder, pid: info.pid, hostname: info.hostname } : null, Date.now() - started);
  }

  private async waitForGlobalLock(started: number): Promise<void> {
    const lock = this.globalLock();
    await this.waitUntilFree(started, async () => {
      const info = await lock.inspect();
      // A stale global lock (a crashed structural command) does not block model writes; it is
      // left in place for the next structural command, whose acquire() takes it over.
      if (!info || this.heldByAncestor(info) || isStale(info)) return;
      throw new TryAgain({ key: GLOBAL_LOCK_KEY, info });
    });
  }

  private async drainModelLocks(started: number): Promise<void> {
    await this.waitUntilFree(started, async () => {
      const live = (await this.listModelLocks()).filter((s) => s.info && !isStale(s.info) && !this.heldByAncestor(s.info));
      const first = live[0];
      if (first) throw new TryAgain({ key: first.lockKey, info: first.info });
    });
  }

  /**
   * Polls `check` (which throws TryAgain naming the lock in the way) with backoff until it
   * passes; at the deadline, a LockTimeoutError names the last holder seen.
   */
  private async waitUntilFree(started: number, check: () => Promise<void>): Promise<void> {
    await retry(check, {
      baseMs: this.pollMs,
      maxMs: MAX_POLL_MS,
      remainingMs: () => started + this.maxWaitMs - Date.now(),
      giveUp: (last) => {
        const { key, info } = (last as TryAgain).reason as { key: string; info: LockInfo | null };
        return this.deadlineError(key, info, started);
      },
    });
  }
}
