/**
 * What `data get|list --workflow <wf> [--run <id|prefix|latest>]` read: one run record (found
 * through the run store, never a scan of the data) and the exact data versions it recorded.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import type { RunStore } from "./runs.js";
import type { RunArtifact, RunRecord } from "./types.js";

export interface RecordedArtifact {
  artifact: RunArtifact;
  /** Absent for workflow-scope data (reports). */
  jobName?: string;
  stepName?: string;
  /** The model the step ran, as the record names it (a fallback when the artifact has no model id). */
  stepModel?: string;
}

/** The run of a workflow (name or id) that `--run` names — full id, unique prefix or `latest` — or its latest run. */
export async function runOfWorkflow(store: RunStore, workflow: string, runArg?: string): Promise<RunRecord> {
  const ids = await store.resolveWorkflow(workflow);
  if (ids.length === 0) {
    throw new SwampError(ErrorCode.workflowRunNotFound, `Workflow run not found: No runs found for workflow: ${workflow}`, { details: { workflow } });
  }
  let best: RunRecord | null = null;
  for (const workflowId of ids) {
    const ref = await store.find(runArg ?? "latest", workflowId);
    const run = ref ? await store.get(ref.workflowId, ref.runId) : null;
    if (run && (best === null || (Date.parse(run.startedAt ?? "") || 0) > (Date.parse(best.startedAt ?? "") || 0))) best = run;
  }
  if (!best) {
    const message =
      runArg === undefined || runArg === "latest"
        ? `Workflow run not found: No runs found for workflow: ${workflow}`
        : `Workflow run not found: Run "${runArg}" not found for workflow: ${workflow}`;
    throw new SwampError(ErrorCode.workflowRunNotFound, message, { details: { workflow, ...(runArg !== undefined ? { run: runArg } : {}) } });
  }
  return best;
}

/** Every datum the run recorded, step by step, then the workflow-scope ones. */
export function recordedArtifacts(run: RunRecord): RecordedArtifact[] {
  const out: RecordedArtifact[] = [];
  for (const job of run.jobs) {
    for (const step of job.steps) {
      for (const artifact of step.dataArtifacts ?? []) {
        const item: RecordedArtifact = { artifact, jobName: job.jobName, stepName: step.stepName };
        if (step.output?.model !== undefined) item.stepModel = step.output.model;
        out.push(item);
      }
    }
  }
  for (const artifact of run.workflowDataArtifacts ?? []) out.push({ artifact });
  return out;
}
