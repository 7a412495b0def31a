/**
 * Conformance suite for model types: a `model` export (or an `extension` export adding
 * methods to an existing type), checked for the shape swamp loads, then exercised — each
 * method with sample arguments you provide runs against an in-memory context and must succeed
 * and write only what the type declares; each check runs and must return a valid result.
 *
 *   await assertModelTypeConformance(model, {
 *     samples: { greet: { name: "ada" } },
 *     globalArgs: { prefix: "hi" },
 *   });
 *
 * Framework-agnostic: resolves with what each sample run recorded, or throws an
 * AssertionError naming the first failed check (`[model conformance check N] …`).
 */
import { CALVER_PATTERN, LIFETIME_PATTERN } from "../../kernel/contract/ports/model-type.js";
import type { CheckResult, DataHandle } from "../../kernel/contract/ports/model-type.js";
import { asMap, createCheckTestContext, runModelMethod, type ModelMethodRun, type RunModelMethodOptions } from "./method-context.js";
import { DURATION_PATTERN, ensure, isArgumentSchema, isFunction, isRecord, isSchema, issueText, NAMESPACED_PATTERN, settle, show } from "./internal.js";

function check(n: number, what: string): string {
  return `[model conformance check ${n}] ${what}`;
}

const METHOD_KINDS = ["create", "read", "update", "delete", "list", "action"];

export interface ModelTypeConformanceOptions extends Omit<RunModelMethodOptions, "globalArgs"> {
  /**
   * `model` (a new type: version required) or `extension` (methods added to an existing type).
   * Default: `extension` for a module's `extension` export or an export whose methods are an
   * array of maps, else `model`.
   */
  kind?: "model" | "extension";
  /**
   * Sample arguments per method name: one argument object or several. Each sample runs once
   * against an in-memory context. Methods without samples are checked for shape only.
   */
  samples?: Record<string, Record<string, unknown> | Array<Record<string, unknown>>>;
  /** Raw global arguments for every sample run and check (parsed by `globalArguments`). */
  globalArgs?: Record<string, unknown>;
  /** Run the type's checks with `globalArgs` (default true). */
  runChecks?: boolean;
  /** Fail when resource data does not match its spec's schema (default true; the host only warns). */
  strictResourceSchemas?: boolean;
  /** Every method must have a sample (default false). */
  requireSamples?: boolean;
}

export interface ModelTypeConformanceReport {
  type: string;
  /** Sample runs, in order. */
  runs: Array<ModelMethodRun & { method: string }>;
  checks: Record<string, CheckResult>;
}

function checkSpecCommon(prefix: string, spec: Record<string, unknown>, n: number): void {
  const lifetime = spec["lifetime"];
  ensure(
    typeof lifetime === "string" && LIFETIME_PATTERN.test(lifetime),
    check(n, `${prefix}.lifetime must be ephemeral, infinite, job, workflow or a duration such as "30d", got ${show(lifetime)}`),
  );
  const gc = spec["garbageCollection"];
  ensure(
    (typeof gc === "number" && Number.isInteger(gc) && gc > 0) || (typeof gc === "string" && DURATION_PATTERN.test(gc)),
    check(n, `${prefix}.garbageCollection must be a positive integer (versions kept) or a duration such as "7d", got ${show(gc)}`),
  );
  if (spec["tags"] !== undefined) {
    ensure(isRecord(spec["tags"]) && Object.values(spec["tags"]).every((t) => typeof t === "string"), check(n, `${prefix}.tags must map names to strings`));
  }
  if (spec["description"] !== undefined) ensure(typeof spec["description"] === "string", check(n, `${prefix}.description must be a string`));
}

function checkHandle(where: string, handle: unknown, n: number): asserts handle is DataHandle {
  ensure(isRecord(handle), check(n, `${where} must be a DataHandle object, got ${show(handle)}`));
  for (const key of ["name", "specName", "dataId"]) ensure(typeof handle[key] === "string", check(n, `${where}.${key} must be a string`));
  ensure(handle["kind"] === "resource" || handle["kind"] === "file", check(n, `${where}.kind must be "resource" or "file"`));
  ensure(typeof handle["version"] === "number", check(n, `${where}.version must be a number`));
}

