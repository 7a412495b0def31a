/**
 * S3Lock: a lease on one small object (`<prefix><lockKey>`), built on S3 conditional writes.
 *
 *   acquire    PutObject If-None-Match: * — succeeds only when nobody holds the lock
 *              (412/409 means held). The response's ETag is our fencing handle.
 *   heartbeat  every ttl/3, PutObject If-Match: <our ETag> with a fresh body — a true
 *              compare-and-swap: a mismatch means someone took the lock over (or broke it),
 *              so we stop and mark the lock lost instead of overwriting the new holder.
 *   stale      the shared rule (`isLockStale`): the object's age on the server's clock (the
 *              response Date minus LastModified) is its modification time on ours, and a body
 *              we cannot parse counts with the default TTL, so a corrupt lock cannot block
 *              forever.
 *   takeover   DeleteObject If-Match: <the ETag we judged stale>: if the holder heartbeated in
 *              between, the delete fails and nothing is lost. Servers that do not honour
 *              If-Match on DELETE (detected once per provider by a probe) get a re-read and
 *              compare before an unconditional delete. Then a random 200-500 ms pause, so
 *              competing stealers spread out and a live holder's heartbeat wins.
 *   release    delete only while the object is still ours (If-Match on our ETag; or nonce
 *              and ETag re-checked). Sets `releasing` first and waits for an in-flight
 *              heartbeat, so a heartbeat can never recreate a released lock.
 *   waiting    the shared retry loop (kernel/contract/retry.ts): exponential backoff with
 *              jitter, clamped to the deadline and to the moment the current lease would
 *              expire; one attempt may start once the wait is spent, then LockTimeoutError
 *              (exit 75) naming the holder.
 */
import { randomUUID } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { LockTimeoutError, SwampError } from "../../kernel/contract/errors.js";
import type { DistributedLock, LockInfo, LockOptions } from "../../kernel/contract/ports/datastore.js";
import { lockUserName, lockWaitMs } from "../../kernel/runtime/locks.js";
import { PreconditionFailedError, type S3Transport } from "./client.js";
import { DEFAULT_LOCK_TTL_MS, isLockStale, runWithLock } from "../../kernel/contract/lock-keys.js";
import { retry, TryAgain } from "../../kernel/contract/retry.js";
import { holderGoneOn } from "../../kernel/runtime/locks.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export { DEFAULT_LOCK_TTL_MS };
export const DEFAULT_LOCK_KEY = ".datastore.lock";
export const DEFAULT_RETRY_INTERVAL_MS = 250;
export const MAX_BACKOFF_MS = 4_000;
const FORCE_RELEASE_ATTEMPTS = 5;

export interface S3LockOptions extends LockOptions {
  /** Called once per acquire() when the lock is found held by someone else. */
  onWait?: (event: { lockKey: string; holder: LockInfo | null }) => void;
  /** Reports non-fatal problems (release failures, lost heartbeats). */
  onWarning?: (message: string) => void;
}

interface Observed {
  info: LockInfo | null;
  etag: string;
  /** Age of the object on the server's clock (ms). */
  ageMs: number;
  /** When it was last written, on our clock: now minus its age. */
  modifiedAtMs: number;
}

/** Validates a lock key: relative, forward slashes, no `.`/`..` segments. */
export function checkLockKey(lockKey: string): string {
  if (lockKey === "" || lockKey.startsWith("/") || lockKey.includes("\\") || lockKey.includes("\0")) {
    throw new SwampError("path_traversal", `Invalid lock key "${lockKey}"`);
  }
  if (lockKey.split("/").some((s) => s === ".." || s === "." || s === "")) throw new SwampError("path_traversal", `Invalid lock key "${lockKey}"`);
  return lockKey;
}

export function parseLockBody(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v !== "object" || v === null) return null;
    if (typeof v.holder !== "string" || typeof v.pid !== "number" || typeof v.acquiredAt !== "string" || typeof v.ttlMs !== "number") return null;
    const info: LockInfo = { holder: v.holder, hostname: typeof v.hostname === "string" ? v.hostname : "", pid: v.pid, acquiredAt: v.acquiredAt, ttlMs: v.ttlMs };
    if (typeof v.nonce === "string") info.nonce = v.nonce;
    return info;
  } catch {
    return null;
  }
}

