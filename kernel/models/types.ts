/**
 * Model types as the rest of the kernel sees them: looked up in the plugin registry by
 * normalized name, and described with JSON Schema (what `model type describe`, `model create`
 * and `model validate` show), whether the type is a builtin or an extension.
 */
import { createRequire } from "node:module";
import { linearRegExp } from "./schema-regex.js";
import { loadValidator, storeValidator } from "./validator-cache.js";
import * as z from "zod";
import { SwampError } from "../contract/errors.js";
import type { ModelTypePlugin } from "../contract/ports/model-type.js";
import type { PluginRegistry } from "../runtime/registry.js";
import { normalizeModelType } from "../data/names.js";
import { nearestTypes, quotedChoices } from "../runtime/suggest.js";

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [key: string]: unknown;
}

export interface MethodDescription {
  name: string;
  description: string;
  kind?: string;
  arguments: JsonSchema;
}

export interface OutputSpecDescription {
  specName: string;
  kind: "resource" | "file";
  description?: string;
  schema?: JsonSchema;
  contentType?: string;
  lifetime: string;
  garbageCollection: number | string;
  streaming?: boolean;
  tags?: Record<string, string>;
  sensitiveOutput?: boolean;
}

export interface TypeDescription {
  type: { raw: string; normalized: string };
  version: string;
  globalArguments?: JsonSchema;
  dataOutputSpecs: OutputSpecDescription[];
  methods: MethodDescription[];
  checks: Array<{ name: string; description: string; labels?: string[]; appliesTo?: string[] }>;
  reports: string[];
}

const converted = new WeakMap<object, JsonSchema>();

/**
 * Zod → JSON Schema; non-zod values (already JSON Schema, from workers) pass through. One
 * conversion per schema object (a run asks several times: keys, coercion, validation, reports);
 * the result is shared, so callers must not change it.
 */
export function toJsonSchema(schema: unknown): JsonSchema {
  if (schema && typeof schema === "object" && "_zod" in schema) {
    let out = converted.get(schema);
    if (!out) {
      out = z.toJSONSchema(schema as z.ZodType, { unrepresentable: "any", io: "input" }) as JsonSchema;
      delete out.$schema;
      converted.set(schema, out);
    }
    return out;
  }
  return (schema as JsonSchema) ?? {};
}

export interface JsonSchemaIssue {
  path: string[];
  message: string;
}

export type JsonSchemaResult =
  | { success: true; data: Record<string, unknown> }
  | { success: false; error: { issues: JsonSchemaIssue[]; message: string } };

interface AjvValidator {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }> | null;
}

interface AjvInstance {
  compile(schema: unknown): AjvValidator;
  addFormat(name: string, format: RegExp | ((value: string) => boolean)): unknown;
}

const FORMATS: Record<string, RegExp | ((value: string) => boolean)> = {
  uri: (v) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(v) && URL.canParse(v),
  url: (v) => URL.canParse(v),
  "uri-reference": () => true,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  "date-time": (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(v) && !Number.isNaN(Date.parse(v)),
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i,
  duration: /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/,
  ipv4: /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/,
  ipv6: (v) => v.includes(":") && /^[0-9a-f:.]+$/i.test(v),
  hostname: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  regex: (v) => {
    try {
      new RegExp(v);
      return true;
    } catch {
      return false;
    }
  },
};

let ajv: AjvInstance | undefined;

// These schemas are machine-made (zod's toJSONSchema, here or in a worker), so they are not
// checked against the meta-schema: compiling it cost more than everything else a run does.
const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: true, unicodeRegExp: false, validateSchema: false } as const;
/** Names these options (and the formats) in the validator cache's keys: change it when they change. */
const AJV_OPTIONS_KEY = `2020:${JSON.stringify(AJV_OPTIONS)}:re2:formats-v1`;
const compiled = new WeakMap<object, { full?: AjvValidator; partial?: AjvValidator }>();

