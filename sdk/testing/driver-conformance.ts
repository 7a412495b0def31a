/**
 * Conformance suite for execution drivers, and fakes of what the host hands a driver.
 *
 *   const fake = createDriverTestCallbacks({ handles: [someHandle] });
 *   const result = await driver.execute(createExecutionRequest(), fake.callbacks);
 *   fake.logs;            // → [{ line, stream }]
 *
 *   await assertDriverConformance(driverExport, { validConfigs: [{}] });
 *
 * Framework-agnostic: resolves with the sample run's result, or throws an AssertionError naming
 * the first failed check (`[driver conformance check N] …`).
 */
import { randomUUID } from "node:crypto";
import type { DataHandle } from "../../kernel/contract/ports/model-type.js";
import type { ExecutionCallbacks, ExecutionDriver, ExecutionRequest, ExecutionResult } from "../../kernel/contract/ports/driver.js";
import { BUILTIN_PATTERN, ensure, field, isFunction, isRecord, isSchema, issueText, NAMESPACED_PATTERN, settle, show, unwrapExport } from "./internal.js";

function check(n: number, what: string): string {
  return `[driver conformance check ${n}] ${what}`;
}

// ---------------------------------------------------------------------------------------------
// fakes

/** A request for `methodName` of `modelType` with sane defaults; override any field. */
export function createExecutionRequest(overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  const id = overrides.modelId ?? randomUUID();
  return {
    protocolVersion: 1,
    modelType: "@test/model",
    modelId: id,
    methodName: "execute",
    globalArgs: {},
    methodArgs: {},
    definitionMeta: { id, name: "test-model", version: 1, tags: {} },
    ...overrides,
  };
}

/** A DataHandle as the host returns for a persisted write. */
export function createTestDataHandle(overrides: Partial<DataHandle> = {}): DataHandle {
  const kind = overrides.kind ?? "resource";
  const tags = overrides.tags ?? { type: kind, specName: overrides.specName ?? "result" };
  return {
    name: "result",
    specName: "result",
    kind,
    dataId: randomUUID(),
    version: 1,
    size: 2,
    tags,
    metadata: {
      contentType: kind === "resource" ? "application/json" : "text/plain",
      lifetime: "infinite",
      garbageCollection: 10,
      tags,
      ownerDefinition: { ownerType: "model-method", ownerRef: "test-model" },
    },
    ...overrides,
  };
}

export interface DriverTestCallbacksOptions {
  /** What `runInProcess` resolves with (default: one resource handle). */
  handles?: DataHandle[];
  /** Make `runInProcess` reject with this. */
  runInProcessError?: unknown;
  /** Replace `runInProcess` entirely. */
  runInProcess?(): Promise<DataHandle[]>;
  /** Leave `runInProcess` out (as a host that only runs out of process would). */
  withoutRunInProcess?: boolean;
  /** Use this signal instead of the fake's own. */
  signal?: AbortSignal;
}

export interface DriverTestCallbacks {
  callbacks: ExecutionCallbacks;
  /** Every `onLog` call. */
  logs: Array<{ line: string; stream: "stdout" | "stderr" }>;
  /** How often `runInProcess` was called. */
  readonly runInProcessCalls: number;
  /** Fires the callbacks' signal (unless you passed your own). */
  abort(reason?: unknown): void;
}

/**
 * ExecutionCallbacks as the host passes them: `onLog` recorded, `runInProcess` resolving with
 * `handles` (it rejects with an AbortError once the signal fired, as the host's method run
 * would), and a signal you can fire.
 */
