/**
 * Running a model method, end to end:
 *
 *   per-model lock → definition and type → inputs (coerced, defaulted, validated) → phase-1 CEL
 *   (saved to definitions-evaluated/) → input overrides → phase-2 CEL (env, vault: secrets
 *   become sentinels) → argument validation → pre-flight checks (mutating methods) → driver
 *   (raw: in process; docker: a container) → data written with the tag chain → reports →
 *   output record.
 *
 * Secrets never reach disk: the evaluated definition is saved before phase 2, reports and the
 * JSON view see arguments as written, and every sink goes through the run's Redactor.
 */
import { randomUUID } from "node:crypto";
import { dirname } from "node:path";
import { toYaml } from "../runtime/yaml.js";
import { errorCode, errorMessage, ErrorCode, SwampError } from "../contract/errors.js";
import type { CelEnvironment, DataHandle, MethodLogger, ModelTypePlugin } from "../contract/ports/model-type.js";
import type { DriverOutput, ExecutionRequest } from "../contract/ports/driver.js";
import type { DataRepository } from "../data/repository.js";
import type { VaultAccess } from "../expressions/evaluate.js";
import { newPlainCelEnvironment } from "../expressions/plain-environment.js";
import { hideSentinels } from "../expressions/sentinels.js";
import { atomicWriteFile } from "../runtime/atomic-write.js";
import { fsWriteError, isStorageFull } from "../runtime/fs-errors.js";
import type { Kernel } from "../runtime/kernel.js";
import { Redactor } from "../runtime/redact.js";
import { holdShutdown, shutdownSignal } from "../runtime/shutdown.js";
import type { VaultStore } from "../contract/ports/vault.js";
import { redactExceptReferences } from "../vaults/references.js";
import { noVaultForModelError, sensitiveSpecs } from "../vaults/sensitive.js";
import { argumentKeys, containsExpression, unknownMethod, validateGlobalArguments, validateMethodArguments, withGlobalsMerged } from "./arguments.js";
import { checksFailedError, runChecks, selectChecks, type CheckFlags } from "./checks.js";
import { definitionHash, type Definition } from "./definition.js";
import { declaredInputNames, resolveInputs } from "./inputs.js";
import { MethodRun, type StepMarks } from "./method-context.js";
import { markResourcesDeleted, refuseWhenDeleted } from "./deletion.js";
import { mergeSpecOverrides, stepDeclaredInputs, stepOwner, varySuffixes, workflowTagLayer } from "./step-data.js";
import type { WorkflowStepContext } from "../workflows/types.js";
import { RunLog, runLogMaxBytes } from "./run-log.js";
import type { OutputRecord, Provenance } from "./outputs.js";
import { runReports, selectReports, type ReportFlags, type ReportRun } from "./reports.js";
import type { DefinitionRepository, StoredDefinition } from "./repository.js";
import { dataRepository, definitionRepository, displayPath, outputRepository } from "./service.js";
import { createContextReads } from "./context-reads.js";
import { describeOutputSpecs, isMutating, loadModelType, methodKind } from "./types.js";
import { validatePluginConfig } from "../runtime/kernel.js";
import { monotonicMs } from "../runtime/clock.js";

export interface RunOptions extends CheckFlags, ReportFlags {
  /** Model name or id. */
  ref: string;
  method: string;
  /** Parsed `--input` values (strings until schemas coerce them). */
  inputs?: Record<string, unknown>;
  /** `--tag` runtime tags. */
  tags?: Record<string, string>;
  /** `--driver` override. */
  driver?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Live output of the method (already redacted): one line, or several joined by "\n". */
  onOutput?(text: string, stream: "stdout" | "stderr"): void;
  /** Resolves `vault.get` (default: `vaults`). */
  vault?: VaultAccess;
  /**
   * The repository's vaults (usually a lazy store: nothing is loaded unless the run needs a
   * vault): `vault.get` in CEL, sensitive outputs, and vault references read back from data.
   */
  vaults?: VaultStore;
  /** Registers extra secret values to redact (e.g. sensitive outputs read back). */
  redactor?: Redactor;
  /**
   * Set when a workflow step runs the method: its writes carry the workflow tags, owner ids,
   * the step's data output overrides and vary suffixes; declared inputs come from
   * `stepInputs` (`inputs` are the step's own); `data.findBySpec` and `queryData` see only
   * this run's data; the output record says the workflow triggered it.
   */
  workflow?: WorkflowStepContext;
}

export interface DataArtifact {
  id: string;
  name: string;
  specName: string;
  kind: "resource" | "file";
  version: number;
  path: string;
  attributes?: Record<string, unknown>;
}

