/**
 * `swamp run gc`: deletes finished workflow runs (record + log) and method output records
 * (record + log) older than a cutoff. A run counts as old when both its `completedAt` (else
 * `startedAt`) and its record file's mtime are before the cutoff; running, pending and
 * suspended runs are never deleted (orphaned ones were repaired to `failed` by the listing, so
 * they age out too). Data is not touched: `data gc` expires `workflow`/`job` lifetime data once
 * its run record is gone. A dry run and a real run share one plan.
 */
import { readdir, rmdir, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { OutputRepository } from "../models/outputs.js";
import { isTerminal, type RunStore } from "./runs.js";

export const DEFAULT_RUN_RETENTION = "30d";

export interface RunGcPlan {
  runs: Array<{ workflowId: string; runId: string; bytes: number }>;
  outputs: Array<{ path: string; bytes: number }>;
}

export interface RunGcResult {
  workflowRunsDeleted: number;
  workflowRunBytesReclaimed: number;
  outputsDeleted: number;
  outputBytesReclaimed: number;
  totalBytesReclaimed: number;
  dryRun: boolean;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.size ?? 0;
}

async function mtimeOf(path: string): Promise<number | null> {
  return (await stat(path).catch(() => null))?.mtimeMs ?? null;
}

function before(iso: string | undefined, cutoff: number): boolean {
  if (iso === undefined) return false;
  const t = Date.parse(iso);
  return Number.isFinite(t) && t < cutoff;
}

export async function planRunGc(store: RunStore, outputs: OutputRepository, cutoffMs: number): Promise<RunGcPlan> {
  const plan: RunGcPlan = { runs: [], outputs: [] };
  for (const run of await store.listAll()) {
    if (!isTerminal(run.status) || !before(run.completedAt ?? run.startedAt, cutoffMs)) continue;
    const record = store.recordPath(run.workflowId, run.runId);
    const mtime = await mtimeOf(record);
    if (mtime === null || mtime >= cutoffMs) continue;
    const bytes = (await sizeOf(record)) + (await sizeOf(store.logPath(run.workflowId, run.runId)));
    plan.runs.push({ workflowId: run.workflowId, runId: run.runId, bytes });
  }
  for (const out of await outputs.list()) {
    if (!isTerminal(out.status) || !before(out.completedAt ?? out.startedAt, cutoffMs)) continue;
    const mtime = await mtimeOf(out.path);
    if (mtime === null || mtime >= cutoffMs) continue;
    plan.outputs.push({ path: out.path, bytes: (await sizeOf(out.path)) + (await sizeOf(logOf(out.path))) });
  }
  return plan;
}

/** The log beside an output record (never the record's own `logFile` field: files may come from anywhere). */
function logOf(recordPath: string): string {
  return `${recordPath.replace(/\.yaml$/, "")}.log`;
}

export function runGcResultOf(plan: RunGcPlan, dryRun: boolean): RunGcResult {
  const runBytes = plan.runs.reduce((n, r) => n + r.bytes, 0);
  const outputBytes = plan.outputs.reduce((n, o) => n + o.bytes, 0);
  return {
    workflowRunsDeleted: plan.runs.length,
    workflowRunBytesReclaimed: runBytes,
    outputsDeleted: plan.outputs.length,
    outputBytesReclaimed: outputBytes,
    totalBytesReclaimed: runBytes + outputBytes,
    dryRun,
  };
}

export async function applyRunGc(
  store: RunStore,
  outputsRoot: string,
  plan: RunGcPlan,
  markDirty?: (absPath?: string) => Promise<void>,
): Promise<RunGcResult> {
  for (const run of plan.runs) await store.deleteRun(run.workflowId, run.runId);
  for (const out of plan.outputs) {
    for (const path of [out.path, logOf(out.path)]) {
      await markDirty?.(path);
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
    }
    await removeEmptyParents(dirname(out.path), outputsRoot);
  }
  return runGcResultOf(plan, false);
}

/** Removes `dir` and its parents up to (not including) `root` while they are empty. */
async function removeEmptyParents(dir: string, root: string): Promise<void> {
  let current = dir;
  while (current.startsWith(`${root}/`)) {
    const entries = await readdir(current).catch(() => null);
    if (entries === null || entries.length > 0) return;
    await rmdir(current).catch(() => {});
    current = dirname(current);
  }
}
