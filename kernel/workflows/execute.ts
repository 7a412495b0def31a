/**
 * Running a workflow, end to end (workflows.md §2.1):
 *
 *   find the workflow → inputs (coerced, defaulted, validated) → up-front expressions (saved to
 *   workflows-evaluated/; an error here leaves no run record) → run record `running` (saved at
 *   every state change, heartbeat while it runs) → the scheduler runs jobs and steps; each
 *   model-method step goes through `runMethod` with its workflow context (per-model lock taken
 *   there, for that step only) → final status, or `cancelled` on Ctrl-C, `--timeout` or a cancel
 *   request.
 *
 * Locks: none for the workflow itself. Each step takes the lock of its model inside
 * `runMethod` and releases it when the step ends, so a step whose command runs
 * `swamp model method run` on another model never waits for its own workflow.
 *
 * Secrets: resolved at step time only, registered with the run's redactor, which every sink
 * (the run log, the record, step errors) goes through.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode, errorCode, errorMessage, SwampError } from "../contract/errors.js";
import type { VaultStore } from "../contract/ports/vault.js";
import { ExpressionContext, type DataAccess } from "../expressions/context.js";
import { hasExpression } from "../expressions/extract.js";
import type { VaultAccess } from "../expressions/evaluate.js";
import { atomicWriteFile } from "../runtime/atomic-write.js";
import type { Kernel } from "../runtime/kernel.js";
import { Redactor } from "../runtime/redact.js";
import { holdShutdown, shutdownSignal } from "../runtime/shutdown.js";
import { toYaml } from "../runtime/yaml.js";
import type { CheckFlags } from "../models/checks.js";
import { RepositoryDataAccess } from "../models/data-access.js";
import { MethodRunError, runMethod, type RunView } from "../models/execute.js";
import type { ReportFlags } from "../models/reports.js";
import { RunLog, runLogMaxBytes } from "../models/run-log.js";
import { dataRepository, definitionLookup, definitionRepository } from "../models/service.js";
import { expandForEach } from "./foreach.js";
import { evaluateAtStepTime, evaluateUpFront, isWholeExpression } from "./expressions.js";
import { resolveWorkflowInputs } from "./inputs.js";
import { isFilenameSafe } from "./schema.js";
import { workflowRepository } from "./service.js";
import { livenessStamp, RunStore, RunWriter } from "./runs.js";
import { runSchedule, Schedule, type Expansions, type Settled, type StepState, type Transition } from "./scheduler.js";
import type { DirectMethodTask, DefinitionMethodTask, JobRun, RunArtifact, RunRecord, Step, StepRun, Workflow, WorkflowStepContext } from "./types.js";

export interface WorkflowRunOptions extends CheckFlags, ReportFlags {
  /** Workflow name or id. */
  ref: string;
  /** Raw inputs (`--input` strings or typed values from a file). */
  inputs?: Record<string, unknown>;
  /** `--tag` runtime tags: on the run and on every datum it writes. */
  tags?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  vaults?: VaultStore;
  initiatedBy?: string;
  /** Progress, in order (already redacted). */
  onEvent?(event: WorkflowEvent): void;
  /** Counts after every change: steps settled of those known so far, and the steps running now. */
  onProgress?(progress: WorkflowProgress): void;
}

export interface WorkflowProgress {
  completed: number;
  /** Grows when a forEach job expands. */
  total: number;
  /** `job.step` names, in the order they started. */
  running: string[];
}

export type WorkflowEvent =
  | { type: "started"; run: RunRecord; path: string }
  | { type: "job_started" | "job_skipped"; job: string }
  | { type: "job_completed"; job: string; status: string }
  | { type: "step_started" | "step_skipped" | "step_completed"; job: string; step: StepRun }
  | { type: "step_output"; job: string; step: string; line: string; stream: "stdout" | "stderr" }
  | { type: "finished"; run: RunRecord };

