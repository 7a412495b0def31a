/**
 * CPU time and peak memory of a whole child process (`node <args>`), taken inside the child by
 * a preloaded probe (cost-probe.ts), so the figure covers start-up, imports and exit.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const probe = fileURLToPath(new URL("./cost-probe.js", import.meta.url));

export interface ProcessCost {
  cpuMs: number;
  maxRssKb: number;
  wallMs: number;
}

export interface CostOptions {
  cwd?: string;
  /** Where the child's stdout goes (default: discarded). */
  stdoutFile?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs `node <args>` once with the probe; throws when it exits non-zero. */
export function processCost(args: string[], options: CostOptions = {}): ProcessCost {
  const dir = mkdtempSync(join(tmpdir(), "swamp-cost-"));
  const file = join(dir, "cost.jsonl");
  try {
    const start = performance.now();
    const r = spawnSync(process.execPath, ["--import", probe, ...args], {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), SWAMP_BENCH_COST: file },
      stdio: ["ignore", options.stdoutFile ?? "ignore", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    const wallMs = performance.now() - start;
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
    const line = readFileSync(file, "utf8").trim().split("\n").pop() as string;
    return { ...(JSON.parse(line) as { cpuMs: number; maxRssKb: number }), wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