export interface RunView {
  modelId: string;
  modelName: string;
  modelType: string;
  methodName: string;
  status: "succeeded" | "failed";
  duration: number;
  outputId: string;
  logFile: string;
  driver: string;
  dataArtifacts: DataArtifact[];
  reports: Record<string, ReportRun>;
  globalArguments: Record<string, unknown>;
  methodArguments: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** The run failed: the view (with reports) is attached so the CLI can still show it. */
export class MethodRunError extends SwampError {
  constructor(
    readonly view: RunView,
    code: string,
    message: string,
    failure?: unknown,
  ) {
    super(code, message, { details: { outputId: view.outputId, logFile: view.logFile } });
    this.name = "MethodRunError";
    // The failure's own stack (an extension's included) is what --verbose should show, not
    // where the run rethrew it. runMethod redacts it with the rest of the error.
    if (failure instanceof Error && failure.stack) this.stack = failure.stack;
  }
}

/** Splits `--input` values between declared inputs and method-argument overrides. */
function splitInputs(definition: Definition, plugin: ModelTypePlugin, method: string, values: Record<string, unknown>) {
  const declared = new Set(declaredInputNames(definition.inputs as never));
  const inputs: Record<string, unknown> = {};
  const overrides: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) (declared.has(k) ? inputs : overrides)[k] = v;
  const keys = argumentKeys(plugin.methods[method]?.arguments);
  if (keys) {
    const unknown = Object.keys(overrides).filter((k) => !keys.includes(k));
    if (unknown.length) {
      throw new SwampError(
        ErrorCode.validation,
        `Unknown method input(s): ${unknown.join(", ")}. Valid inputs are: ${[...declared, ...keys].join(", ") || "none"}`,
        { details: { unknown } },
      );
    }
  }
  return { inputs, overrides };
}

function artifactOf(kernel: Kernel, data: DataRepository, handle: DataHandle, modelType: string, modelId: string): DataArtifact {
  return {
    id: handle.dataId,
    name: handle.name,
    specName: handle.specName,
    kind: handle.kind,
    version: handle.version,
    path: displayPath(kernel, dirname(data.contentPath(modelType, modelId, handle.name, handle.version))),
    ...(handle.attributes ? { attributes: handle.attributes } : {}),
  };
}

/** Persists what an out-of-process driver produced, through the same writers a method uses. */
async function persistPending(outputs: DriverOutput[], run: MethodRun): Promise<void> {
  for (const out of outputs) {
    if (out.kind !== "pending") continue;
    const overrides = {
      ...(out.tags ? { tags: out.tags } : {}),
      ...(out.metadata?.lifetime ? { lifetime: out.metadata.lifetime } : {}),
      ...(out.metadata?.garbageCollection !== undefined ? { garbageCollection: out.metadata.garbageCollection } : {}),
    };
    if (out.type === "resource") {
      const attributes = JSON.parse(Buffer.from(out.content).toString("utf8")) as Record<string, unknown>;
      await run.context.writeResource(out.specName, out.name, attributes, overrides);
    } else {
      const writer = run.context.createFileWriter(out.specName, out.name, {
        ...overrides,
        ...(out.metadata?.contentType ? { contentType: out.metadata.contentType } : {}),
      });
      await writer.writeAll(out.content);
    }
  }
}

/**
 * An error leaving a run may quote a secret (a validation message echoing an argument, a
 * method's own message): its message, stack and details go through the run's redactor. The
 * error object is kept (its class matters to callers).
 */
function redactError(err: unknown, redactor: Redactor): unknown {
  if (redactor.size === 0 || !(err instanceof Error)) return err;
  try {
    err.message = redactor.redact(err.message);
    if (err.stack) err.stack = redactor.redact(err.stack);
    const holder = err as { details?: unknown };
    if (holder.details !== undefined) Object.defineProperty(err, "details", { value: redactor.redactValue(holder.details), configurable: true, writable: true });
  } catch {
    return new SwampError(errorCode(err) ?? ErrorCode.methodExecutionFailed, redactor.redact(errorMessage(err)));
  }
  return err;
}

function provenanceOf(definition: Definition, driver: string, step: WorkflowStepContext | undefined): Provenance {
  const base = { definitionHash: definitionHash(definition), modelVersion: definition.version };
  if (!step) return { ...base, triggeredBy: "manual", driver };
  return {
    ...base,
    triggeredBy: "workflow",
    workflowId: step.workflowId,
    workflowRunId: step.workflowRunId,
    stepName: step.stepName,
    ...(step.initiatedBy ? { initiatedBy: step.initiatedBy } : {}),
    driver,
  };
}

