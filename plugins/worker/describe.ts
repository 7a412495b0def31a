/**
 * Validation of an extension's export and its descriptor: what the host records in the
 * bundle manifest so that listing types, `--help` and `model type describe` never load code.
 * Zod schemas become JSON Schema here, with the zod instance the host provided.
 */
import type { PluginKind } from "../../kernel/contract/plugin.js";
import { CALVER_PATTERN, LIFETIME_PATTERN } from "../../kernel/contract/ports/model-type-names.js";
import type { ExtensionDescriptor, ModelDescriptor, ModelMethodDescriptor } from "./protocol.js";

type Json = Record<string, unknown>;

export class ExportProblems extends Error {
  readonly code = "extension_invalid";
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "ExportProblems";
  }
}

const SEGMENT = "[a-z0-9][a-z0-9_-]*";
const TWO_SEGMENTS = /^@?[a-z0-9_-]+\/[a-z0-9_-]+$/;
const MANY_SEGMENTS = new RegExp(`^@?${SEGMENT}(/${SEGMENT})+$`);
const METHOD_KINDS = new Set(["create", "read", "update", "delete", "list", "action"]);

const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isFunction = (v: unknown): v is (...args: unknown[]) => unknown => typeof v === "function";
/** Duck-typed zod schema: the extension may carry its own zod copy. */
const isSchemaLike = (v: unknown): boolean =>
  isRecord(v) && (isFunction(v.safeParse) || "_zod" in v || "_def" in v || typeof v.type === "string" || isRecord(v.properties));

/** The zod the host provided (to turn schemas into JSON Schema). */
function hostZod(): { toJSONSchema?: (schema: unknown, options: unknown) => Json } | undefined {
  const host = (globalThis as { __swampHost?: { modules?: Record<string, unknown> } }).__swampHost;
  return host?.modules?.zod as { toJSONSchema?: (schema: unknown, options: unknown) => Json } | undefined;
}

/** A schema as JSON Schema: zod 4 schemas are converted, plain JSON Schema passes through. */
export function toJsonSchema(schema: unknown): Json {
  if (!isRecord(schema)) return {};
  if ("_zod" in schema) {
    const z = hostZod();
    if (z?.toJSONSchema) {
      try {
        const out = z.toJSONSchema(schema, { unrepresentable: "any", io: "input" });
        delete out.$schema;
        return out;
      } catch {
        return {};
      }
    }
    return {};
  }
  if ("_def" in schema || isFunction(schema.safeParse)) return {};
  return JSON.parse(JSON.stringify(schema)) as Json;
}

function checkConfigurable(kind: "datastore" | "vault" | "driver", exp: Json, problems: string[]): void {
  const type = exp.type;
  if (typeof type !== "string" || type === "") problems.push("type: must be a non-empty string");
  else if (kind === "datastore" && !TWO_SEGMENTS.test(type)) problems.push("type: Datastore type must match @collective/name or collective/name");
  else if (kind !== "datastore" && !MANY_SEGMENTS.test(type)) problems.push(`type: ${kind} type must match @collective/name or collective/name`);
  if (typeof exp.name !== "string") problems.push("name: must be a string");
  if (typeof exp.description !== "string") problems.push("description: must be a string");
  if (exp.configSchema !== undefined && !isSchemaLike(exp.configSchema)) problems.push("configSchema: must be a zod schema");
  const factory = kind === "driver" ? "createDriver" : "createProvider";
  if (!isFunction(exp[factory])) problems.push(`${factory}: must be a function`);
}

function outputSpecProblems(prefix: string, spec: unknown, file: boolean, problems: string[]): void {
  if (!isRecord(spec)) {
    problems.push(`${prefix}: must be an object`);
    return;
  }
  if (!file && !isSchemaLike(spec.schema)) problems.push(`${prefix}.schema: must be a zod schema`);
  if (file && typeof spec.contentType !== "string") problems.push(`${prefix}.contentType: must be a string`);
  if (typeof spec.lifetime !== "string" || !LIFETIME_PATTERN.test(spec.lifetime)) {
    problems.push(`${prefix}.lifetime: must be ephemeral, infinite, job, workflow or a duration like 7d`);
  }
  const gc = spec.garbageCollection;
  if (!((typeof gc === "number" && Number.isInteger(gc) && gc > 0) || (typeof gc === "string" && gc !== ""))) {
    problems.push(`${prefix}.garbageCollection: must be a positive integer or a duration`);
  }
}