export function createDriverTestCallbacks(options: DriverTestCallbacksOptions = {}): DriverTestCallbacks {
  const controller = new AbortController();
  const signal = options.signal ?? controller.signal;
  const logs: DriverTestCallbacks["logs"] = [];
  let calls = 0;
  const callbacks: ExecutionCallbacks = {
    signal,
    onLog(line, stream) {
      logs.push({ line, stream });
    },
  };
  if (!options.withoutRunInProcess) {
    callbacks.runInProcess = async () => {
      calls++;
      if (signal.aborted) throw Object.assign(new Error("The method run was cancelled"), { name: "AbortError", code: "cancelled" });
      if (options.runInProcess) return options.runInProcess();
      if (options.runInProcessError !== undefined) throw options.runInProcessError;
      return options.handles ?? [createTestDataHandle()];
    };
  }
  return {
    callbacks,
    logs,
    get runInProcessCalls() {
      return calls;
    },
    abort: (reason?: unknown) => controller.abort(reason),
  };
}

// ---------------------------------------------------------------------------------------------
// conformance

export interface DriverConformanceOptions {
  /** For a driver export: configs `configSchema` must accept; the first creates the driver (default `[{}]`). */
  validConfigs?: unknown[];
  /** For a driver export: configs `configSchema` must reject. */
  invalidConfigs?: unknown[];
  /** Allow a single-segment builtin type (`raw`, `docker`). */
  builtin?: boolean;
  /** The sample run's request (merged over `createExecutionRequest()`); it must succeed. */
  request?: Partial<ExecutionRequest>;
  /** Run with an already-aborted signal; it must resolve with status "error" (default true). */
  checkCancellation?: boolean;
  /** Longest any one call may take (default 30 s). */
  timeoutMs?: number;
}

function within<T>(ms: number, what: string, run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms}ms`)), ms);
  });
  return Promise.race([run(), timeout]).finally(() => clearTimeout(timer));
}

function checkResult(label: string, result: unknown, n: number): asserts result is ExecutionResult {
  ensure(isRecord(result), check(n, `${label} must resolve to an ExecutionResult object, got ${show(result)}`));
  ensure(result["status"] === "success" || result["status"] === "error", check(n, `${label}: status must be "success" or "error", got ${show(result["status"])}`));
  if (result["status"] === "error") ensure(typeof result["error"] === "string" && result["error"] !== "", check(n, `${label}: an error result needs a non-empty "error" message`));
  ensure(Array.isArray(result["outputs"]), check(n, `${label}: outputs must be an array`));
  ensure(Array.isArray(result["logs"]) && (result["logs"] as unknown[]).every((l) => typeof l === "string"), check(n, `${label}: logs must be an array of strings`));
  ensure(typeof result["durationMs"] === "number" && result["durationMs"] >= 0 && Number.isFinite(result["durationMs"]), check(n, `${label}: durationMs must be a number >= 0, got ${show(result["durationMs"])}`));
  for (const [i, out] of (result["outputs"] as unknown[]).entries()) {
    const where = `${label}: outputs[${i}]`;
    ensure(isRecord(out), check(n + 1, `${where} must be an object`));
    if (out["kind"] === "persisted") {
      const h = out["handle"];
      ensure(isRecord(h) && typeof h["name"] === "string" && typeof h["specName"] === "string", check(n + 1, `${where}: a persisted output needs the DataHandle the host returned`));
    } else {
      ensure(out["kind"] === "pending", check(n + 1, `${where}.kind must be "persisted" or "pending", got ${show(out["kind"])}`));
      ensure(typeof out["specName"] === "string" && out["specName"] !== "", check(n + 1, `${where}.specName must be a non-empty string`));
      ensure(typeof out["name"] === "string" && out["name"] !== "", check(n + 1, `${where}.name must be a non-empty string`));
      ensure(out["type"] === "resource" || out["type"] === "file", check(n + 1, `${where}.type must be "resource" or "file"`));
      ensure(out["content"] instanceof Uint8Array, check(n + 1, `${where}.content must be a Uint8Array`));
      if (out["type"] === "resource") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(new TextDecoder().decode(out["content"] as Uint8Array));
        } catch {
          parsed = undefined;
        }
        ensure(isRecord(parsed), check(n + 1, `${where}: a pending resource's content must be a JSON object`));
      }
    }
  }
}

