/**
 * Benchmark rows for the `npm run bench` summary: a bench prints one `BENCH-ROW <json>` line per
 * figure (its own lines stay as they are); scripts/bench.mjs gathers them into one table.
 */
export interface BenchRow {
  /** What was measured, e.g. "data gc -f, 50k of 100k versions". */
  row: string;
  /** The baseline, measured in the same run. */
  baseline: string;
  /** Ours / baseline (lower is better). */
  ratio: number;
  /** The goal as a ratio ceiling. */
  goal: number;
  /** How the figure was taken (wall, cpu, peak RSS) and its medians. */
  detail?: string;
}

export const ROW_PREFIX = "BENCH-ROW ";

export function benchRow(row: BenchRow): void {
  console.log(`${ROW_PREFIX}${JSON.stringify({ ...row, ratio: Number(row.ratio.toFixed(2)) })}`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