export interface WorkflowRunResult {
  run: RunRecord;
  /** Absolute path of the run record. */
  path: string;
}

/** `SWAMP_MAX_CONCURRENT_STEPS` when it is a positive integer. */
export function maxConcurrentSteps(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.SWAMP_MAX_CONCURRENT_STEPS?.trim();
  if (!raw || !/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n > 0 ? n : undefined;
}

/** `workflows-evaluated/workflow-<name>.yaml` (`<id>` for names that are not filename-safe). */
export function evaluatedPath(kernel: Kernel, workflow: Workflow): string {
  return kernel.paths.resolve("workflows-evaluated", `workflow-${isFilenameSafe(workflow.name) ? workflow.name : workflow.id}.yaml`);
}

export async function saveEvaluated(kernel: Kernel, workflow: Workflow): Promise<string> {
  const path = evaluatedPath(kernel, workflow);
  await kernel.markDirty?.(path);
  await atomicWriteFile(path, toYaml(workflow), { durable: false });
  return path;
}

const isModelMethod = (task: Step["task"]): task is DefinitionMethodTask | DirectMethodTask => task.type === "model_method";
const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Workflow inputs plus everything a step's expressions may read besides `self`. */
interface RunScope {
  kernel: Kernel;
  run: RunRecord;
  inputs: Record<string, unknown>;
  data: DataAccess;
  definitions: ReturnType<typeof definitionRepository>;
}

function contextFor(scope: RunScope, self: Record<string, unknown> = {}, inputs: Record<string, unknown> = scope.inputs): ExpressionContext {
  const run = scope.run;
  return new ExpressionContext({
    self,
    inputs,
    definitions: definitionLookup(scope.definitions),
    data: scope.data,
    // Inside a run, data.findBySpec sees only what this run wrote.
    ...(run.id ? { runScope: { workflowRunId: run.id } } : {}),
    variables: {
      run: { id: run.id, workflowId: run.workflowId, workflowName: run.workflowName, startedAt: run.startedAt ?? "", tags: run.tags },
      workflowRunId: run.id,
    },
  });
}

/** `task.inputs` (or `globalArgs`) after evaluation: a map, or a clear error. */
function asRecord(value: unknown, raw: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (isRecord(value)) return value;
  if (typeof raw === "string" && hasExpression(raw)) {
    const what = Array.isArray(value) ? "an array" : typeof value;
    throw new SwampError(ErrorCode.validation, `task.${field} expression "${raw}" evaluated to ${what}, expected a record`);
  }
  throw new SwampError(ErrorCode.validation, `task.${field} must be a record, got ${Array.isArray(value) ? "an array" : `a ${typeof value}`}`);
}

export async function executeWorkflow(kernel: Kernel, options: WorkflowRunOptions): Promise<WorkflowRunResult> {
  const emit = options.onEvent ?? (() => {});
  const stored = await workflowRepository(kernel).require(options.ref);
  const inputs = await resolveWorkflowInputs(stored.workflow.inputs, options.inputs ?? {});
  const definitions = definitionRepository(kernel);
  const data = dataRepository(kernel);
  const redactor = new Redactor();
  const env = kernel.env;

  // Up front: strict, before any run record exists; the evaluated copy holds no secrets
  // (env and vault are never evaluated here).
  const upFront = contextFor({ kernel, run: placeholderRun(stored.workflow), inputs, data: new RepositoryDataAccess(data, definitions), definitions });
  const workflow = (await evaluateUpFront(stored.workflow, upFront)).value;
  await saveEvaluated(kernel, workflow);
  const schedule = new Schedule(workflow, { maxConcurrentSteps: maxConcurrentSteps(env) });

  const store = new RunStore(kernel);
  const runId = randomUUID();
  const run: RunRecord = {
    id: runId,
    workflowId: workflow.id,
    workflowName: workflow.name,
    status: "running",
    startedAt: new Date().toISOString(),
    jobs: workflow.jobs.map((job) => ({ jobName: job.name, status: "pending", steps: job.steps.map((s) => ({ stepName: s.name, status: "pending" })) })),
    tags: { ...workflow.tags, ...(options.tags ?? {}) },
    inputs,
    logFile: store.logFileField(workflow.id, runId),
    ...livenessStamp(),
    ...(options.initiatedBy ? { initiatedBy: options.initiatedBy } : {}),
    triggerSource: "manual",
  };
  const scope: RunScope = { kernel, run, inputs, data: new RepositoryDataAccess(data, definitions), definitions };
  const log = new RunLog(store.logPath(workflow.id, runId), redactor, { maxBytes: runLogMaxBytes(env) });

  // Saves are serialized, stamp liveness and heartbeat (RunWriter); the record only ever holds
  // redacted text (step errors and reasons are redacted as they are set).
  const writer = new RunWriter(store, run);
  let saveError: unknown = null;
  const save = (): Promise<unknown> => {
    progressOf(run);
    return writer.save().catch((err: unknown) => {
      saveError ??= err;
    });
  };

  // Cancellation: Ctrl-C/SIGTERM (through the shutdown signal), --timeout, a cancel request.
  const controller = new AbortController();
  let cancelReason: string | undefined;
  const cancel = (reason: string, cause?: unknown) => {
    if (controller.signal.aborted) return;
    cancelReason = reason;
    controller.abort(cause ?? new SwampError(ErrorCode.cancelled, reason));
  };
  const release = holdShutdown();
  const onShutdown = () => {
    void store.cancelReason(workflow.id, runId).then(
      (requested) => cancel(requested ?? "aborted", shutdownSignal.reason),
      () => cancel("aborted", shutdownSignal.reason),
    );
  };
  const onCaller = () => cancel("aborted", options.signal?.reason);
  const timers: NodeJS.Timeout[] = [];
  if (options.timeoutMs) timers.push(setTimeout(() => cancel(`Timed out after ${formatDuration(options.timeoutMs!)}`), options.timeoutMs));
  writer.startHeartbeat((err) => log.warn(`Could not save the run record: ${errorMessage(err)}`));
  timers.push(
    setInterval(() => {
      void writer.cancelReason().then((reason) => {
        if (reason !== null) cancel(reason);
      }, () => {});
    }, CANCEL_POLL_MS),
  );
  for (const t of timers) t.unref();

  const path = store.recordPath(workflow.id, runId);
  const items = new Map<string, { value: unknown; item: string }>();
  try {
    if (shutdownSignal.aborted) onShutdown();
    else shutdownSignal.addEventListener("abort", onShutdown, { once: true });
    if (options.signal?.aborted) onCaller();
    else options.signal?.addEventListener("abort", onCaller, { once: true });

    await save();
    log.info(`Workflow ${workflow.name} run ${runId} started`);
    emit({ type: "started", run: { ...progressOf(run) }, path });

    const reportProgress = () => {
      if (!options.onProgress) return;
      const { completed, total } = progressOf(run).stepProgress!;
      const running = run.jobs
        .flatMap((j) => j.steps.filter((s) => s.status === "running").map((s) => ({ name: `${j.jobName}.${s.stepName}`, at: s.startedAt ?? "" })))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
        .map((s) => s.name);
      options.onProgress({ completed, total, running });
    };
    reportProgress();

    const jobRun = (name: string): JobRun => run.jobs.find((j) => j.jobName === name) as JobRun;
    const stepRun = (job: string, step: string): StepRun | undefined => jobRun(job).steps.find((s) => s.stepName === step);
    const now = () => new Date().toISOString();

    const onTransition = (t: Transition) => {
      switch (t.type) {
        case "job_started":
          Object.assign(jobRun(t.job), { status: "running", startedAt: now() });
          log.info(`Job ${t.job} started`);
          emit({ type: "job_started", job: t.job });
          break;
        case "job_skipped": {
          const at = now();
          const job = jobRun(t.job);
          Object.assign(job, { status: "skipped", completedAt: at });
          for (const s of job.steps) if (s.status === "pending") Object.assign(s, { status: "skipped", skipReason: "dependency", completedAt: at });
          log.info(`Job ${t.job} skipped (dependency)`);
          emit({ type: "job_skipped", job: t.job });
          break;
        }
        case "job_expanded":
          jobRun(t.job).steps = t.steps.map(stepRecordOf);
          break;
        case "job_completed":
          Object.assign(jobRun(t.job), { status: t.status, completedAt: now() });
          log.info(`Job ${t.job} ${t.status}`);
          emit({ type: "job_completed", job: t.job, status: t.status });
          break;
        case "step_started": {
          const s = stepRun(t.job, t.step.name)!;
          Object.assign(s, { status: "running", startedAt: now() });
          log.info(`Step ${t.job}.${t.step.name} started`);
          emit({ type: "step_started", job: t.job, step: { ...s } });
          break;
        }
        case "step_skipped":
        case "step_completed": {
          const s = stepRun(t.job, t.step.name)!;
          s.status = t.step.status;
          s.completedAt = now();
          if (t.step.error !== undefined) s.error = redactor.redact(t.step.error);
          if (t.step.allowedFailure) s.allowedFailure = true;
          if (t.step.skipReason && t.step.status === "skipped") s.skipReason = t.step.skipReason;
          const detail = s.status === "failed" ? `: ${s.error ?? "failed"}${s.allowedFailure ? " (allowed)" : ""}` : s.status === "skipped" ? ` (${s.skipReason ?? "dependency"})` : "";
          log.info(`Step ${t.job}.${t.step.name} ${s.status}${detail}`);
          emit({ type: t.type, job: t.job, step: redactor.redactValue({ ...s }) });
          break;
        }
      }
      reportProgress();
      void save();
    };

    const vaultAccess: VaultAccess | undefined = options.vaults
      ? { get: (v, k) => (options.vaults as VaultStore).get(v, k, `workflow:${workflow.name}`) }
      : undefined;

    const expandJob = async (jobName: string): Promise<Expansions> => {
      const job = workflow.jobs.find((j) => j.name === jobName)!;
      const templates = job.steps.filter((s) => s.forEach);
      const taken = new Set(job.steps.filter((s) => !s.forEach).map((s) => s.name));
      const out: Expansions = {};
      const ctx = contextFor(scope);
      for (const template of templates) {
        const forEach = template.forEach!;
        try {
          if (!isWholeExpression(forEach.in)) throw new SwampError(ErrorCode.validation, `Invalid forEach.in expression: ${String(forEach.in)}. Must be in \${{ }} format.`);
          const collection = await evaluateAtStepTime(forEach.in, ctx, { env, ...(vaultAccess ? { vault: vaultAccess } : {}), redactor });
          const expansions = await expandForEach(
            template.name,
            collection,
            async (name, _index, value) => {
              try {
                const rendered = await evaluateAtStepTime(name, contextFor(scope, { [forEach.item]: value }), { env, redactor });
                return typeof rendered === "string" ? rendered : String(rendered);
              } catch {
                log.warn(`Could not evaluate the name of a forEach expansion of step ${template.name}; using the item's index or key`);
                return null;
              }
            },
            taken,
          );
          for (const e of expansions) {
            taken.add(e.name);
            items.set(`${jobName}\u0000${e.name}`, { value: e.value, item: forEach.item });
          }
          out[template.name] = expansions.map(({ name, index }) => ({ name, index }));
        } catch (err) {
          out[template.name] = { error: redactor.redact(errorMessage(err)) };
        }
      }
      return out;
    };

    const runStep = async (step: StepState): Promise<{ status: Settled; error?: string; skipReason?: "guarded" }> => {
      const spec = step.spec as Step;
      const expansion = items.get(`${step.job}\u0000${step.name}`);
      const self = expansion ? { [expansion.item]: expansion.value } : {};
      const ctx = contextFor(scope, self);
      const runtime = { env, ...(vaultAccess ? { vault: vaultAccess } : {}), redactor };

      if (spec.guard !== undefined) {
        if (!isWholeExpression(spec.guard)) return { status: "failed", error: `Step "${spec.name}" guard must be a \${{ }} expression, got: ${spec.guard}` };
        let guarded: unknown;
        try {
          guarded = await evaluateAtStepTime(spec.guard, ctx, runtime);
        } catch (err) {
          return { status: "failed", error: `Guard expression failed: ${errorMessage(err)}` };
        }
        if (guarded !== false && guarded !== null && guarded !== undefined && guarded !== 0 && guarded !== "") return { status: "skipped", skipReason: "guarded" };
      }

      const task = spec.task;
      if (!isModelMethod(task)) {
        return { status: "failed", error: `Step task type "${task.type}" is not supported yet (${ErrorCode.unsupportedTask}); only model_method steps run` };
      }
      const evaluated = await evaluateAtStepTime(task, ctx, { ...runtime, basePath: "task" });
      const taskInputs = asRecord(evaluated.inputs, task.inputs, "inputs");
      const stepInputs = { ...inputs, ...taskInputs };
      let ref: string;
      let methodInputs = taskInputs;
      if ("modelType" in evaluated && evaluated.modelType) {
        const direct = evaluated as DirectMethodTask;
        const globals = direct.globalArgs !== undefined ? asRecord(direct.globalArgs, (task as DirectMethodTask).globalArgs, "globalArgs") : undefined;
        const { prepareDirectRun } = await import("../models/direct.js");
        const prepare = (type: string) => prepareDirectRun(kernel, type, direct.methodName, direct.modelName, globals ?? taskInputs);
        let prepared;
        try {
          prepared = await prepare(direct.modelType);
        } catch (err) {
          if (!(direct.modelType.startsWith("@") && errorCode(err) === ErrorCode.unknownModelType)) throw err;
          prepared = await prepare(direct.modelType.slice(1));
        }
        ref = prepared.modelId;
        methodInputs = globals ? taskInputs : prepared.methodInputs;
      } else {
        ref = String((evaluated as DefinitionMethodTask).modelIdOrName);
      }

      const stepContext: WorkflowStepContext = {
        workflowId: workflow.id,
        workflowName: workflow.name,
        workflowRunId: runId,
        jobName: step.job,
        stepName: step.name,
        workflowTags: workflow.tags,
        ...(options.initiatedBy ? { initiatedBy: options.initiatedBy } : {}),
        ...(spec.dataOutputOverrides ? { dataOutputOverrides: spec.dataOutputOverrides } : {}),
        stepInputs,
        ...(run.logFile ? { runLogFile: run.logFile } : {}),
      };
      const record = stepRun(step.job, step.name)!;
      let view: RunView;
      try {
        view = await runMethod(kernel, {
          ref,
          method: String(evaluated.methodName),
          inputs: methodInputs,
          tags: options.tags ?? {},
          signal: controller.signal,
          redactor,
          ...(options.vaults ? { vaults: options.vaults } : {}),
          ...flagsOf(options),
          workflow: stepContext,
          onOutput: (text, stream) => {
            for (const line of text.split("\n")) {
              log[stream === "stdout" ? "info" : "warn"](`[${step.job}.${step.name}] ${line}`);
              emit({ type: "step_output", job: step.job, step: step.name, line, stream });
            }
          },
        });
      } catch (err) {
        if (err instanceof MethodRunError) {
          await recordOutcome(record, err.view);
          return { status: "failed", error: err.message };
        }
        throw err;
      }
      await recordOutcome(record, view);
      return { status: "succeeded" };
    };

    const recordOutcome = async (record: StepRun, view: RunView) => {
      record.output = { type: "model_method", model: view.modelName, modelId: view.modelId, modelType: view.modelType, method: view.methodName, outputId: view.outputId };
      record.dataArtifacts = await Promise.all(view.dataArtifacts.map((a) => artifactOf(data, view, a)));
    };

    let failure: unknown = null;
    try {
      await runSchedule(schedule, { expandJob, runStep, onTransition, signal: controller.signal });
    } catch (err) {
      failure = err;
    }

    const completedAt = new Date().toISOString();
    if (controller.signal.aborted) {
      const reason = cancelReason ?? "aborted";
      log.info(`Workflow ${workflow.name} cancelled: ${reason}`);
      writer.stopHeartbeat();
      await save();
      const cancelled = await store.markCancelled(progressOf(run), reason);
      Object.assign(run, cancelled);
    } else {
      run.status = failure ? "failed" : schedule.runStatus();
      run.completedAt = completedAt;
      const first = schedule.firstFailure();
      if (first) {
        run.failedStep = first.step.name;
        run.failureReason = redactor.redact(first.step.error ?? "failed");
      } else if (failure) {
        run.failureReason = redactor.redact(errorMessage(failure));
      }
      log.info(`Workflow ${workflow.name} ${run.status}`);
      await save();
    }
    if (saveError) throw saveError;
    const final = progressOf(run);
    emit({ type: "finished", run: final });
    if (failure && !controller.signal.aborted) {
      throw new SwampError(ErrorCode.workflowExecutionFailed, `Workflow execution failed: ${redactor.redact(errorMessage(failure))}`, {
        details: { runId, path },
        cause: failure,
      });
    }
    return { run: final, path };
  } finally {
    for (const t of timers) clearTimeout(t);
    writer.stopHeartbeat();
    shutdownSignal.removeEventListener("abort", onShutdown);
    options.signal?.removeEventListener("abort", onCaller);
    await log.close();
    release();
  }
}

/** How often a running workflow looks for a cancel request written by `workflow cancel`. */
const CANCEL_POLL_MS = 1_000;

function placeholderRun(workflow: Workflow): RunRecord {
  return { id: "", workflowId: workflow.id, workflowName: workflow.name, status: "pending", jobs: [], tags: workflow.tags, inputs: {}, triggerSource: "manual" };
}

function flagsOf(o: CheckFlags & ReportFlags): CheckFlags & ReportFlags {
  const out: Record<string, unknown> = {};
  for (const key of ["skipChecks", "skipCheck", "skipCheckLabel", "skipReports", "skipReport", "skipReportLabel", "report", "reportLabel"] as const) {
    if ((o as Record<string, unknown>)[key] !== undefined) out[key] = (o as Record<string, unknown>)[key];
  }
  return out as CheckFlags & ReportFlags;
}

function stepRecordOf(step: StepState): StepRun {
  return {
    stepName: step.name,
    status: step.status,
    ...(step.error !== undefined ? { error: step.error } : {}),
    ...(step.allowedFailure ? { allowedFailure: true } : {}),
    ...(step.template !== undefined ? { forEachTemplate: step.template } : {}),
    ...(step.index !== undefined ? { forEachIndex: step.index } : {}),
  };
}

/** The record with its derived fields (`stepProgress`) brought up to date. */
function progressOf(run: RunRecord): RunRecord {
  const steps = run.jobs.flatMap((j) => j.steps);
  run.stepProgress = { completed: steps.filter((s) => s.status === "succeeded" || s.status === "failed" || s.status === "skipped").length, total: steps.length };
  return run;
}

async function artifactOf(data: ReturnType<typeof dataRepository>, view: RunView, a: RunView["dataArtifacts"][number]): Promise<RunArtifact> {
  const meta = await data.get(view.modelType, view.modelId, a.name, a.version).catch(() => null);
  return { dataId: a.id, name: a.name, version: a.version, tags: meta?.tags ?? {}, modelType: view.modelType, modelId: view.modelId };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}
