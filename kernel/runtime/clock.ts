/**
 * Milliseconds on a monotonic clock, for durations and deadlines. `process.hrtime` rather than
 * `performance.now()`: the first use of `performance` loads perf_hooks (a dozen modules), a
 * cost every command that times something would pay at start-up.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
