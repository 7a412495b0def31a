/**
 * FileLock: the distributed lock of the filesystem datastore.
 *
 * The lock is one small JSON file (`<datastorePath>/<lockKey>`) that exists while someone holds
 * it. Creation is exclusive and atomic (a complete temp file hard-linked into place), so a
 * reader never sees an empty or half-written body. The holder refreshes `acquiredAt` every
 * `ttlMs / 3`; a lock whose last refresh is older than its TTL, or whose holder process is
 * provably gone from this very host, may be taken over.
 *
 * Taking a lock over, releasing it and force-releasing it all follow the same careful pattern:
 * read the file, decide, then rename it aside to a unique name (an atomic "take"), re-read what
 * was taken and only delete it when it is still exactly the file we decided about. When it has
 * changed in between (the holder heartbeated), it is linked back into place: a live lock is
 * never destroyed.
 *
 * Only node builtins are imported here (plus the dependency-free error module), so the CLI and
 * worker processes can load this file cheaply.
 */
import { randomUUID } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { ErrorCode, LockTimeoutError, SwampError } from "../../kernel/contract/errors.js";
import type { DistributedLock, LockInfo, LockOptions } from "../../kernel/contract/ports/datastore.js";
import { atomicCreateFile, atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { safeJoin } from "../../kernel/runtime/safe-path.js";
import { holderGoneOn, lockUserName, lockWaitMs } from "../../kernel/runtime/locks.js";
import { DEFAULT_LOCK_TTL_MS, isLockStale, runWithLock } from "../../kernel/contract/lock-keys.js";
import { retry, sleep, TryAgain } from "../../kernel/contract/retry.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export { DEFAULT_LOCK_TTL_MS };
/** The global (structural) lock key; same value as the contract's GLOBAL_LOCK_KEY. */
export const DEFAULT_LOCK_KEY = ".datastore.lock";
/** First backoff. Local files are cheap to poll, so start small. */
export const DEFAULT_LOCK_RETRY_INTERVAL_MS = 50;
/** Upper bound of one backoff step (before jitter). */
export const MAX_LOCK_BACKOFF_MS = 1_000;

/** How long a heartbeat waits before re-reading a lock file it found missing. */
const MISSING_RECHECK_MS = 25;
/** Consecutive immediate retries after stale takeovers before we start backing off anyway. */
const MAX_IMMEDIATE_TAKEOVERS = 3;

/** Absolute path of the lock file for `lockKey`; refuses keys that escape the datastore. */
export function lockPathFor(datastorePath: string, lockKey: string = DEFAULT_LOCK_KEY): string {
  return safeJoin(datastorePath, lockKey);
}

export interface FileLockOptions extends LockOptions {
  /** Wall clock in ms (test seam); defaults to Date.now. Used for acquiredAt and staleness. */
  now?: () => number;
  /**
   * Host identity written into the lock and compared before trusting a PID probe. Defaults to
   * os.hostname(). Tests use it to pose as another machine sharing the directory.
   */
  hostname?: string;
  /** Called once per acquire() when the lock is found held by someone else. */
  onWait?: (event: { lockPath: string; holder: LockInfo | null }) => void;
}

/** One coherent read of a lock file: content and mtime come from the same open handle. */
interface LockSnapshot {
  raw: string;
  mtimeMs: number;
  /** null when the body is empty or not a lock document. */
  info: LockInfo | null;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** Parses a lock body; anything that is not a lock document gives null. */
export function parseLockInfo(raw: string): LockInfo | null {
  if (raw.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.holder !== "string") return null;
  if (typeof v.pid !== "number" || !Number.isFinite(v.pid)) return null;
  if (typeof v.acquiredAt !== "string") return null;
  if (typeof v.ttlMs !== "number" || !Number.isFinite(v.ttlMs)) return null;
  if (v.nonce !== undefined && typeof v.nonce !== "string") return null;
  let host: string;
  if (typeof v.hostname === "string") {
    host = v.hostname;
  } else {
    // Legacy bodies without a hostname: the holder string is "<user>@<host>".
    const at = v.holder.lastIndexOf("@");
    host = at >= 0 ? v.holder.slice(at + 1) : "unknown";
  }
  const info: LockInfo = { holder: v.holder, hostname: host, pid: v.pid, acquiredAt: v.acquiredAt, ttlMs: v.ttlMs };
  if (typeof v.nonce === "string") info.nonce = v.nonce;
  return info;
}

async function readSnapshot(path: string): Promise<LockSnapshot | null> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw err;
  }
  try {
    const stat = await handle.stat();
    const raw = await handle.readFile("utf8");
    return { raw, mtimeMs: stat.mtimeMs, info: parseLockInfo(raw) };
  } finally {
    await handle.close().catch(() => {});
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

export class FileLock implements DistributedLock {
  readonly lockPath: string;
  readonly lockKey: string;
  readonly ttlMs: number;
  readonly retryIntervalMs: number;
  readonly maxWaitMs: number;
  readonly hostname: string;

  private readonly now: () => number;
  private readonly onWait: FileLockOptions["onWait"];

  private held = false;
  private acquiring = false;
  private releasing = false;
  /** Nonce of the current (or last, if fenced out) acquisition; cleared by release. */
  private nonce: string | undefined;
  private info: LockInfo | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight: Promise<void> | undefined;

  constructor(datastorePath: string, options: FileLockOptions = {}) {
    this.lockKey = options.lockKey ?? DEFAULT_LOCK_KEY;
    this.lockPath = lockPathFor(datastorePath, this.lockKey);
    this.ttlMs = positiveOr(options.ttlMs, DEFAULT_LOCK_TTL_MS);
    this.retryIntervalMs = positiveOr(options.retryIntervalMs, DEFAULT_LOCK_RETRY_INTERVAL_MS);
    const wait = options.maxWaitMs;
    this.maxWaitMs = typeof wait === "number" && Number.isFinite(wait) && wait >= 0 ? wait : lockWaitMs(process.env);
    this.hostname = options.hostname ?? osHostname();
    this.now = options.now ?? Date.now;
    this.onWait = options.onWait;
  }

  /** True while this instance holds the lock (false after release or after being fenced out). */
  get isHeld(): boolean {
    return this.held;
  }

  async acquire(): Promise<void> {
    if (this.held || this.acquiring) {
      throw new SwampError(
        ErrorCode.conflict,
        `Lock "${this.lockPath}" is already held (or being acquired) by this FileLock instance; release() it before acquiring again`,
        { details: { lockPath: this.lockPath } },
      );
    }
    this.acquiring = true;
    try {
      await this.acquireLoop();
    } finally {
      this.acquiring = false;
    }
  }

  private async acquireLoop(): Promise<void> {
    const start = monotonicMs();
    const deadline = start + this.maxWaitMs;
    const nonce = randomUUID();
    const user = lockUserName();
    let immediateTakeovers = 0;
    let waitReported = false;

    // The retry loop bounds every path by the deadline: one attempt may start once the budget is
    // spent (so a zero budget still tries once and a holder releasing during the last sleep is
    // noticed), then it gives up.
    await retry(
      async () => {
        const info: LockInfo = {
          holder: `${user}@${this.hostname}`,
          hostname: this.hostname,
          pid: process.pid,
          acquiredAt: new Date(this.now()).toISOString(),
          ttlMs: this.ttlMs,
          nonce,
        };
        const created = await atomicCreateFile(this.lockPath, JSON.stringify(info, null, 2), { durable: false });
        if (created) {
          this.nonce = nonce;
          this.info = info;
          this.held = true;
          this.releasing = false;
          this.scheduleHeartbeat();
          return;
        }

        // Contended: look at the current holder.
        let snapshot: LockSnapshot | null | "unreadable";
        try {
          snapshot = await readSnapshot(this.lockPath);
        } catch {
          snapshot = "unreadable"; // e.g. permissions, or a directory in the way: busy, back off
        }
        if (snapshot === null) throw new TryAgain(undefined, { delayMs: 0 }); // vanished between create and read: at once

        if (!waitReported) {
          waitReported = true;
          try {
            this.onWait?.({ lockPath: this.lockPath, holder: snapshot === "unreadable" ? null : snapshot.info });
          } catch {
            // a logging callback must not break locking
          }
        }

        if (snapshot !== "unreadable" && this.isStale(snapshot) && immediateTakeovers < MAX_IMMEDIATE_TAKEOVERS) {
          const judged = snapshot;
          const outcome = await this.takeAndDelete((taken) => sameLockVersion(judged, taken));
          if (outcome !== "changed") {
            immediateTakeovers++;
            throw new TryAgain(undefined, { delayMs: 0 }); // deleted (or already gone): try to create at once
          }
        }
        immediateTakeovers = 0;
        throw new TryAgain();
      },
      {
        baseMs: this.retryIntervalMs,
        maxMs: MAX_LOCK_BACKOFF_MS,
        remainingMs: () => deadline - monotonicMs(),
        giveUp: () => this.timeoutError(monotonicMs() - start),
      },
    );
  }

  private async timeoutError(elapsedMs: number): Promise<LockTimeoutError> {
    const holder = await this.inspect();
    return new LockTimeoutError(
      this.lockPath,
      holder ? { holder: holder.holder, pid: holder.pid, hostname: holder.hostname } : null,
      elapsedMs,
    );
  }

  /** The shared staleness rule (`isLockStale`), with the file's mtime as the modification time. */
  private isStale(snapshot: LockSnapshot): boolean {
    return isLockStale(snapshot.info, {
      now: this.now(),
      modifiedAt: snapshot.mtimeMs,
      fallbackTtlMs: this.ttlMs,
      holderGone: holderGoneOn(this.hostname),
    });
  }

  /**
   * Atomically takes the lock file aside and deletes it only if `matches` approves of what was
   * taken; otherwise links it back (never overwriting a newer lock) and reports "changed".
   */
  private async takeAndDelete(matches: (taken: LockSnapshot) => boolean): Promise<"deleted" | "missing" | "changed"> {
    const aside = join(dirname(this.lockPath), `.${basename(this.lockPath)}.taken-${randomUUID()}.tmp`);
    try {
      await rename(this.lockPath, aside);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return "missing";
      throw err;
    }
    let taken: LockSnapshot | null = null;
    try {
      taken = await readSnapshot(aside);
    } catch {
      taken = null;
    }
    if (taken !== null && matches(taken)) {
      await unlink(aside).catch(() => {});
      return "deleted";
    }
    // Not what we judged: put it back. If a new lock appeared in the gap, that one wins and the
    // holder of the taken file is fenced out at its next heartbeat.
    try {
      await link(aside, this.lockPath);
    } catch {
      // EEXIST (someone created a fresh lock) or a vanished aside file: nothing more we may do
    } finally {
      await unlink(aside).catch(() => {});
    }
    return "changed";
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeatTimer();
    const interval = Math.max(1, Math.floor(this.ttlMs / 3));
    const timer = setTimeout(() => {
      if (this.heartbeatTimer !== timer) return;
      this.heartbeatTimer = undefined;
      const beat = this.heartbeat().finally(() => {
        if (this.heartbeatInFlight === beat) this.heartbeatInFlight = undefined;
        if (this.held && !this.releasing && this.heartbeatTimer === undefined) this.scheduleHeartbeat();
      });
      this.heartbeatInFlight = beat;
    }, interval);
    timer.unref();
    this.heartbeatTimer = timer;
  }

  private stopHeartbeatTimer(): void {
    if (this.heartbeatTimer !== undefined) {
      clearTimeout(this.heartbeatTimer);
      this.heartbeatTimer = undefined;
    }
  }

  /** Extends the lock; detects being fenced out. Never throws. */
  private async heartbeat(): Promise<void> {
    const nonce = this.nonce;
    const info = this.info;
    if (!this.held || this.releasing || nonce === undefined || info === undefined) return;
    try {
      let current = await readSnapshot(this.lockPath);
      if (this.releasing) return;
      if (current === null) {
        // A contender may have the file aside for a moment while it checks it; look again.
        await sleep(MISSING_RECHECK_MS);
        if (this.releasing) return;
        current = await readSnapshot(this.lockPath);
        if (this.releasing) return;
      }
      if (current === null || current.info?.nonce !== nonce) {
        this.fencedOut();
        return;
      }
      const next: LockInfo = { ...info, acquiredAt: new Date(this.now()).toISOString() };
      await atomicWriteFile(this.lockPath, JSON.stringify(next, null, 2), { durable: false, mkdirs: false });
      if (this.nonce === nonce) this.info = next;
    } catch {
      // Swallowed: if we cannot extend, the lock simply expires through its TTL.
    }
  }

  /** Someone else owns the file now: stop claiming it (self-revocation). */
  private fencedOut(): void {
    this.held = false;
    this.stopHeartbeatTimer();
  }

  async release(): Promise<void> {
    // Order matters: flag first, so an in-flight heartbeat cannot re-create the file after we
    // delete it; then stop the timer and let any running beat finish.
    this.releasing = true;
    this.stopHeartbeatTimer();
    const inFlight = this.heartbeatInFlight;
    if (inFlight) await inFlight.catch(() => {});

    const nonce = this.nonce;
    this.held = false;
    this.nonce = undefined;
    this.info = undefined;
    // No acquisition to undo. When we were fenced out (not held, nonce kept) we still look:
    // if the file carries our nonce after all (e.g. put back by a contender), it is ours to delete.
    if (nonce === undefined) return;
    try {
      const current = await readSnapshot(this.lockPath);
      // Only ever delete our own lock: a successor's file stays untouched.
      if (current === null || current.info?.nonce !== nonce) return;
      await this.takeAndDelete((taken) => taken.info?.nonce === nonce);
    } catch {
      // Best effort: a lock we could not delete expires through its TTL.
    }
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return runWithLock(this, fn);
  }

  async inspect(): Promise<LockInfo | null> {
    try {
      const snapshot = await readSnapshot(this.lockPath);
      if (!snapshot?.info) return null;
      return { ...snapshot.info, modifiedAt: new Date(snapshot.mtimeMs).toISOString() };
    } catch {
      return null;
    }
  }

  async forceRelease(expectedNonce: string): Promise<boolean> {
    // `undefined` (from JS callers) matches a legacy body that has no nonce.
    const expected = expectedNonce as string | undefined;
    let current: LockSnapshot | null;
    try {
      current = await readSnapshot(this.lockPath);
    } catch {
      return false;
    }
    if (current === null || current.info === null || current.info.nonce !== expected) return false;
    const judged = current;
    const outcome = await this.takeAndDelete((taken) => sameLockVersion(judged, taken));
    if (outcome === "deleted" && expected !== undefined && expected === this.nonce) {
      // We force-released our own lock: stop heartbeating it.
      this.fencedOut();
    }
    return outcome === "deleted";
  }
}

/** Same lock document: equal nonce and acquiredAt, or identical bytes for unparseable bodies. */
function sameLockVersion(judged: LockSnapshot, taken: LockSnapshot): boolean {
  if (judged.info === null || taken.info === null) {
    return judged.info === null && taken.info === null && judged.raw === taken.raw && judged.mtimeMs === taken.mtimeMs;
  }
  return judged.info.nonce === taken.info.nonce && judged.info.acquiredAt === taken.info.acquiredAt;
}
