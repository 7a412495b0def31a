/**
 * What a whole process costs: wall time, CPU (user + system) and peak memory, read from
 * `/usr/bin/time` (Node cannot read a child's resource usage). Helpers for interleaved rounds,
 * medians, and the `BENCH-ROW <json>` line that scripts/bench.mjs gathers into its summary.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TIME_BIN = "/usr/bin/time";

export interface Cost {
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
}

/** Runs `file args` (output to `stdoutPath` or discarded) and reports its cost; throws on a non-zero exit. */
export function measure(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdoutPath?: string } = {}): Promise<Cost> {
  if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} is needed to measure a process`);
  const redirect = options.stdoutPath ? ` > '${options.stdoutPath}'` : " > /dev/null";
  const tmp = mkdtempSync(join(tmpdir(), "swamp-bench-time-"));
  const reportPath = join(tmp, "time");
  // sh does the redirect so the measured process writes to the file itself.
  const script = `exec ${TIME_BIN} -f '%e %U %S %M' -o '${reportPath}' "$@"${redirect}`;
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", script, "sh", file, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let errText = "";
    child.stderr!.on("data", (c: Buffer) => (errText = (errText + c.toString()).slice(-2000)));
    child.on("error", reject);
    child.on("close", (code) => {
      let report = "";
      try {
        report = readFileSync(reportPath, "utf8");
      } catch {
        // no report: the failure below says why
      }
      rmSync(tmp, { recursive: true, force: true });
      const line = report.trim().split("\n").pop() ?? "";
      if (code !== 0 || /Command exited/.test(report)) return reject(new Error(`${file} ${args.join(" ")} failed (${code}): ${report}${errText}`));
      const [wall, user, sys, rss] = line.split(" ").map(Number);
      resolve({ wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, maxRssKb: rss! });
    });
  });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The mean of the middle 60% of `xs`. `/usr/bin/time` reports CPU in 10 ms steps, so a median
 * of ~100 ms processes jumps a whole step (10%) between runs; averaging the middle samples
 * resolves below a step and still ignores the outliers of a shared machine.
 */
export function trimmedMean(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * 0.2);
  const middle = sorted.slice(cut, sorted.length - cut);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}

/** One summary row for scripts/bench.mjs (and a readable line for people). */
export function benchRow(row: string, baseline: string, ours: string, ratio: number, goal: string): void {
  console.log(`${row}: ${ours} / ${baseline} = ${ratio.toFixed(2)}x (goal ${goal})`);
  console.log(`BENCH-ROW ${JSON.stringify({ row, baseline, ours, ratio: Number(ratio.toFixed(2)), goal })}`);
}

/** The swamp binary to measure: SWAMP_BENCH_BIN (e.g. an older build) or this build's. */
export function benchBin(fallback: string): string {
  return process.env.SWAMP_BENCH_BIN || fallback;
}