/** ajv (JSON Schema 2020-12, what zod's toJSONSchema emits), loaded on first use. */
function jsonSchemaEngine(): AjvInstance {
  if (!ajv) {
    const mod = createRequire(import.meta.url)("ajv/dist/2020") as { default?: new (o: object) => AjvInstance } & (new (o: object) => AjvInstance);
    const Ajv = mod.default ?? mod;
    ajv = new Ajv({ ...AJV_OPTIONS, logger: false, code: { source: true, regExp: linearRegExp } });
    for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format);
  }
  return ajv;
}

function issueOf(e: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }): JsonSchemaIssue {
  const path = e.instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  switch (e.keyword) {
    case "required":
      return { path: [...path, String(e.params.missingProperty)], message: "is required" };
    case "additionalProperties":
      return { path: [...path, String(e.params.additionalProperty)], message: "is not an allowed field" };
    case "type":
      return { path, message: `must be ${String(e.params.type)}` };
    case "format":
      return { path, message: `must be a valid ${String(e.params.format)}` };
    case "enum":
      return { path, message: `must be one of ${(e.params.allowedValues as unknown[] | undefined)?.map((v) => JSON.stringify(v)).join(", ") ?? "the allowed values"}` };
    default:
      return { path, message: e.message ?? "is invalid" };
  }
}

/**
 * Validates `value` against a JSON Schema with ajv (defaults applied to a copy, like zod's
 * parse). `partial` drops the top-level `required` list, like zod's `.partial()`.
 */
