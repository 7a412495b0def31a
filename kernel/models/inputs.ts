/**
 * Definition `inputs`: a JSON Schema for runtime parameters. `--input` values arrive as
 * strings and are coerced by the declared property types, nested ones included; defaults fill
 * missing keys; every name in `required` must be given (or have a default), whether or not the
 * running method uses it.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { linearRegExp } from "./schema-regex.js";
import { SwampError } from "../contract/errors.js";
import { importLib } from "../contract/import-module.js";

export interface InputsSchemaLike {
  type?: string;
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: unknown;
  [key: string]: unknown;
}

/** A flat `{name: {type…}}` map is accepted as shorthand for `{properties: …}`. */
export function normalizeInputsSchema(schema: InputsSchemaLike): InputsSchemaLike {
  if (schema.properties || schema.type === "object") return { type: "object", ...schema };
  return { type: "object", properties: schema as Record<string, Record<string, unknown>> };
}

/** Coerces one string value to the declared JSON Schema type; anything unparseable is left as is. */
export function coerceValue(value: unknown, type: unknown): unknown {
  if (typeof value !== "string") return value;
  switch (type) {
    case "number": {
      const n = Number(value);
      return value.trim() !== "" && Number.isFinite(n) ? n : value;
    }
    case "integer": {
      const n = Number(value);
      return value.trim() !== "" && Number.isFinite(n) ? Math.trunc(n) : value;
    }
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "array":
    case "object":
      try {
        const parsed: unknown = JSON.parse(value);
        if (type === "array" ? Array.isArray(parsed) : parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
      } catch {
        // keep the string; validation reports the type mismatch
      }
      return value;
    default:
      return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Coerces `value` by `schema`, all the way down: object properties by their own schemas (or
 * by `additionalProperties` when it is a schema), array elements by `items`.
 */
export function coerceBySchema(value: unknown, schema: unknown): unknown {
  if (!isPlainObject(schema)) return value;
  const coerced = coerceValue(value, schema.type);
  if (Array.isArray(coerced)) return isPlainObject(schema.items) ? coerced.map((item) => coerceBySchema(item, schema.items)) : coerced;
  if (!isPlainObject(coerced)) return coerced;
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const extra = isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  // fromEntries defines each key as data (a `__proto__` key from JSON stays a plain key).
  return Object.fromEntries(Object.entries(coerced).map(([key, v]) => [key, coerceBySchema(v, Object.hasOwn(properties, key) ? properties[key] : extra)]));
}

function describe(err: ErrorObject): string {
  const path = err.instancePath.replace(/^\//, "").replace(/\//g, ".");
  switch (err.keyword) {
    case "required":
      return `${path ? `${path}.` : ""}${(err.params as { missingProperty: string }).missingProperty} is required`;
    case "additionalProperties":
      return `${path ? `${path}.` : ""}${(err.params as { additionalProperty: string }).additionalProperty} is not a valid input property`;
    case "enum":
      return `${path} must be one of: ${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(", ")}`;
    case "type": {
      const t = (err.params as { type: string }).type;
      return t === "integer" ? `${path} must be an integer` : `${path} must be a ${t}`;
    }
    default:
      return `${path || "input"} ${err.message ?? "is invalid"}`;
  }
}

/** Compiled validators by schema text: a schema is compiled once per process. */
const compiled = new Map<string, ValidateFunction>();

async function validatorFor(schema: InputsSchemaLike): Promise<ValidateFunction> {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    const { default: Ajv } = await importLib<{ default: new (o: object) => { compile(s: object): ValidateFunction } }>("ajv");
    validate = new Ajv({ allErrors: true, useDefaults: true, strict: false, code: { regExp: linearRegExp } }).compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Applies the schema's defaults to `values` (in place) and validates them: the problems, one
 * line each (`env is required`), empty when the values pass.
 */
export async function inputProblems(schema: InputsSchemaLike, values: Record<string, unknown>): Promise<string[]> {
  const validate = await validatorFor(schema);
  if (validate(values)) return [];
  return [...new Set((validate.errors ?? []).map(describe))];
}

/** Coerces, defaults and validates `values` against the definition's inputs schema. */
export async function resolveInputs(rawSchema: InputsSchemaLike, values: Record<string, unknown>): Promise<Record<string, unknown>> {
  const schema = normalizeInputsSchema(rawSchema);
  const coerced = coerceBySchema(values, schema) as Record<string, unknown>;
  const messages = await inputProblems(schema, coerced);
  if (messages.length) {
    throw new SwampError("input_validation_failed", `Input validation failed: ${messages.join("; ")}`, { details: { errors: messages } });
  }
  return coerced;
}

/** Names declared in the inputs schema. */
export function declaredInputNames(rawSchema: InputsSchemaLike | undefined): string[] {
  if (!rawSchema) return [];
  return Object.keys(normalizeInputsSchema(rawSchema).properties ?? {});
}
