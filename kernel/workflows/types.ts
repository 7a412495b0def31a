/**
 * The shapes every part of the workflow feature shares: the parsed workflow file, the run
 * record, and what a model-method step hands to the method runner. The file's zod schema
 * (schema.ts) produces `Workflow`; the run store (runs.ts) persists `RunRecord`; the executor
 * (execute.ts) turns one into the other.
 */

/** A `dependsOn` trigger condition, evaluated against the referenced unit's status. */
export type Condition =
  | { type: "always" | "succeeded" | "failed" | "completed" | "skipped" }
  | { type: "and" | "or"; conditions: Condition[] }
  | { type: "not"; condition: Condition };

export interface JobDependency {
  job: string;
  condition: Condition;
}

export interface StepDependency {
  step: string;
  condition: Condition;
}

/** `inputs` / `globalArgs` of a task: a map (values may hold expressions) or one whole-field `${{ … }}`. */
export type TaskArguments = Record<string, unknown> | string;

/** Call a method on an existing definition (by name or id). */
export interface DefinitionMethodTask {
  type: "model_method";
  modelIdOrName: string;
  methodName: string;
  inputs?: TaskArguments;
}

/** Direct type execution: the definition `modelName` of `modelType` is created when absent. */
export interface DirectMethodTask {
  type: "model_method";
  modelType: string;
  modelName: string;
  methodName: string;
  inputs?: TaskArguments;
  globalArgs?: TaskArguments;
}

/**
 * Task kinds of the reference that are parsed (so files shared with swamp load) but not run
 * yet: nested `workflow`, `manual_approval`, `assert`. A step holding one fails with
 * `unsupported_task`, and `workflow validate` reports it.
 */
export interface AdvancedTask {
  type: "workflow" | "manual_approval" | "assert";
  [key: string]: unknown;
}

export type StepTask = DefinitionMethodTask | DirectMethodTask | AdvancedTask;

export interface DataOutputOverride {
  specName: string;
  lifetime?: string;
  garbageCollection?: number | string;
  tags?: Record<string, string>;
  /** Input keys whose values are appended to every instance name written under the spec. */
  vary?: string[];
  vaultName?: string;
}

export interface ForEach {
  /** Variable name: the item is `self.<item>`. */
  item: string;
  /** A `${{ … }}` expression evaluating to an array or an object. */
  in: string;
}

export interface Step {
  name: string;
  description?: string;
  task: StepTask;
  dependsOn: StepDependency[];
  forEach?: ForEach;
  guard?: string;
  allowFailure: boolean;
  concurrency?: number;
  weight: number;
  dataOutputOverrides?: DataOutputOverride[];
  /** Placement keys (`target`, `labels`, `platform`, `queueTimeout`) are kept, not acted on. */
  [placement: string]: unknown;
}

export interface Job {
  name: string;
  description?: string;
  steps: Step[];
  dependsOn: JobDependency[];
  weight: number;
  concurrency?: number;
  [placement: string]: unknown;
}

/** The workflow inputs schema (JSON Schema object; `properties`, `required`, `additionalProperties`). */
export interface WorkflowInputsSchema {
  type?: string;
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: unknown;
  [key: string]: unknown;
}

export interface Workflow {
  id: string;
  name: string;
  description?: string;
  version: number;
  tags: Record<string, string>;
  inputs?: WorkflowInputsSchema;
  jobs: Job[];
  concurrency?: number;
  /** Kept for files shared with swamp; only `swamp serve` acts on triggers. */
  trigger?: Record<string, unknown>;
  reports?: { require?: string[]; skip?: string[] };
  [placement: string]: unknown;
}

/** A workflow as found on disk. */
export interface StoredWorkflow {
  workflow: Workflow;
  /** Absolute path of its file. */
  path: string;
  /** Set for an extension workflow (read-only); absent for the repo's own. */
  origin?: WorkflowOrigin;
}

/** Where an extension workflow comes from: a pulled extension, or a source mount (`extension source add`). */
export type WorkflowOrigin = { type: "pulled"; extension: string } | { type: "source"; source: string };

/** A directory of extension workflows, scanned after the repo's own `workflows/`. */
export interface ExtensionWorkflowDir {
  dir: string;
  origin: WorkflowOrigin;
}