/** Methods (or checks) as a map; an `extension` export lists them as an array of maps. */
function asMap(value: unknown): Json | undefined {
  if (Array.isArray(value)) {
    const out: Json = {};
    for (const item of value) if (isRecord(item)) Object.assign(out, item);
    return out;
  }
  return isRecord(value) ? value : undefined;
}

function checkModel(exportName: string, exp: Json, problems: string[]): void {
  const type = exp.type;
  if (typeof type !== "string" || type === "") problems.push("type: is required (a string such as @collective/name)");
  else if (!MANY_SEGMENTS.test(type.toLowerCase())) problems.push(`type: model type "${type}" needs at least two lowercase segments, e.g. @collective/name`);
  if (exportName === "model") {
    if (typeof exp.version !== "string" || !CALVER_PATTERN.test(exp.version)) {
      problems.push(`version: ${JSON.stringify(exp.version)} is not valid. Use CalVer format: YYYY.MM.DD.MICRO`);
    }
    if (exp.globalArguments !== undefined && !isSchemaLike(exp.globalArguments)) problems.push("globalArguments: must be a zod schema");
    if (Array.isArray(exp.upgrades) && exp.upgrades.length > 0) {
      const last = exp.upgrades[exp.upgrades.length - 1] as Json | undefined;
      if (!last || last.toVersion !== exp.version) {
        problems.push(`upgrades: Last upgrade toVersion ${JSON.stringify(last?.toVersion)} does not match model version ${JSON.stringify(exp.version)}`);
      }
    }
    if (exp.reports !== undefined && !(Array.isArray(exp.reports) && exp.reports.every((r) => typeof r === "string"))) {
      problems.push("reports: must be an array of report names");
    }
  }
  const methods = asMap(exp.methods);
  if (!methods) problems.push("methods: is required (an object of methods)");
  for (const [name, method] of Object.entries(methods ?? {})) {
    if (!isRecord(method)) {
      problems.push(`methods.${name}: must be an object`);
      continue;
    }
    if (typeof method.description !== "string") problems.push(`methods.${name}.description: must be a string`);
    if (!isSchemaLike(method.arguments)) problems.push(`methods.${name}.arguments: is required (a zod schema, e.g. z.object({}))`);
    if (!isFunction(method.execute)) problems.push(`methods.${name}.execute: must be a function`);
    if (method.kind !== undefined && !METHOD_KINDS.has(String(method.kind))) problems.push(`methods.${name}.kind: unknown kind ${JSON.stringify(method.kind)}`);
  }
  for (const [name, check] of Object.entries(asMap(exp.checks) ?? {})) {
    if (!isRecord(check) || !isFunction(check.execute)) problems.push(`checks.${name}.execute: must be a function`);
    else if (typeof check.description !== "string") problems.push(`checks.${name}.description: must be a string`);
  }
  for (const [name, spec] of Object.entries(isRecord(exp.resources) ? exp.resources : {})) outputSpecProblems(`resources.${name}`, spec, false, problems);
  for (const [name, spec] of Object.entries(isRecord(exp.files) ? exp.files : {})) outputSpecProblems(`files.${name}`, spec, true, problems);
}

function checkReport(exp: Json, problems: string[]): void {
  if (typeof exp.name !== "string" || !MANY_SEGMENTS.test(exp.name)) problems.push("name: report name must match @collective/name or collective/name");
  if (typeof exp.description !== "string") problems.push("description: must be a string");
  if (!["method", "model", "workflow"].includes(String(exp.scope))) problems.push('scope: must be "method", "model" or "workflow"');
  if (exp.labels !== undefined && !(Array.isArray(exp.labels) && exp.labels.every((l) => typeof l === "string"))) problems.push("labels: must be an array of strings");
  if (!isFunction(exp.execute)) problems.push("execute: must be a function");
}