/** A definition with its expressions evaluated and the arguments the method will get. */
export interface RunEvaluation {
  evaluated: Definition;
  methodArgsAsWritten: Record<string, unknown>;
  globalArgsAsWritten: Record<string, unknown>;
  /** True when some global argument could not be evaluated (it stays as text). */
  unresolvedGlobals: boolean;
  methodArgs: Record<string, unknown>;
  globalArgs: Record<string, unknown>;
  /** Secrets for shell commands, as environment variables. */
  secretEnv: Record<string, string>;
}

/** A definition without expressions: nothing to evaluate, only inputs to check. */
async function literalRun(definition: Definition, method: string, rawInputs: Record<string, unknown>, overrides: Record<string, unknown>): Promise<RunEvaluation> {
  // No expression reads the inputs here, but they are still checked: required means required.
  if (definition.inputs) await resolveInputs(definition.inputs as never, rawInputs);
  const methodArgs = { ...(definition.methods[method]?.arguments ?? {}), ...overrides };
  return {
    evaluated: definition,
    methodArgsAsWritten: methodArgs,
    globalArgsAsWritten: definition.globalArguments,
    unresolvedGlobals: false,
    methodArgs,
    globalArgs: definition.globalArguments,
    secretEnv: {},
  };
}

export async function runMethod(kernel: Kernel, options: RunOptions): Promise<RunView> {
  const definitions = definitionRepository(kernel);
  const pre = await definitions.require(options.ref);
  const modelType = pre.definition.type ?? "";
  const redactor = options.redactor ?? new Redactor();
  try {
    return await kernel.locks.withModelLocks([{ modelType, modelId: pre.definition.id }], async () => {
      // From here a SIGINT/SIGTERM does not exit the CLI at once: the run stops its command,
      // records itself as cancelled, and only then are its locks released.
      const release = holdShutdown();
      try {
        // Re-read under the lock: another process may have edited the definition meanwhile.
        const stored = await definitions.require(pre.definition.id);
        return await runLocked(kernel, definitions, stored, { ...options, redactor });
      } finally {
        release();
      }
    });
  } catch (err) {
    throw redactError(err, redactor);
  }
}