/**
 * Checks a driver — a `driver` export (`{ type, name, description, configSchema?, createDriver }`)
 * or an ExecutionDriver — and runs it:
 *  1-6  export shape and config schema (for an export), createDriver returns a driver;
 *  7-8  the driver has a `type` and `execute` (initialize/shutdown functions when present);
 *  9    initialize() resolves;
 *  10-11 a sample run resolves with a well-formed ExecutionResult and outputs;
 *  12   the sample run succeeds; a driver that ran the method in-process reports exactly the
 *       handles `runInProcess` returned, as persisted outputs; log lines name their stream;
 *  13   when the in-process run throws, execute resolves with status "error" and its message;
 *  14   with an aborted signal, execute resolves with status "error" (does not hang);
 *  15   shutdown() resolves.
 */
export async function assertDriverConformance(subject: unknown, options: DriverConformanceOptions = {}): Promise<ExecutionResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const d = unwrapExport(subject, ["driver"], "type");
  ensure(isRecord(d), check(1, `the driver must be an object, got ${show(d)}`));
  let driver: ExecutionDriver;
  let exportType: string | undefined;
  if (isFunction(d["createDriver"]) || d["configSchema"] !== undefined || typeof d["name"] === "string") {
    const type = d["type"];
    ensure(typeof type === "string", check(1, `"type" must be a string, got ${show(type)}`));
    ensure(
      NAMESPACED_PATTERN.test(type) || (options.builtin === true && BUILTIN_PATTERN.test(type)),
      check(1, `"type" ${JSON.stringify(type)} must match @collective/name or collective/name (lowercase)` + (options.builtin ? ` (or ${BUILTIN_PATTERN} for a builtin)` : "")),
    );
    exportType = type;
    ensure(typeof d["name"] === "string" && d["name"].trim() !== "", check(2, `"name" must be a non-empty string, got ${show(d["name"])}`));
    ensure(typeof d["description"] === "string" && d["description"].trim() !== "", check(3, `"description" must be a non-empty string, got ${show(d["description"])}`));
    const schema = d["configSchema"];
    const validConfigs = options.validConfigs ?? [{}];
    ensure(validConfigs.length > 0, check(4, "supply at least one valid config"));
    if (schema !== undefined) {
      ensure(isSchema(schema), check(4, `"configSchema", when present, must have a safeParse function`));
      validConfigs.forEach((config, i) => {
        const r = schema.safeParse(config);
        ensure(r.success, check(5, `validConfigs[${i}] ${show(config)} must pass configSchema.safeParse: ${issueText(r.error)}`));
      });
      (options.invalidConfigs ?? []).forEach((config, i) => {
        ensure(!schema.safeParse(config).success, check(5, `invalidConfigs[${i}] ${show(config)} must fail configSchema.safeParse`));
      });
    }
    ensure(isFunction(d["createDriver"]), check(6, `"createDriver" must be a function`));
    const config = isSchema(schema) ? (schema.safeParse(validConfigs[0]).data ?? validConfigs[0]) : validConfigs[0];
    const created = await settle(() => (d["createDriver"] as (this: unknown, c: unknown) => unknown).call(d, config));
    ensure(created.ok, check(6, `createDriver(validConfigs[0]) threw ${created.ok ? "" : show(created.error)}`));
    ensure(isRecord(created.value), check(6, `createDriver(validConfigs[0]) must return a driver, got ${show(created.value)}`));
    driver = created.value as unknown as ExecutionDriver;
  } else {
    driver = d as unknown as ExecutionDriver;
  }

  ensure(typeof driver.type === "string" && driver.type !== "", check(7, `the driver's "type" must be a non-empty string, got ${show(driver.type)}`));
  if (exportType !== undefined) ensure(driver.type === exportType, check(7, `the driver's "type" ${show(driver.type)} must equal the export's type ${show(exportType)}`));
  ensure(isFunction(driver.execute), check(8, `the driver must have an "execute" function`));
  for (const hook of ["initialize", "shutdown"] as const) {
    if (field(driver, hook) !== undefined) ensure(isFunction(field(driver, hook)), check(8, `"${hook}", when present, must be a function`));
  }
  if (driver.initialize) {
    const init = await settle(() => within(timeoutMs, "initialize()", () => driver.initialize!()));
    ensure(init.ok, check(9, `initialize() must resolve; it threw ${init.ok ? "" : show(init.error)}`));
  }

  const handles = [createTestDataHandle({ name: "conformance-result" }), createTestDataHandle({ name: "conformance-log", specName: "log", kind: "file" })];
  const request = createExecutionRequest(options.request);
  const fake = createDriverTestCallbacks({ handles });
  const ran = await settle(() => within(timeoutMs, "execute(sample request)", () => driver.execute(request, fake.callbacks)));
  ensure(ran.ok, check(10, `execute(sample request) must resolve (run failures are results, not rejections); it threw ${ran.ok ? "" : show(ran.error)}`));
  const result = ran.value;
  checkResult("execute(sample request)", result, 10);
  ensure(result.status === "success", check(12, `the sample run must succeed, got error ${show(result.error)} (pass a request that works for this driver in options.request)`));
  ensure(fake.logs.every((l) => typeof l.line === "string" && (l.stream === "stdout" || l.stream === "stderr")), check(12, `onLog must be called with (line: string, "stdout" | "stderr")`));
  const inProcess = fake.runInProcessCalls > 0;
  if (inProcess) {
    ensure(fake.runInProcessCalls === 1, check(12, `runInProcess must be called at most once per run, was called ${fake.runInProcessCalls} times`));
    const persisted = result.outputs.filter((o) => o.kind === "persisted").map((o) => (o as { handle: DataHandle }).handle.name);
    ensure(
      persisted.length === handles.length && handles.every((h) => persisted.includes(h.name)),
      check(12, `an in-process run must report the handles runInProcess returned as persisted outputs; got ${show(persisted)}`),
    );

    const boom = Object.assign(new Error("conformance: the method failed"), { code: "conformance_failure" });
    const failing = createDriverTestCallbacks({ runInProcessError: boom });
    const failed = await settle(() => within(timeoutMs, "execute(failing run)", () => driver.execute(request, failing.callbacks)));
    ensure(failed.ok, check(13, `when the in-process run throws, execute must resolve with status "error"; it rejected with ${failed.ok ? "" : show(failed.error)}`));
    checkResult("execute(failing run)", failed.value, 13);
    ensure(failed.value.status === "error", check(13, `when the in-process run throws, status must be "error", got ${show(failed.value.status)}`));
    ensure(String(failed.value.error).includes("conformance: the method failed"), check(13, `the error must carry the method's message, got ${show(failed.value.error)}`));
  }

  if (options.checkCancellation ?? true) {
    const cancelled = createDriverTestCallbacks({ handles });
    cancelled.abort(new Error("conformance: cancelled"));
    const outcome = await settle(() => within(timeoutMs, "execute(aborted signal)", () => driver.execute(request, cancelled.callbacks)));
    ensure(outcome.ok, check(14, `with an aborted signal, execute must resolve with status "error"; it threw ${outcome.ok ? "" : show(outcome.error)}`));
    checkResult("execute(aborted signal)", outcome.value, 14);
    ensure(outcome.value.status === "error", check(14, `with an aborted signal, status must be "error", got ${show(outcome.value.status)}`));
  }

  if (driver.shutdown) {
    const down = await settle(() => within(timeoutMs, "shutdown()", () => driver.shutdown!()));
    ensure(down.ok, check(15, `shutdown() must resolve; it threw ${down.ok ? "" : show(down.error)}`));
  }
  return result;
}