/** `pulled extension @acme/tools`, `extension source ../shared`. */
export function originText(origin: WorkflowOrigin): string {
  return origin.type === "pulled" ? `pulled extension ${origin.extension}` : `extension source ${origin.source}`;
}

// ---------------------------------------------------------------------------------------------
// Run records (`.swamp/workflow-runs/<workflowId>/workflow-run-<runId>.yaml`)

export type RunStatus = "pending" | "running" | "suspended" | "succeeded" | "failed" | "cancelled";
export type UnitStatus = "pending" | "running" | "waiting_approval" | "succeeded" | "failed" | "skipped";
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];

/**
 * A datum a step wrote, exact enough to find that very version again (the reference records
 * only `dataId`, `name`, `version`, `tags`; model type and id are ours, so `data get --run`
 * never resolves to another model's datum of the same name).
 */
export interface RunArtifact {
  dataId: string;
  name: string;
  version: number;
  tags: Record<string, string>;
  modelType: string;
  modelId: string;
}

export interface StepRun {
  /** The (expanded) step name. */
  stepName: string;
  status: UnitStatus;
  /** ISO timestamps, always written as quoted strings. */
  startedAt?: string;
  completedAt?: string;
  error?: string;
  /** Only when true. */
  allowedFailure?: boolean;
  /** Why a step was skipped: `dependency` (a condition did not hold) or `guarded`. */
  skipReason?: "dependency" | "guarded";
  /** The forEach template this step was expanded from, and the item's index or key. */
  forEachTemplate?: string;
  forEachIndex?: number | string;
  /** A small summary, never the data itself. */
  output?: { type: "model_method"; model: string; modelId: string; modelType: string; method: string; outputId?: string };
  dataArtifacts?: RunArtifact[];
}

export interface JobRun {
  jobName: string;
  status: UnitStatus;
  startedAt?: string;
  completedAt?: string;
  steps: StepRun[];
}

export interface RunRecord {
  id: string;
  workflowId: string;
  workflowName: string;
  status: RunStatus;
  startedAt?: string;
  completedAt?: string;
  jobs: JobRun[];
  /** Workflow tags, overlaid by `--tag`, plus reason tags (`cancel_reason`, `interrupt_reason`). */
  tags: Record<string, string>;
  inputs: Record<string, unknown>;
  /** Repo-relative path of the run's log. */
  logFile?: string;
  /** Liveness of a running run: the executing process, its host, and its last heartbeat. */
  pid?: number;
  host?: string;
  heartbeatAt?: string;
  initiatedBy?: string;
  triggerSource: "manual" | "schedule" | "webhook" | "api";
  failedStep?: string;
  failureReason?: string;
  stepProgress?: { completed: number; total: number };
  /** Data written at workflow scope (workflow reports), resolved like step artifacts. */
  workflowDataArtifacts?: RunArtifact[];
}

/** What listings read: one index entry, never the full record. */
export interface RunSummary {
  runId: string;
  workflowId: string;
  workflowName: string;
  status: RunStatus;
  startedAt?: string;
  completedAt?: string;
  duration?: number;
  tags: Record<string, string>;
  inputs: Record<string, unknown>;
  triggerSource?: string;
  failedStep?: string;
  failureReason?: string;
  stepProgress?: { completed: number; total: number };
}

// ---------------------------------------------------------------------------------------------
// What the executor hands the method runner for one model-method step

export interface WorkflowStepContext {
  workflowId: string;
  workflowName: string;
  workflowRunId: string;
  jobName: string;
  /** The expanded step name. */
  stepName: string;
  /** The workflow file's `tags` (runtime `--tag` tags travel separately, as for `model method run`). */
  workflowTags: Record<string, string>;
  initiatedBy?: string;
  /** The step's `dataOutputOverrides`, merged field by field over the definition's own. */
  dataOutputOverrides?: DataOutputOverride[];
  /** Workflow inputs overlaid with the step's evaluated `task.inputs`: what `vary` reads. */
  stepInputs: Record<string, unknown>;
  /** Repo-relative path of the workflow run's log; the method's lines are appended there too. */
  runLogFile?: string;
}