export function validateJsonSchema(schema: JsonSchema, value: unknown, options: { partial?: boolean } = {}): JsonSchemaResult {
  let cache = compiled.get(schema);
  if (!cache) {
    cache = {};
    compiled.set(schema, cache);
  }
  const key = options.partial ? "partial" : "full";
  let validate = cache[key];
  if (!validate) {
    const { $schema: _ignored, ...rest } = schema;
    const target = options.partial ? (({ required: _r, ...withoutRequired }) => withoutRequired)(rest) : rest;
    validate = loadValidator(target, AJV_OPTIONS_KEY) ?? undefined;
    if (!validate) {
      const engine = jsonSchemaEngine();
      validate = engine.compile(target);
      void storeValidator(target, AJV_OPTIONS_KEY, engine, validate);
    }
    cache[key] = validate;
  }
  const data = value === undefined ? undefined : structuredClone(value);
  if (validate(data)) return { success: true, data: data as Record<string, unknown> };
  const issues = (validate.errors ?? []).map(issueOf);
  return {
    success: false,
    error: { issues, message: issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ") },
  };
}

/**
 * A JSON Schema wearing zod's `safeParse`/`parse` (non-enumerable, so the object still
 * serialises as plain JSON Schema): what the kernel validates extension configs and resource
 * data with. `known` holds values already validated earlier (JSON text → parsed result), so a
 * command that sees the same config again does not need to load ajv; `onValid` learns new ones.
 */
export function jsonSchemaParser<T extends JsonSchema>(
  schema: T,
  memo: { known?: ReadonlyMap<string, Record<string, unknown>>; onValid?(raw: unknown, data: Record<string, unknown>): void } = {},
): T & { safeParse(v: unknown): JsonSchemaResult; parse(v: unknown): Record<string, unknown> } {
  const out = { ...schema } as T & { safeParse(v: unknown): JsonSchemaResult; parse(v: unknown): Record<string, unknown> };
  const safeParse = (v: unknown): JsonSchemaResult => {
    const known = memo.known?.get(JSON.stringify(v) ?? "undefined");
    if (known) return { success: true, data: structuredClone(known) };
    const result = validateJsonSchema(schema, v);
    if (result.success) memo.onValid?.(v, result.data);
    return result;
  };
  Object.defineProperty(out, "safeParse", { value: safeParse, enumerable: false });
  Object.defineProperty(out, "parse", {
    value: (v: unknown) => {
      const r = safeParse(v);
      if (!r.success) throw new SwampError("validation_failed", r.error.message);
      return r.data;
    },
    enumerable: false,
  });
  return out;
}

/** The type's data output specs (resources with their JSON Schema, then files): what a run's reports are given. */
export function describeOutputSpecs(plugin: ModelTypePlugin): OutputSpecDescription[] {
  const specs: OutputSpecDescription[] = [];
  for (const [specName, spec] of Object.entries(plugin.resources ?? {})) {
    specs.push({
      specName,
      kind: "resource",
      ...(spec.description ? { description: spec.description } : {}),
      schema: toJsonSchema(spec.schema),
      lifetime: spec.lifetime,
      garbageCollection: spec.garbageCollection,
      ...(spec.tags ? { tags: spec.tags } : {}),
      ...(spec.sensitiveOutput ? { sensitiveOutput: true } : {}),
    });
  }
  for (const [specName, spec] of Object.entries(plugin.files ?? {})) {
    specs.push({
      specName,
      kind: "file",
      ...(spec.description ? { description: spec.description } : {}),
      contentType: spec.contentType,
      lifetime: spec.lifetime,
      garbageCollection: spec.garbageCollection,
      ...(spec.streaming ? { streaming: true } : {}),
      ...(spec.tags ? { tags: spec.tags } : {}),
    });
  }
  return specs;
}

export function describeModelType(plugin: ModelTypePlugin): TypeDescription {
  return {
    type: { raw: plugin.type, normalized: normalizeModelType(plugin.type) },
    version: plugin.version,
    ...(plugin.globalArguments ? { globalArguments: toJsonSchema(plugin.globalArguments) } : {}),
    dataOutputSpecs: describeOutputSpecs(plugin),
    methods: Object.entries(plugin.methods).map(([name, m]) => ({
      name,
      description: m.description,
      ...(m.kind ? { kind: m.kind } : {}),
      arguments: toJsonSchema(m.arguments),
    })),
    checks: Object.entries(plugin.checks ?? {}).map(([name, c]) => ({
      name,
      description: c.description,
      ...(c.labels ? { labels: c.labels } : {}),
      ...(c.appliesTo ? { appliesTo: c.appliesTo } : {}),
    })),
    reports: plugin.reports ?? [],
  };
}

/** Loads a model type by any spelling (`AWS::EC2::VPC`, `@command/shell`). */
export async function loadModelType(registry: PluginRegistry, type: string): Promise<ModelTypePlugin> {
  const normalized = normalizeModelType(type);
  const entry =
    registry.get("model", normalized) ??
    (normalized.startsWith("@") ? registry.get("model", normalized.slice(1)) : registry.get("model", `@${normalized}`));
  if (!entry) {
    const hint = registry.unresolvedHint("model", normalized);
    const types = registry.list("model").map((e) => e.type);
    const near = nearestTypes(type, types);
    const didYouMean = near.length > 0 ? ` Did you mean ${quotedChoices(near)}?` : "";
    throw new SwampError("unknown_model_type", `Unknown model type: ${type}.${didYouMean} Available types: ${types.join(", ") || "none"}${hint ? `. ${hint}` : ""}`, {
      details: { type, ...(near.length > 0 ? { suggestions: near } : {}), ...(hint ? { hint } : {}) },
    });
  }
  return registry.load("model", entry.type);
}

/** Method kind: declared, else inferred from the method name. */
export function methodKind(name: string, declared?: string): string | undefined {
  if (declared) return declared;
  if (name === "create") return "create";
  if (["get", "read", "describe", "show"].includes(name)) return "read";
  if (["update", "patch"].includes(name)) return "update";
  if (["delete", "destroy", "remove"].includes(name)) return "delete";
  if (["list", "search", "find"].includes(name)) return "list";
  return undefined;
}

export function isMutating(kind: string | undefined): boolean {
  return kind !== "read" && kind !== "list";
}
