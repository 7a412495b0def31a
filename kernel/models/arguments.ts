/**
 * Global and method arguments against a model type's schemas. Builtins declare zod schemas;
 * extension types (across the worker boundary) declare JSON Schema. Both are handled through
 * their JSON Schema form for key listing and string coercion, and validated natively.
 */
import * as z from "zod";
import { SwampError } from "../contract/errors.js";
import type { ModelTypePlugin } from "../contract/ports/model-type.js";
import { coerceValue } from "./inputs.js";
import { toJsonSchema, validateJsonSchema, type JsonSchema } from "./types.js";

const EXPRESSION = /\$\{\{[\s\S]*?\}\}/;

export function containsExpression(value: unknown): boolean {
  if (typeof value === "string") return EXPRESSION.test(value);
  if (Array.isArray(value)) return value.some(containsExpression);
  if (value && typeof value === "object") return Object.values(value).some(containsExpression);
  return false;
}

function isZod(schema: unknown): schema is z.ZodType {
  return !!schema && typeof schema === "object" && "_zod" in schema;
}

/**
 * A zod object's own shape, read directly: converting the whole schema to JSON Schema only to
 * list its keys or type a few values costs more than the rest of argument handling.
 */
function zodObjectShape(schema: unknown): Record<string, z.ZodType> | undefined {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : undefined;
}

/** Declared argument names, or null when the schema accepts any key (none, a record, or an object with a catchall). */
export function argumentKeys(schema: unknown): string[] | null {
  if (!schema) return null;
  const shape = zodObjectShape(schema);
  if (shape) {
    const catchall = (schema as z.ZodObject)._zod.def.catchall;
    return catchall && catchall._zod.def.type !== "never" ? null : Object.keys(shape);
  }
  const json = toJsonSchema(schema);
  if (json.type !== "object" || !json.properties) return null;
  if (json.additionalProperties && typeof json.additionalProperties === "object") return null;
  return Object.keys(json.properties);
}

/** The JSON Schema type declared for one argument, if any. */
function argumentType(schema: unknown, key: string): unknown {
  const shape = zodObjectShape(schema);
  if (shape) return Object.hasOwn(shape, key) ? toJsonSchema(shape[key]).type : undefined;
  const props = toJsonSchema(schema).properties ?? {};
  return Object.hasOwn(props, key) ? props[key]?.type : undefined;
}

/** Converts string values to the types the schema declares (numbers, booleans, JSON). */
export function coerceArguments(schema: unknown, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = containsExpression(value) || !schema ? value : coerceValue(value, argumentType(schema, key));
  }
  return out;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
}

/** Validates with the native schema; `partial` treats every declared field as optional. */
function parseWith(schema: unknown, values: Record<string, unknown>, partial: boolean): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (isZod(schema)) {
    const target = partial && schema instanceof z.ZodObject ? schema.partial() : schema;
    const result = target.safeParse(values);
    return result.success ? { ok: true, value: result.data as Record<string, unknown> } : { ok: false, message: formatIssues(result.error) };
  }
  // JSON Schema (extension types, described across the worker boundary): validated with ajv.
  if (schema && typeof schema === "object" && Object.keys(schema).length > 0) {
    const result = validateJsonSchema(schema as JsonSchema, values, { partial });
    return result.success ? { ok: true, value: result.data } : { ok: false, message: result.error.message };
  }
  return { ok: true, value: values };
}

function unknownKeys(schema: unknown, values: Record<string, unknown>): { unknown: string[]; valid: string[] } | null {
  const keys = argumentKeys(schema);
  if (!keys) return null;
  const unknown = Object.keys(values).filter((k) => !keys.includes(k));
  return unknown.length ? { unknown, valid: keys } : null;
}

/** Checks global arguments: unknown keys always; values only when none holds an expression. */
export function validateGlobalArguments(plugin: ModelTypePlugin, values: Record<string, unknown>, options: { partial: boolean }): Record<string, unknown> {
  if (!plugin.globalArguments) return values;
  const bad = unknownKeys(plugin.globalArguments, values);
  if (bad) {
    throw new SwampError(
      "validation_failed",
      `Unknown global argument(s) for type '${plugin.type}': ${bad.unknown.join(", ")}. Valid arguments are: ${bad.valid.join(", ") || "none"}`,
    );
  }
  if (containsExpression(values)) return values;
  const parsed = parseWith(plugin.globalArguments, coerceArguments(plugin.globalArguments, values), options.partial);
  if (!parsed.ok) throw new SwampError("validation_failed", `Invalid global arguments for type '${plugin.type}': ${parsed.message}`);
  return parsed.value;
}

/**
 * The method's arguments with static global arguments merged underneath (a shell `run` may
 * live in globalArguments). Only keys the method declares are taken from globals; a method
 * whose schema is open (a record, or none) gets no globals at all.
 */
export function withGlobalsMerged(plugin: ModelTypePlugin, method: string, globals: Record<string, unknown>, args: Record<string, unknown>): Record<string, unknown> {
  const keys = argumentKeys(plugin.methods[method]?.arguments);
  if (!keys) return args;
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(globals)) if (keys.includes(k) && !containsExpression(v)) merged[k] = v;
  return { ...merged, ...args };
}

/** Checks one method's arguments (unknown keys, then the schema unless expressions remain). */
export function validateMethodArguments(
  plugin: ModelTypePlugin,
  method: string,
  values: Record<string, unknown>,
  options: { partial: boolean },
): Record<string, unknown> {
  const def = plugin.methods[method];
  if (!def) throw unknownMethod(plugin, method);
  const bad = unknownKeys(def.arguments, values);
  if (bad) {
    throw new SwampError(
      "validation_failed",
      `Method "${method}": Unknown argument(s): ${bad.unknown.join(", ")}. Valid arguments are: ${bad.valid.join(", ") || "none"}`,
    );
  }
  if (containsExpression(values)) return values;
  const parsed = parseWith(def.arguments, coerceArguments(def.arguments, values), options.partial);
  if (!parsed.ok) throw new SwampError("validation_failed", `Method "${method}": ${parsed.message}`);
  return parsed.value;
}

export function unknownMethod(plugin: ModelTypePlugin, method: string): SwampError {
  return new SwampError(
    "unknown_method",
    `Unknown method '${method}' for type '${plugin.type}'. Available methods: ${Object.keys(plugin.methods).join(", ")}`,
    { details: { method, type: plugin.type } },
  );
}