/**
 * Checks a model type export (checks 1-16), runs the samples (17-22) and the checks (23).
 * A module namespace (`{ model }` or `{ extension }`) is unwrapped.
 */
export async function assertModelTypeConformance(exported: unknown, options: ModelTypeConformanceOptions = {}): Promise<ModelTypeConformanceReport> {
  let m: unknown = exported;
  let fromExtension = false;
  if (isRecord(m) && m["methods"] === undefined) {
    if (isRecord(m["model"])) m = m["model"];
    else if (isRecord(m["extension"])) {
      m = m["extension"];
      fromExtension = true;
    }
  }
  ensure(isRecord(m), check(1, `the model export must be an object, got ${show(m)}`));
  const isExtension = options.kind ? options.kind === "extension" : fromExtension || (m["version"] === undefined && Array.isArray(m["methods"]));

  // identity
  const type = m["type"];
  ensure(typeof type === "string" && type !== "", check(1, `"type" must be a non-empty string, got ${show(type)}`));
  ensure(NAMESPACED_PATTERN.test(type.toLowerCase()), check(1, `"type" ${JSON.stringify(type)} needs at least two lowercase segments, e.g. "@collective/name"`));
  if (!isExtension) {
    const version = m["version"];
    ensure(typeof version === "string" && CALVER_PATTERN.test(version), check(2, `"version" ${show(version)} is not valid. Use CalVer format: YYYY.MM.DD.MICRO` + (version === undefined ? ` (for an \`export const extension\`, pass { kind: "extension" })` : "")));
    const [, month, day] = version.split(".").map(Number);
    ensure(month !== undefined && month >= 1 && month <= 12 && day !== undefined && day >= 1 && day <= 31, check(2, `"version" ${version} is not a real date`));
    const upgrades = m["upgrades"];
    if (upgrades !== undefined) {
      ensure(Array.isArray(upgrades), check(2, `"upgrades" must be an array`));
      for (const [i, u] of upgrades.entries()) {
        ensure(isRecord(u) && typeof u["toVersion"] === "string" && isFunction(u["upgradeAttributes"]), check(2, `upgrades[${i}] needs toVersion and upgradeAttributes()`));
      }
      if (upgrades.length > 0) {
        const last = upgrades[upgrades.length - 1] as Record<string, unknown>;
        ensure(last["toVersion"] === version, check(2, `Last upgrade toVersion ${show(last["toVersion"])} does not match model version "${version}"`));
      }
    }
  }
  if (m["globalArguments"] !== undefined) {
    ensure(isArgumentSchema(m["globalArguments"]), check(3, `"globalArguments" must be a zod schema (with safeParse)`));
  }

  // output specs
  const resources = m["resources"];
  if (resources !== undefined) {
    ensure(isRecord(resources), check(4, `"resources" must be an object of resource specs`));
    for (const [name, spec] of Object.entries(resources)) {
      ensure(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name), check(4, `resource spec name "${name}" must be an identifier (letters, digits, "_"): CEL reads "-" as minus`));
      ensure(isRecord(spec), check(5, `resources.${name} must be an object`));
      ensure(isSchema(spec["schema"]), check(5, `resources.${name}.schema must be a zod schema (with safeParse)`));
      checkSpecCommon(`resources.${name}`, spec, 6);
      if (spec["sensitiveOutput"] !== undefined) ensure(typeof spec["sensitiveOutput"] === "boolean", check(6, `resources.${name}.sensitiveOutput must be a boolean`));
      if (spec["vaultName"] !== undefined) ensure(typeof spec["vaultName"] === "string", check(6, `resources.${name}.vaultName must be a string`));
    }
  }
  const files = m["files"];
  if (files !== undefined) {
    ensure(isRecord(files), check(7, `"files" must be an object of file specs`));
    for (const [name, spec] of Object.entries(files)) {
      ensure(isRecord(spec), check(7, `files.${name} must be an object`));
      ensure(typeof spec["contentType"] === "string" && /^[\w.+-]+\/[\w.+-]+/.test(spec["contentType"]), check(7, `files.${name}.contentType must be a media type such as "text/plain", got ${show(spec["contentType"])}`));
      checkSpecCommon(`files.${name}`, spec, 8);
      if (spec["streaming"] !== undefined) ensure(typeof spec["streaming"] === "boolean", check(8, `files.${name}.streaming must be a boolean`));
    }
    if (isRecord(resources)) {
      for (const name of Object.keys(files)) ensure(!(name in resources), check(8, `"${name}" is declared both as a resource and as a file spec`));
    }
  }

  // methods
  const rawMethods = m["methods"];
  ensure(isRecord(rawMethods) || Array.isArray(rawMethods), check(9, `"methods" is required (an object of methods)`));
  const methods = asMap(rawMethods);
  ensure(Object.keys(methods).length > 0, check(9, `"methods" must declare at least one method`));
  for (const [name, method] of Object.entries(methods)) {
    ensure(isRecord(method), check(10, `methods.${name} must be an object`));
    ensure(typeof method["description"] === "string" && method["description"].trim() !== "", check(10, `methods.${name}.description must be a non-empty string`));
    ensure(isArgumentSchema(method["arguments"]), check(11, `methods.${name}.arguments is required (a zod schema, e.g. z.object({}))`));
    ensure(isFunction(method["execute"]), check(12, `methods.${name}.execute must be a function`));
    if (method["kind"] !== undefined) ensure(METHOD_KINDS.includes(String(method["kind"])), check(13, `methods.${name}.kind must be one of ${METHOD_KINDS.join(", ")}, got ${show(method["kind"])}`));
    if (method["rollbackOnFailure"] !== undefined) ensure(typeof method["rollbackOnFailure"] === "boolean", check(13, `methods.${name}.rollbackOnFailure must be a boolean`));
  }

  // checks
  const rawChecks = m["checks"];
  if (rawChecks !== undefined) ensure(isRecord(rawChecks) || Array.isArray(rawChecks), check(14, `"checks" must be an object of checks`));
  const checks = asMap(rawChecks);
  for (const [name, c] of Object.entries(checks)) {
    ensure(isRecord(c), check(14, `checks.${name} must be an object`));
    ensure(typeof c["description"] === "string" && c["description"].trim() !== "", check(14, `checks.${name}.description must be a non-empty string`));
    ensure(isFunction(c["execute"]), check(14, `checks.${name}.execute must be a function`));
    for (const key of ["labels", "appliesTo"]) {
      if (c[key] !== undefined) ensure(Array.isArray(c[key]) && (c[key] as unknown[]).every((x) => typeof x === "string"), check(15, `checks.${name}.${key} must be an array of strings`));
    }
    if (!isExtension && Array.isArray(c["appliesTo"])) {
      for (const target of c["appliesTo"] as string[]) ensure(target in methods, check(15, `checks.${name}.appliesTo names "${target}", which is not a method of this type`));
    }
  }
  if (m["reports"] !== undefined) {
    ensure(Array.isArray(m["reports"]) && (m["reports"] as unknown[]).every((r) => typeof r === "string" && r !== ""), check(16, `"reports" must be an array of report names`));
  }

  // sample runs
  const report: ModelTypeConformanceReport = { type, runs: [], checks: {} };
  const samples = options.samples ?? {};
  if (options.requireSamples) {
    for (const name of Object.keys(methods)) ensure(samples[name] !== undefined, check(17, `no sample arguments for method "${name}" (requireSamples)`));
  }
  const { samples: _s, runChecks: _r, strictResourceSchemas: _x, requireSamples: _q, ...runOptions } = options;
  for (const [name, given] of Object.entries(samples)) {
    ensure(name in methods, check(17, `samples name "${name}", which is not a method of this type (methods: ${Object.keys(methods).join(", ")})`));
    const list = Array.isArray(given) ? given : [given];
    for (const [i, args] of list.entries()) {
      const label = `method "${name}" with samples.${name}${Array.isArray(given) ? `[${i}]` : ""} ${show(args)}`;
      const ran = await settle(() => runModelMethod(m, name, args, runOptions));
      ensure(ran.ok, check(18, `${label} must succeed; it threw ${ran.ok ? "" : show(ran.error)}`));
      const run = ran.value;
      try {
        const result = run.result;
        ensure(result === undefined || isRecord(result), check(19, `${label}: execute must resolve to undefined or { dataHandles? }, got ${show(result)}`));
        if (isRecord(result) && result["dataHandles"] !== undefined) {
          ensure(Array.isArray(result["dataHandles"]), check(19, `${label}: dataHandles must be an array`));
          for (const [j, h] of (result["dataHandles"] as unknown[]).entries()) checkHandle(`${label}: dataHandles[${j}]`, h, 19);
        }
        const declaredResources = isRecord(resources) ? Object.keys(resources) : [];
        const declaredFiles = isRecord(files) ? Object.keys(files) : [];
        if (!isExtension) {
          for (const w of run.writes) ensure(declaredResources.includes(w.specName), check(20, `${label} wrote resource spec "${w.specName}", which the type does not declare`));
          for (const f of run.files) ensure(declaredFiles.includes(f.specName), check(20, `${label} wrote file spec "${f.specName}", which the type does not declare`));
        }
        if (options.strictResourceSchemas ?? true) {
          const warning = run.schemaWarnings[0];
          ensure(warning === undefined, check(21, `${label}: ${warning?.message ?? ""}`));
        }
        for (const f of run.files) {
          ensure(f.state !== "open", check(22, `${label} left the file writer for "${f.instanceName}" (spec "${f.specName}") open: call finalize() (or writeAll/writeText/writeStream), or abort() to discard it`));
        }
      } finally {
        run.cleanup();
      }
      report.runs.push(Object.assign(run, { method: name }));
    }
  }

  if (options.runChecks ?? true) {
    for (const [name, c] of Object.entries(checks)) {
      const { context } = createCheckTestContext({
        globalArgs: parseGlobals(m, options.globalArgs),
        modelType: type,
        ...(options.repoDir !== undefined ? { repoDir: options.repoDir } : {}),
        ...(options.modelId !== undefined ? { modelId: options.modelId } : {}),
        ...(options.definition !== undefined ? { definition: options.definition } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      const outcome = await settle(() => (c as { execute(ctx: unknown): Promise<unknown> }).execute(context));
      ensure(outcome.ok, check(23, `check "${name}" must resolve (a failing check returns { pass: false }); it threw ${outcome.ok ? "" : show(outcome.error)}`));
      const result = outcome.value;
      ensure(isRecord(result) && typeof result["pass"] === "boolean", check(23, `check "${name}" must resolve to { pass: boolean, errors?: string[] }, got ${show(result)}`));
      if (result["errors"] !== undefined) ensure(Array.isArray(result["errors"]) && (result["errors"] as unknown[]).every((e) => typeof e === "string"), check(23, `check "${name}": errors must be an array of strings`));
      report.checks[name] = result as unknown as CheckResult;
    }
  }
  return report;
}

function parseGlobals(m: Record<string, unknown>, raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const schema = m["globalArguments"];
  if (!isSchema(schema)) return { ...(raw ?? {}) };
  const result = schema.safeParse(raw ?? {});
  ensure(result.success, check(3, `globalArgs ${show(raw ?? {})} do not pass globalArguments: ${issueText(result.error)}`));
  return (result.data ?? {}) as Record<string, unknown>;
}