async function runLocked(kernel: Kernel, definitions: DefinitionRepository, stored: StoredDefinition, options: RunOptions & { redactor: Redactor }): Promise<RunView> {
  const definition = stored.definition;
  const modelType = definition.type ?? "";
  const plugin = await loadModelType(kernel.registry, modelType);
  const method = options.method;
  const methodDef = plugin.methods[method];
  if (!methodDef) throw unknownMethod(plugin, method);

  const data = dataRepository(kernel);
  const redactor = options.redactor;
  const vaults = options.vaults;
  const caller = `model-method:${definition.name}:${method}`;
  const vaultAccess: VaultAccess | undefined = options.vault ?? (vaults ? { get: (v, k) => vaults.get(v, k, caller) } : undefined);

  // Fail fast: a mutating method of a type with sensitive outputs needs somewhere to put them.
  if (isMutating(methodKind(method, methodDef.kind)) && sensitiveSpecs(plugin).length > 0) {
    if (!vaults || (await vaults.names()).length === 0) throw noVaultForModelError(definition.name);
  }

  // Inputs: declared ones are coerced, defaulted and validated; the rest override method args.
  const split = splitInputs(definition, plugin, method, options.inputs ?? {});
  const { overrides } = split;
  const step = options.workflow;
  const rawInputs = step ? stepDeclaredInputs(declaredInputNames(definition.inputs as never), step.stepInputs, split.inputs) : split.inputs;

  // Per-spec overrides and vary suffixes: a bad one fails the step before anything runs.
  const specOverrides = mergeSpecOverrides(definition.resources, step?.dataOutputOverrides);
  const stepMarks: StepMarks | undefined = step
    ? { tags: workflowTagLayer(step), owner: stepOwner(definition.id, step), vary: varySuffixes(specOverrides, step.stepInputs) }
    : undefined;
  const runScope = step ? { workflowRunId: step.workflowRunId } : undefined;

  // Expressions: only a definition that uses them loads the CEL engine.
  const evaluation =
    containsExpression(definition) || containsExpression(overrides)
      ? await (await import("./evaluation.js")).evaluateForRun({ kernel, definitions, data, definition, method, rawInputs, overrides, vaultAccess, redactor, ...(runScope ? { runScope } : {}) })
      : await literalRun(definition, method, rawInputs, overrides);
  const { evaluated, methodArgsAsWritten, globalArgsAsWritten, unresolvedGlobals, secretEnv, methodArgs, globalArgs } = evaluation;

  // Arguments: globals (partial schema; expressions left unresolved stay as text), then the
  // method's own keys (unknown ones rejected) and its schema over globals merged underneath.
  const checkedGlobals = unresolvedGlobals ? globalArgs : validateGlobalArguments(plugin, globalArgs, { partial: true });
  validateMethodArguments(plugin, method, methodArgs, { partial: true });
  const finalArgs = validateMethodArguments(plugin, method, withGlobalsMerged(plugin, method, checkedGlobals, methodArgs), { partial: false });

  // Everything validated: keep the evaluated definition (it holds no secrets: phase 2 ran on a copy).
  const evaluatedPath = kernel.paths.resolve("definitions-evaluated", ...modelType.split("/"), `${definition.id}.yaml`);
  await kernel.markDirty?.(evaluatedPath);
  await atomicWriteFile(evaluatedPath, toYaml(redactor.redactValue(hideSentinels(evaluated))), { durable: false });

  // Output record and the run's log file.
  const outputs = outputRepository(kernel);
  const outputId = randomUUID();
  const startedAt = new Date().toISOString();
  const started = monotonicMs();
  const basePath = outputs.basePath(modelType, method, definition.id, startedAt);
  const logFile = `${basePath}.log`;
  await outputs.willWrite(basePath);
  const controller = new AbortController();
  // A log that cannot be written (a full disk) stops the run: its output would be lost.
  const log = new RunLog(logFile, redactor, {
    maxBytes: runLogMaxBytes(kernel.env),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    onFailure: (err) => controller.abort(err),
  });

  const sources = [options.signal, shutdownSignal].filter((s): s is AbortSignal => s !== undefined);
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const source of sources) {
    if (source.aborted) controller.abort(source.reason);
    else source.addEventListener("abort", onAbort, { once: true });
  }
  const timer = options.timeoutMs ? setTimeout(() => controller.abort(new SwampError("cancelled", `Timed out after ${options.timeoutMs}ms`)), options.timeoutMs) : undefined;

  const run = new MethodRun({
    data,
    reads: createContextReads(data, definitions, runScope ?? {}),
    // The plain environment an extension worker gets too (no swamp namespaces), loaded on first use.
    createCelEnvironment: () => newPlainCelEnvironment() as unknown as CelEnvironment,
    plugin,
    definition: evaluated,
    methodName: method,
    repoDir: kernel.repoDir,
    signal: controller.signal,
    globalArgs: checkedGlobals,
    runtimeTags: options.tags ?? {},
    logger: log,
    redactor,
    secretEnv,
    ...(vaults ? { vaults } : {}),
    specOverrides,
    ...(stepMarks ? { step: stepMarks } : {}),
  });

  const kind = methodKind(method, methodDef.kind);
  let failure: unknown = null;
  let driverType = options.driver ?? definition.driver ?? kernel.marker.defaultDriver ?? "raw";
  try {
    if (kind === "read" || kind === "update") await refuseWhenDeleted(data, plugin, modelType, definition.id);
    if (isMutating(kind)) {
      const checks = selectChecks(plugin, definition, method, options);
      if (checks.length) {
        log.debug(`Running ${checks.length} pre-flight check(s)`);
        const outcomes = await runChecks(checks, { ...run.context });
        const failed = outcomes.filter((o) => !o.passed);
        if (failed.length) throw checksFailedError(definition.name, method, failed);
      }
    }
    const driverPlugin = await kernel.registry.load("driver", driverType);
    driverType = driverPlugin.type;
    const driverConfig = (options.driver || definition.driver ? definition.driverConfig : kernel.marker.defaultDriverConfig) ?? {};
    const driver = await driverPlugin.createDriver(validatePluginConfig(driverPlugin.configSchema, driverConfig, `driver "${driverType}"`) as Record<string, unknown>);
    const request: ExecutionRequest = {
      protocolVersion: 1,
      modelType,
      modelId: definition.id,
      methodName: method,
      globalArgs: checkedGlobals,
      methodArgs: finalArgs,
      definitionMeta: { id: definition.id, name: definition.name, version: definition.version, tags: definition.tags },
      ...(Object.keys(secretEnv).length ? { secretEnv } : {}),
    };
    const result = await driver.execute(request, {
      signal: controller.signal,
      onLog: (line, stream) => (stream === "stdout" ? log.info(line) : log.warn(line)),
      runInProcess: async () => {
        const returned = await methodDef.execute(finalArgs, run.context);
        return returned && returned.dataHandles ? returned.dataHandles : run.handles;
      },
    });
    if (result.status === "error") {
      throw result.cause ?? new SwampError(ErrorCode.methodExecutionFailed, result.error ?? "Method failed");
    }
    await persistPending(result.outputs, run);
    if (kind === "delete") run.handles.push(...(await markResourcesDeleted(data, plugin, modelType, definition.id, method)));
  } catch (err) {
    failure = fsWriteError(controller.signal.aborted && errorCode(err) !== "checks_failed" ? (controller.signal.reason ?? err) : err);
  } finally {
    clearTimeout(timer);
    for (const source of sources) source.removeEventListener("abort", onAbort);
    await run.discardUnfinalized();
  }

  const handles = run.handles;
  const status = failure ? "failed" : "succeeded";
  // A full disk aborts the run too, but it is a failure, not a cancellation.
  const cancelled = controller.signal.aborted && !isStorageFull(controller.signal.reason);
  const view: RunView = {
    modelId: definition.id,
    modelName: definition.name,
    modelType,
    methodName: method,
    status,
    duration: Math.round(monotonicMs() - started),
    outputId,
    logFile: displayPath(kernel, logFile),
    driver: driverType,
    dataArtifacts: redactExceptReferences(redactor, handles.map((h) => artifactOf(kernel, data, h, modelType, definition.id))),
    reports: {},
    globalArguments: redactor.redactValue(hideSentinels(globalArgsAsWritten)),
    methodArguments: redactor.redactValue(hideSentinels(methodArgsAsWritten)),
  };
  if (failure) view.error = { code: errorCode(failure) ?? ErrorCode.methodExecutionFailed, message: redactor.redact(errorMessage(failure)) };

  // Reports run after success and failure alike (not after a cancellation, nor once the run
  // has lost its lock: they could not store anything).
  let reportRuns: ReportRun[] = [];
  if (!controller.signal.aborted && errorCode(failure) !== ErrorCode.lockLost) {
    const selected = await selectReports(kernel.registry, definition, plugin.reports ?? [], method, options);
    reportRuns = await runReports(
      data,
      { modelType, modelId: definition.id, modelName: definition.name, ...(stepMarks ? { step: { tags: stepMarks.tags, owner: stepMarks.owner } } : {}) },
      selected,
      {
        scope: "method",
        repoDir: kernel.repoDir,
        modelType,
        modelId: definition.id,
        definition: { id: definition.id, name: definition.name, version: definition.version, tags: definition.tags },
        methodName: method,
        globalArgs: view.globalArguments,
        methodArgs: view.methodArguments,
        executionStatus: status,
        ...(view.error ? { errorMessage: view.error.message } : {}),
        dataHandles: handles,
        outputSpecs: describeOutputSpecs(plugin).map((s) => ({
          specName: s.specName,
          kind: s.kind,
          ...(s.description ? { description: s.description } : {}),
          ...(s.schema ? { schema: s.schema } : {}),
          ...(s.contentType ? { contentType: s.contentType } : {}),
        })),
      },
      redactor,
    );
    for (const r of reportRuns) view.reports[r.name] = r;
  }

  const completedAt = new Date().toISOString();
  const record: OutputRecord = {
    id: outputId,
    definitionId: definition.id,
    modelName: definition.name,
    type: modelType,
    methodName: method,
    status: cancelled ? "cancelled" : status,
    startedAt,
    completedAt,
    durationMs: view.duration,
    ...(view.error ? { error: view.error } : {}),
    retryCount: 0,
    provenance: provenanceOf(definition, driverType, step),
    artifacts: { dataArtifacts: handles.map((h) => ({ dataId: h.dataId, name: h.name, version: h.version, tags: h.tags })) },
    logFile: displayPath(kernel, logFile),
    pid: process.pid,
  };
  await log.close();
  let saveError: unknown = null;
  try {
    await outputs.save(record, basePath);
  } catch (err) {
    saveError = err;
  }

  if (failure) throw new MethodRunError(view, view.error?.code ?? ErrorCode.methodExecutionFailed, view.error?.message ?? "Method failed", failure);
  // The data is committed, but the run's record or log could not be written: say so.
  if (saveError ?? log.failed) throw saveError ?? log.failed;
  const failedReports = reportRuns.filter((r) => !r.success);
  if (failedReports.length) {
    view.status = "failed";
    throw new MethodRunError(view, "report_failed", `Report(s) failed: ${failedReports.map((r) => `${r.name}: ${r.error ?? "failed"}`).join("; ")}`);
  }
  return view;
}
