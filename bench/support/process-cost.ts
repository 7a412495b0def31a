/**
 * What a whole process costs: wall time, CPU (user + system) and peak memory. Node cannot read
 * a child's resource usage, so a shell runs the process: `/usr/bin/time` reports wall time and
 * peak memory, and bash's `times` the CPU of the shell's children in milliseconds.
 * `/usr/bin/time` truncates CPU to 10 ms steps, which for ~100 ms processes biased ratios
 * upwards by several percent; it is the fallback where there is no bash. The CPU figure
 * includes `/usr/bin/time`'s own, about 1 ms. Helpers for interleaved rounds, medians, and the
 * `BENCH-ROW <json>` line that scripts/bench.mjs gathers into its summary.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TIME_BIN = "/usr/bin/time";
const BASH = "/bin/bash";

export interface Cost {
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
}

/** CPU in ms from the children line of `times` ("0m0.084s 0m0.018s"), or undefined. */
function childrenCpuMs(timesOutput: string): number | undefined {
  const children = timesOutput.trim().split("\n")[1] ?? "";
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  return parts.length === 2 ? parts[0]! + parts[1]! : undefined;
}

/** Runs `file args` (output to `stdoutPath` or discarded) and reports its cost; throws on a non-zero exit. */
export function measure(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdoutPath?: string } = {}): Promise<Cost> {
  if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} is needed to measure a process`);
  const redirect = options.stdoutPath ? ` > '${options.stdoutPath}'` : " > /dev/null";
  const tmp = mkdtempSync(join(tmpdir(), "swamp-bench-time-"));
  const reportPath = join(tmp, "time");
  const timesPath = join(tmp, "times");
  const bash = existsSync(BASH);
  // The shell does the redirect so the measured process writes to the file itself.
  const script = `${TIME_BIN} -f '%e %U %S %M' -o '${reportPath}' "$@"${redirect}; s=$?; ${bash ? `times > '${timesPath}'; ` : ""}exit $s`;
  return new Promise((resolve, reject) => {
    const child = spawn(bash ? BASH : "sh", ["-c", script, "sh", file, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let errText = "";
    child.stderr!.on("data", (c: Buffer) => (errText = (errText + c.toString()).slice(-2000)));
    child.on("error", reject);
    child.on("close", (code) => {
      const read = (path: string) => {
        try {
          return readFileSync(path, "utf8");
        } catch {
          return ""; // no report: the failure below says why
        }
      };
      const report = read(reportPath);
      const precise = bash ? childrenCpuMs(read(timesPath)) : undefined;
      rmSync(tmp, { recursive: true, force: true });
      const line = report.trim().split("\n").pop() ?? "";
      if (code !== 0 || /Command exited/.test(report)) return reject(new Error(`${file} ${args.join(" ")} failed (${code}): ${report}${errText}`));
      const [wall, user, sys, rss] = line.split(" ").map(Number);
      resolve({ wallMs: wall! * 1000, cpuMs: precise ?? (user! + sys!) * 1000, maxRssKb: rss! });
    });
  });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The mean of the middle 60% of `xs`: steadier than a median, and still deaf to the outliers of a shared machine. */
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

/**
 * Printed before start-up ratios: with NODE_EXTRA_CA_CERTS set, every Node process (the
 * `node -e 0` baseline too) parses that file at start, a fixed cost that lowers the ratios.
 */
export function startupEnvironmentNote(): void {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca) console.log(`NODE_EXTRA_CA_CERTS=${ca}: every Node process here, node -e 0 included, loads it at start (run with NODE_EXTRA_CA_CERTS= to compare without)`);
}