/** Throws ExportProblems listing every problem of the export, or returns it as a record. */
export function validateExport(kind: PluginKind, exportName: string, exp: unknown): Json {
  if (!isRecord(exp)) throw new ExportProblems([`the ${exportName} export must be an object`]);
  const problems: string[] = [];
  if (kind === "datastore" || kind === "vault" || kind === "driver") checkConfigurable(kind, exp, problems);
  else if (kind === "model") checkModel(exportName, exp, problems);
  else checkReport(exp, problems);
  if (problems.length > 0) throw new ExportProblems(problems);
  return exp;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;
}

function describeModel(exportName: "model" | "extension", exp: Json): ModelDescriptor {
  const methods: Record<string, ModelMethodDescriptor> = {};
  for (const [name, m] of Object.entries(asMap(exp.methods) ?? {})) {
    const method = m as Json;
    methods[name] = {
      description: String(method.description ?? ""),
      ...(typeof method.kind === "string" ? { kind: method.kind as ModelMethodDescriptor["kind"] } : {}),
      ...(typeof method.rollbackOnFailure === "boolean" ? { rollbackOnFailure: method.rollbackOnFailure } : {}),
      arguments: toJsonSchema(method.arguments),
    };
  }
  const out: ModelDescriptor = {
    kind: "model",
    export: exportName,
    type: String(exp.type),
    name: typeof exp.name === "string" ? exp.name : String(exp.type),
    description: typeof exp.description === "string" ? exp.description : "",
    methods,
  };
  if (typeof exp.version === "string") out.version = exp.version;
  if (exp.globalArguments !== undefined) out.globalArguments = toJsonSchema(exp.globalArguments);
  if (isRecord(exp.resources)) {
    out.resources = {};
    for (const [name, s] of Object.entries(exp.resources)) {
      const spec = s as Json;
      out.resources[name] = {
        ...(typeof spec.description === "string" ? { description: spec.description } : {}),
        schema: toJsonSchema(spec.schema),
        lifetime: String(spec.lifetime),
        garbageCollection: spec.garbageCollection as number | string,
        ...(stringRecord(spec.tags) ? { tags: stringRecord(spec.tags) } : {}),
        ...(spec.sensitiveOutput === true ? { sensitiveOutput: true } : {}),
        ...(typeof spec.vaultName === "string" ? { vaultName: spec.vaultName } : {}),
      };
    }
  }
  if (isRecord(exp.files)) {
    out.files = {};
    for (const [name, s] of Object.entries(exp.files)) {
      const spec = s as Json;
      out.files[name] = {
        ...(typeof spec.description === "string" ? { description: spec.description } : {}),
        contentType: String(spec.contentType),
        lifetime: String(spec.lifetime),
        garbageCollection: spec.garbageCollection as number | string,
        ...(spec.streaming === true ? { streaming: true } : {}),
        ...(stringRecord(spec.tags) ? { tags: stringRecord(spec.tags) } : {}),
      };
    }
  }
  const checks = asMap(exp.checks);
  if (checks) {
    out.checks = {};
    for (const [name, c] of Object.entries(checks)) {
      const check = c as Json;
      out.checks[name] = {
        description: String(check.description ?? ""),
        ...(strings(check.labels) ? { labels: strings(check.labels) } : {}),
        ...(strings(check.appliesTo) ? { appliesTo: strings(check.appliesTo) } : {}),
      };
    }
  }
  if (strings(exp.reports)) out.reports = strings(exp.reports);
  return out;
}

/** The descriptor of a validated export. */
export function describeExport(kind: PluginKind, exportName: string, exp: Json): ExtensionDescriptor {
  if (kind === "model") return describeModel(exportName === "extension" ? "extension" : "model", exp);
  if (kind === "report") {
    return {
      kind: "report",
      type: String(exp.name),
      name: String(exp.name),
      description: String(exp.description),
      scope: exp.scope as "method" | "model" | "workflow",
      ...(strings(exp.labels) ? { labels: strings(exp.labels) } : {}),
    };
  }
  return {
    kind,
    type: String(exp.type),
    name: String(exp.name),
    description: String(exp.description),
    configSchema: exp.configSchema === undefined ? null : toJsonSchema(exp.configSchema),
  };
}
