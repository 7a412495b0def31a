/**
 * Conformance suite for reports, and a sample ReportContext to run them with.
 *
 *   const out = await assertReportConformance(report, createReportTestContext({ methodName: "create" }));
 *
 * Framework-agnostic: resolves with the sample's output, or throws an AssertionError naming
 * the first failed check (`[report conformance check N] …`).
 */
import { randomUUID } from "node:crypto";
import type { ReportContext, ReportOutput } from "../../kernel/contract/ports/report.js";
import { createTestDataHandle } from "./driver-conformance.js";
import { ensure, isFunction, isRecord, NAMESPACED_PATTERN, settle, show, unwrapExport } from "./internal.js";

function check(n: number, what: string): string {
  return `[report conformance check ${n}] ${what}`;
}

/**
 * A method-scope context of a successful run that produced one resource (`result`) and one file
 * (`log`); override any field. `redactSensitiveArgs` returns the arguments unchanged.
 */
export function createReportTestContext(overrides: Partial<ReportContext> = {}): ReportContext {
  const modelId = overrides.modelId ?? randomUUID();
  const name = overrides.definition?.name ?? "test-model";
  return {
    scope: "method",
    repoDir: "/tmp/swamp-test-repo",
    modelType: "@test/model",
    modelId,
    definition: { id: modelId, name, version: 1, tags: {} },
    methodName: "execute",
    globalArgs: { region: "eu-west-1" },
    methodArgs: { run: "echo hello" },
    executionStatus: "succeeded",
    dataHandles: [
      createTestDataHandle({ name: "result", specName: "result", kind: "resource", version: 3 }),
      createTestDataHandle({ name: "log", specName: "log", kind: "file", version: 3 }),
    ],
    outputSpecs: [
      { specName: "result", kind: "resource", description: "What the run returned", schema: { type: "object" } },
      { specName: "log", kind: "file", description: "Output of the run", contentType: "text/plain" },
    ],
    redactSensitiveArgs: (args) => ({ ...args }),
    ...overrides,
  };
}

/** Finds functions, symbols, bigints, non-finite numbers and cycles: what JSON cannot hold. */
function jsonProblem(value: unknown, path: string, seen: Set<unknown>): string | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${path} is ${value}`;
  if (typeof value === "undefined") return null;
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") return `${path} is a ${typeof value}`;
  if (seen.has(value)) return `${path} is a circular reference`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) {
        const p = jsonProblem(v, `${path}[${i}]`, seen);
        if (p) return p;
      }
      return null;
    }
    if (value instanceof Date) return null;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path} is a ${proto?.constructor?.name ?? "class instance"}, not plain data`;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = jsonProblem(v, `${path}.${k}`, seen);
      if (p) return p;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

function snapshot(context: ReportContext): string {
  return JSON.stringify(context, (_k, v: unknown) => (typeof v === "function" ? "[function]" : v));
}

async function runOnce(report: Record<string, unknown>, context: ReportContext, label: string, first: number): Promise<ReportOutput> {
  const before = snapshot(context);
  const ran = await settle(() => (report["execute"] as (c: ReportContext) => Promise<unknown>).call(report, context));
  ensure(ran.ok, check(first, `execute(${label}) must resolve; it threw ${ran.ok ? "" : show(ran.error)}`));
  const out = ran.value;
  ensure(isRecord(out), check(first + 1, `execute(${label}) must resolve to { markdown, json }, got ${show(out)}`));
  ensure(typeof out["markdown"] === "string", check(first + 1, `execute(${label}).markdown must be a string (empty means "not applicable"), got ${show(out["markdown"])}`));
  ensure(isRecord(out["json"]), check(first + 2, `execute(${label}).json must be a plain object (not an array or null), got ${show(out["json"])}`));
  const problem = jsonProblem(out["json"], "json", new Set());
  ensure(problem === null, check(first + 2, `execute(${label}).json must be JSON data: ${problem ?? ""}`));
  ensure(snapshot(context) === before, check(first + 3, `execute(${label}) must not modify the context (the host passes one context to several reports)`));
  return { markdown: out["markdown"], json: out["json"] };
}

/**
 * Checks a report export (or module) and runs it:
 *  1-5  name (`@collective/name[/more]`), description, scope, labels, execute;
 *  6-9  execute(sampleContext) resolves with a markdown string and a JSON object, and leaves the
 *       context unchanged;
 *  10-13 for method/model scope, the same for a failed run (no data, an error message), since
 *       reports also run when the method fails.
 */
export async function assertReportConformance(exported: unknown, sampleContext?: ReportContext): Promise<ReportOutput> {
  const r = unwrapExport(exported, ["report"], "name");
  ensure(isRecord(r), check(1, `the report export must be an object, got ${show(r)}`));
  const name = r["name"];
  ensure(typeof name === "string" && NAMESPACED_PATTERN.test(name), check(1, `"name" ${show(name)} must match @collective/name or collective/name (lowercase; more segments allowed)`));
  ensure(typeof r["description"] === "string" && r["description"].trim() !== "", check(2, `"description" must be a non-empty string, got ${show(r["description"])}`));
  ensure(["method", "model", "workflow"].includes(String(r["scope"])), check(3, `"scope" must be "method", "model" or "workflow", got ${show(r["scope"])}`));
  if (r["labels"] !== undefined) {
    ensure(Array.isArray(r["labels"]) && (r["labels"] as unknown[]).every((l) => typeof l === "string" && l !== ""), check(4, `"labels" must be an array of non-empty strings`));
  }
  ensure(isFunction(r["execute"]), check(5, `"execute" must be a function`));

  const context = sampleContext ?? createReportTestContext({ scope: r["scope"] as ReportContext["scope"] });
  const out = await runOnce(r, context, "sampleContext", 6);
  if (r["scope"] !== "workflow") {
    const failed: ReportContext = {
      ...context,
      executionStatus: "failed",
      errorMessage: "conformance: the method failed",
      dataHandles: [],
    };
    await runOnce(r, failed, "a failed run", 10);
  }
  return out;
}
