/**
 * Deadlines and resource limits of extension calls. Every call has a bound (lesson: an
 * unbounded extension call once hung a CLI for minutes); long-running calls (a method, a
 * report, a driver run) have no fixed deadline but a liveness watchdog that stops a worker
 * stuck in a synchronous loop.
 */
export interface HostLimits {
  /** Default deadline of one call. `SWAMP_EXTENSION_CALL_TIMEOUT_MS`, default 30 s. */
  callTimeoutMs: number;
  /** Loading the bundle and validating the export. `SWAMP_EXTENSION_START_TIMEOUT_MS`, 30 s. */
  startTimeoutMs: number;
  /** A worker that answers no ping for this long is stopped. `SWAMP_EXTENSION_UNRESPONSIVE_MS`, 30 s. */
  unresponsiveMs: number;
  /** pull/push/preview/hydrate of a sync service. `SWAMP_DATASTORE_SYNC_TIMEOUT_MS`, 300 s. */
  syncTimeoutMs: number;
  /** Added to a lock's maxWaitMs for acquire(). */
  lockMarginMs: number;
  /** After a cancellation, how long the extension has to stop before its worker is stopped. */
  cancelGraceMs: number;
  /** Heap limit of a worker / sandbox process. `SWAMP_EXTENSION_MAX_MEMORY_MB`, 256. */
  memoryMb: number;
  /** Idle workers leave the pool after this long. */
  idleTimeoutMs: number;
}

function positive(raw: string | undefined, fallback: number): number {
  if (raw && /^\d+$/.test(raw.trim())) {
    const n = Number(raw.trim());
    if (n > 0) return n;
  }
  return fallback;
}

export function hostLimits(env: Readonly<Record<string, string | undefined>>): HostLimits {
  return {
    callTimeoutMs: positive(env.SWAMP_EXTENSION_CALL_TIMEOUT_MS, 30_000),
    startTimeoutMs: positive(env.SWAMP_EXTENSION_START_TIMEOUT_MS, 30_000),
    unresponsiveMs: positive(env.SWAMP_EXTENSION_UNRESPONSIVE_MS, 30_000),
    syncTimeoutMs: positive(env.SWAMP_DATASTORE_SYNC_TIMEOUT_MS, 300_000),
    lockMarginMs: 15_000,
    cancelGraceMs: positive(env.SWAMP_EXTENSION_CANCEL_GRACE_MS, 5_000),
    memoryMb: positive(env.SWAMP_EXTENSION_MAX_MEMORY_MB, 256),
    idleTimeoutMs: 2_000,
  };
}