function holderName(): string {
  return `${lockUserName()}@${osHostname()}`;
}

export class S3Lock implements DistributedLock {
  readonly lockKey: string;
  private readonly objectKey: string;
  private readonly ttlMs: number;
  private readonly retryIntervalMs: number;
  private readonly maxWaitMs: number;
  private readonly onWait: S3LockOptions["onWait"];
  private readonly onWarning: S3LockOptions["onWarning"];

  private held = false;
  private lost = false;
  private releasing = false;
  private nonce: string | undefined;
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly transport: S3Transport,
    options: S3LockOptions = {},
  ) {
    this.lockKey = checkLockKey(options.lockKey ?? DEFAULT_LOCK_KEY);
    this.objectKey = transport.key(this.lockKey);
    this.ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    this.retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.maxWaitMs = options.maxWaitMs ?? lockWaitMs(process.env);
    this.onWait = options.onWait;
    this.onWarning = options.onWarning;
  }

  /** True once a heartbeat found the lock taken over or broken while we held it. */
  isLost(): boolean {
    return this.lost;
  }

  private body(nonce: string): Buffer {
    const info: LockInfo = {
      holder: holderName(),
      hostname: osHostname(),
      pid: process.pid,
      acquiredAt: new Date().toISOString(),
      ttlMs: this.ttlMs,
      nonce,
    };
    return Buffer.from(JSON.stringify(info, null, 2));
  }

  private async observe(): Promise<Observed | null> {
    const got = await this.transport.get(this.objectKey);
    if (got === null || got === "not-modified") return null;
    const now = got.serverDate?.getTime() ?? Date.now();
    const modified = got.lastModified?.getTime() ?? now;
    const ageMs = Math.max(0, now - modified);
    return { info: parseLockBody(got.body.toString("utf8")), etag: got.etag, ageMs, modifiedAtMs: Date.now() - ageMs };
  }

  async acquire(): Promise<void> {
    if (this.held) throw new SwampError("lock_already_held", `Lock "${this.lockKey}" is already held by this instance`);
    const started = monotonicMs();
    let waited = false;
    let last: Observed | null = null;
    // The retry loop bounds every path (stale takeover, a lock that vanished) by the deadline.
    await retry(
      async () => {
        const nonce = randomUUID();
        try {
          const { etag } = await this.transport.put(this.objectKey, this.body(nonce), { ifNoneMatch: "*", contentType: "application/json" });
          this.nonce = nonce;
          this.etag = etag;
          this.held = true;
          this.lost = false;
          this.releasing = false;
          this.startHeartbeat();
          return;
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
        }

        last = await this.observe();
        // Released between our put and our read: try again almost at once.
        if (last === null) throw new TryAgain(undefined, { delayMs: 10 + Math.random() * 40 });
        const ttl = last.info && last.info.ttlMs > 0 ? last.info.ttlMs : DEFAULT_LOCK_TTL_MS;
        if (isLockStale(last.info, { modifiedAt: last.modifiedAtMs, fallbackTtlMs: DEFAULT_LOCK_TTL_MS, holderGone: holderGoneOn(osHostname()) })) {
          await this.takeOver(last);
          throw new TryAgain(undefined, { delayMs: 200 + Math.random() * 300 });
        }
        if (!waited) {
          waited = true;
          this.onWait?.({ lockKey: this.lockKey, holder: last.info });
        }
        // Never sleep much past the moment the holder's lock turns stale.
        throw new TryAgain(undefined, { atMostMs: Math.max(50, ttl - last.ageMs + 250) });
      },
      {
        baseMs: this.retryIntervalMs,
        maxMs: MAX_BACKOFF_MS,
        remainingMs: () => this.maxWaitMs - (monotonicMs() - started),
        giveUp: async () => {
          const holder = (last as Observed | null)?.info ?? (await this.inspect().catch(() => null));
          return new LockTimeoutError(this.lockKey, holder ? { holder: holder.holder, pid: holder.pid, hostname: holder.hostname } : null, monotonicMs() - started);
        },
      },
    );
  }

  /** Deletes a lock we judged stale, only if it is still exactly the object we judged. */
  private async takeOver(stale: Observed): Promise<void> {
    try {
      await this.deleteIfUnchanged(stale.etag, stale.info?.nonce, false);
    } catch (err) {
      this.onWarning?.(`Could not remove stale lock ${this.lockKey}: ${(err as Error).message}`);
    }
  }

  /**
   * Deletes the lock object when its ETag (and nonce) still match; false when it changed or
   * vanished. The DELETE always carries If-Match, so a server that honours it closes the race
   * completely; `reread` first compares a fresh read too, which keeps servers that silently
   * ignore the header safe except for the instant between that read and the delete. Servers
   * that reject the header (501/400) get the compare plus a plain delete.
   */
  private async deleteIfUnchanged(etag: string, nonce: string | undefined, reread: boolean): Promise<boolean> {
    const rejects = this.transport.capabilities.conditionalDeleteRejected;
    if (reread || rejects) {
      const now = await this.observe();
      if (now === null || now.etag !== etag || now.info?.nonce !== nonce) return false;
    }
    if (!rejects) {
      try {
        await this.transport.delete(this.objectKey, { ifMatch: etag });
        return true;
      } catch (err) {
        if (err instanceof PreconditionFailedError) return false;
        const status = (err as { details?: { status?: unknown } }).details?.status;
        if (status !== 501 && status !== 400) throw err;
        this.transport.capabilities.conditionalDeleteRejected = true;
        if (!reread) {
          const now = await this.observe();
          if (now === null || now.etag !== etag || now.info?.nonce !== nonce) return false;
        }
      }
    }
    await this.transport.delete(this.objectKey);
    return true;
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = Math.max(50, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => {
      if (this.inflight) return;
      this.inflight = this.extend().finally(() => {
        this.inflight = undefined;
      });
    }, interval);
    this.timer.unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async extend(): Promise<void> {
    if (!this.held || this.releasing || !this.nonce || !this.etag) return;
    try {
      const { etag } = await this.transport.put(this.objectKey, this.body(this.nonce), { ifMatch: this.etag, contentType: "application/json" });
      if (this.held) this.etag = etag;
    } catch (err) {
      if (err instanceof PreconditionFailedError) {
        // Someone took the lock over or broke it: we no longer hold it. Never overwrite.
        this.held = false;
        this.lost = true;
        this.stopHeartbeat();
        this.onWarning?.(`Lock ${this.lockKey} was taken over by another holder`);
        return;
      }
      // Transient: the next beat retries; the lease expires if we stay unreachable.
      this.onWarning?.(`Heartbeat for lock ${this.lockKey} failed: ${(err as Error).message}`);
    }
  }

  async release(): Promise<void> {
    this.releasing = true;
    this.stopHeartbeat();
    if (this.inflight) await this.inflight.catch(() => {});
    if (!this.held) {
      this.nonce = undefined;
      this.etag = undefined;
      return;
    }
    this.held = false;
    const etag = this.etag;
    const nonce = this.nonce;
    this.nonce = undefined;
    this.etag = undefined;
    if (!etag) return;
    try {
      const deleted = await this.deleteIfUnchanged(etag, nonce, true);
      if (!deleted) this.onWarning?.(`Lock ${this.lockKey} was taken over while held; left the new holder's lock in place`);
    } catch (err) {
      this.onWarning?.(`Could not release lock ${this.lockKey} (it expires after ${this.ttlMs}ms): ${(err as Error).message}`);
    }
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return runWithLock(this, fn);
  }

  async inspect(): Promise<LockInfo | null> {
    const seen = await this.observe();
    if (!seen?.info) return null;
    return { ...seen.info, modifiedAt: new Date(seen.modifiedAtMs).toISOString() };
  }

  /**
   * Breaks the lock while it still carries `expectedNonce`. A live holder's heartbeat rewrites
   * the object (same nonce, new ETag) and may land between our read and our conditional delete;
   * that is still the lock we were asked to break, so we judge it again, a few times at most.
   */
  async forceRelease(expectedNonce: string): Promise<boolean> {
    for (let attempt = 0; attempt < FORCE_RELEASE_ATTEMPTS; attempt++) {
      const seen = await this.observe();
      if (seen === null || seen.info?.nonce !== expectedNonce) return false;
      if (await this.deleteIfUnchanged(seen.etag, expectedNonce, true)) {
        if (this.held && this.nonce === expectedNonce) {
          // We broke our own lock: stop heartbeating it.
          this.held = false;
          this.lost = true;
          this.stopHeartbeat();
        }
        return true;
      }
    }
    return false;
  }
}

