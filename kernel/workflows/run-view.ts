/**
 * The run view (workflows.md §4.6): what `workflow run --json` prints for a run. Durations are
 * milliseconds; `path` is the record's path relative to the repo.
 */
import { relative, isAbsolute } from "node:path";
import type { RunArtifact, RunRecord } from "./types.js";

export interface RunViewStep {
  name: string;
  status: string;
  duration?: number;
  dataArtifacts: RunArtifact[];
  error?: string;
  allowedFailure?: true;
  skipReason?: string;
  forEachTemplate?: string;
}

export interface RunViewDoc {
  id: string;
  workflowId: string;
  workflowName: string;
  inputs: Record<string, unknown>;
  status: string;
  startedAt?: string;
  completedAt?: string;
  jobs: Array<{ name: string; status: string; duration?: number; steps: RunViewStep[] }>;
  duration?: number;
  path: string;
  tags: Record<string, string>;
  initiatedBy?: string;
  failedStep?: string;
  failureReason?: string;
  stepProgress?: { completed: number; total: number };
}

function duration(start?: string, end?: string): number | undefined {
  if (!start || !end) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function runView(run: RunRecord, recordPath: string, repoDir: string): RunViewDoc {
  const rel = relative(repoDir, recordPath);
  const view: RunViewDoc = {
    id: run.id,
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    inputs: run.inputs,
    status: run.status,
    ...(run.startedAt ? { startedAt: run.startedAt } : {}),
    ...(run.completedAt ? { completedAt: run.completedAt } : {}),
    jobs: run.jobs.map((job) => ({
      name: job.jobName,
      status: job.status,
      ...optional("duration", duration(job.startedAt, job.completedAt)),
      steps: job.steps.map((step) => ({
        name: step.stepName,
        status: step.status,
        ...optional("duration", duration(step.startedAt, step.completedAt)),
        dataArtifacts: step.dataArtifacts ?? [],
        ...optional("error", step.error),
        ...(step.allowedFailure ? { allowedFailure: true as const } : {}),
        ...optional("skipReason", step.skipReason),
        ...optional("forEachTemplate", step.forEachTemplate),
      })),
    })),
    ...optional("duration", duration(run.startedAt, run.completedAt)),
    path: rel.startsWith("..") || isAbsolute(rel) ? recordPath : rel,
    tags: run.tags,
    ...optional("initiatedBy", run.initiatedBy),
    ...optional("failedStep", run.failedStep),
    ...optional("failureReason", run.failureReason),
    ...optional("stepProgress", run.stepProgress),
  };
  return view;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
