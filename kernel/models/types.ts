/**
 * Model types as the rest of the kernel sees them: looked up in the plugin registry by
 * normalized name, and described with JSON Schema (what `model type describe`, `model create`
 * and `model validate` show), whether the type is a builtin or an extension.
 */
import * as z from "zod";
import { SwampError } from "../contract/errors.js";
import type { ModelTypePlugin } from "../contract/ports/model-type.js";
import type { PluginRegistry } from "../runtime/registry.js";
import { normalizeModelType } from "../data/names.js";

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

/** Zod → JSON Schema; non-zod values (already JSON Schema, from workers) pass through. */
export function toJsonSchema(schema: unknown): JsonSchema {
  if (schema && typeof schema === "object" && "_zod" in schema) {
    const out = z.toJSONSchema(schema as z.ZodType, { unrepresentable: "any", io: "input" }) as JsonSchema;
    delete out.$schema;
    return out;
  }
  return (schema as JsonSchema) ?? {};
}

export function describeModelType(plugin: ModelTypePlugin): TypeDescription {
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
  return {
    type: { raw: plugin.type, normalized: normalizeModelType(plugin.type) },
    version: plugin.version,
    ...(plugin.globalArguments ? { globalArguments: toJsonSchema(plugin.globalArguments) } : {}),
    dataOutputSpecs: specs,
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
  const entry = registry.get("model", normalized) ?? (normalized.startsWith("@") ? registry.get("model", normalized.slice(1)) : undefined);
  if (!entry) {
    const available = registry.list("model").map((e) => e.type).join(", ") || "none";
    throw new SwampError("unknown_model_type", `Unknown model type: ${type}. Available types: ${available}`, { details: { type } });
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
