/**
 * The JSON view of one run (`workflow history get`, and the document `workflow run --json`
 * prints): jobs and steps with durations in milliseconds, the data each step recorded, and the
 * record's path relative to the repo.
 */
import type { RunArtifact, RunRecord, RunStatus, UnitStatus } from "./types.js";
import { durationMs } from "./runs.js";

export interface StepView {
  name: string;
  status: UnitStatus;
  duration?: number;
  dataArtifacts: RunArtifact[];
  error?: string;
  allowedFailure?: boolean;
  /** Why a skipped step did not run: `dependency` or `guarded`. */
  skipReason?: "dependency" | "guarded";
}

export interface RunView {
  id: string;
  workflowId: string;
  workflowName: string;
  inputs: Record<string, unknown>;
  status: RunStatus;
  startedAt?: string;
  completedAt?: string;
  jobs: Array<{ name: string; status: UnitStatus; duration?: number; steps: StepView[] }>;
  duration?: number;
  tags?: Record<string, string>;
  failedStep?: string;
  failureReason?: string;
  path: string;
  workflowDataArtifacts?: RunArtifact[];
  initiatedBy?: string;
}

export function runView(run: RunRecord, path: string): RunView {
  const view: RunView = {
    id: run.id,
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    inputs: run.inputs,
    status: run.status,
    jobs: run.jobs.map((job) => {
      const j: RunView["jobs"][number] = { name: job.jobName, status: job.status, steps: [] };
      const jd = durationMs(job.startedAt, job.completedAt);
      if (jd !== undefined) j.duration = jd;
      j.steps = job.steps.map((step) => {
        const s: StepView = { name: step.stepName, status: step.status, dataArtifacts: step.dataArtifacts ?? [] };
        const sd = durationMs(step.startedAt, step.completedAt);
        if (sd !== undefined) s.duration = sd;
        if (step.error !== undefined) s.error = step.error;
        if (step.allowedFailure) s.allowedFailure = true;
        if (step.skipReason !== undefined) s.skipReason = step.skipReason;
        return s;
      });
      return j;
    }),
    path,
  };
  if (run.startedAt !== undefined) view.startedAt = run.startedAt;
  if (run.completedAt !== undefined) view.completedAt = run.completedAt;
  const d = durationMs(run.startedAt, run.completedAt);
  if (d !== undefined) view.duration = d;
  if (Object.keys(run.tags).length > 0) view.tags = run.tags;
  if (run.failedStep !== undefined) view.failedStep = run.failedStep;
  if (run.failureReason !== undefined) view.failureReason = run.failureReason;
  if (run.workflowDataArtifacts && run.workflowDataArtifacts.length > 0) view.workflowDataArtifacts = run.workflowDataArtifacts;
  if (run.initiatedBy !== undefined) view.initiatedBy = run.initiatedBy;
  return view;
}
