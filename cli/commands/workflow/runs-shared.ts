/**
 * Helpers shared by the commands that read workflow runs (not a command itself): opening the
 * run store, resolving `<runId|prefix|workflow>` arguments, filters and text layout.
 */
import { relative } from "node:path";
import { ErrorCode, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";
import { RunStore, type RunRef } from "../../../kernel/workflows/runs.js";
import type { RunRecord, RunSummary } from "../../../kernel/workflows/types.js";
import type { SwampCommand } from "../../base.js";
import { formatAge } from "../../output.js";
import { paintStatus } from "../../colour.js";
import { table } from "../../table.js";

export async function openRuns(cmd: SwampCommand): Promise<{ kernel: Kernel; store: RunStore }> {
  const kernel = await cmd.kernel();
  const store = new RunStore(kernel, { onWarning: (message) => cmd.context.stderr.write(`warning: ${message}\n`) });
  return { kernel, store };
}

/** Workflow ids recorded under this name or id; a workflow without runs is not found. */
export async function requireWorkflowRuns(store: RunStore, wf: string): Promise<string[]> {
  const ids = await store.resolveWorkflow(wf);
  if (ids.length === 0) {
    throw new SwampError(ErrorCode.workflowRunNotFound, `Workflow run not found: no runs for workflow: ${wf}`, { details: { workflow: wf } });
  }
  return ids;
}

/** The newest run among several workflow ids (a name reused by a re-created workflow). */
export async function latestOf(store: RunStore, workflowIds: readonly string[]): Promise<RunRecord | null> {
  let best: RunRecord | null = null;
  for (const id of workflowIds) {
    const run = await store.latest(id);
    if (run && (best === null || (Date.parse(run.startedAt ?? "") || 0) > (Date.parse(best.startedAt ?? "") || 0))) best = run;
  }
  return best;
}

/**
 * `<runId|prefix|workflow>`: a run by full id or unique prefix (ambiguous prefixes are an
 * error), else the latest run of the workflow of that name or id.
 */
export async function resolveRunArg(store: RunStore, ref: string, notFound: (ref: string) => SwampError): Promise<RunRecord> {
  const found: RunRef | null = await store.find(ref);
  if (found) {
    const run = await store.get(found.workflowId, found.runId);
    if (run) return run;
  }
  const ids = await store.resolveWorkflow(ref);
  if (ids.length === 0) throw notFound(ref);
  const run = await latestOf(store, ids);
  if (!run) throw new SwampError(ErrorCode.workflowRunNotFound, `Workflow run not found: no runs for workflow: ${ref}`, { details: { workflow: ref } });
  return run;
}

export function displayPath(kernel: Kernel, abs: string): string {
  return relative(kernel.repoDir, abs) || ".";
}

/** `K=V` flags (repeatable) into pairs; the value may contain `=`. */
export function parsePairs(values: readonly string[], flag: string): Array<[string, string]> {
  return values.map((text) => {
    const at = text.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got "${text}"`);
    return [text.slice(0, at), text.slice(at + 1)];
  });
}

/** An input value as a string for comparisons (`--input K=V`, queries). */
export function inputText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value);
}

export function matchesInputs(summary: RunSummary, pairs: ReadonlyArray<[string, string]>): boolean {
  return pairs.every(([k, v]) => k in summary.inputs && inputText(summary.inputs[k]) === v);
}

/** One listing item: the summary with empty optional maps left out. */
export function summaryJson(s: RunSummary): Record<string, unknown> {
  const { tags, inputs, ...rest } = s;
  const out: Record<string, unknown> = { ...rest };
  if (Object.keys(tags).length > 0) out.tags = tags;
  if (Object.keys(inputs).length > 0) out.inputs = inputs;
  return out;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function summaryTable(results: readonly RunSummary[]): string {
  const rows = results.map((r) => [r.runId, r.workflowName, paintStatus(process.stdout, r.status), r.startedAt ? formatAge(r.startedAt) : "-", formatDuration(r.duration)]);
  return table(rows, { header: ["RUN ID", "WORKFLOW", "STATUS", "STARTED", "DURATION"] });
}
