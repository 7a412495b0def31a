import { test } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { argumentKeys, coerceArguments } from "../../../kernel/models/arguments.js";
import { toJsonSchema } from "../../../kernel/models/types.js";

const fields = {
  count: z.number().optional(),
  whole: z.int().default(1),
  on: z.boolean(),
  list: z.array(z.string()).optional(),
  map: z.record(z.string(), z.number()).optional(),
  name: z.string(),
  either: z.union([z.string(), z.number()]).optional(),
};

const schemas: Record<string, unknown> = {
  object: z.object(fields),
  strict: z.strictObject(fields),
  loose: z.looseObject(fields),
  catchall: z.object(fields).catchall(z.string()),
  record: z.record(z.string(), z.string()),
  union: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
  jsonSchema: { type: "object", properties: { count: { type: "number" }, on: { type: "boolean" } }, required: ["on"] },
};

/** The answers read from the whole schema's JSON Schema form, as every schema was once handled. */
function keysViaJsonSchema(schema: unknown): string[] | null {
  const json = toJsonSchema(schema);
  if (json.type !== "object" || !json.properties) return null;
  if (json.additionalProperties && typeof json.additionalProperties === "object") return null;
  return Object.keys(json.properties);
}

test("zod object arguments are listed and typed from their shape, as their JSON Schema says", () => {
  const values = { count: "3", whole: "4.7", on: "true", list: '["a"]', map: '{"x":1}', name: "42", either: "5", extra: "7", constructor: "1", bad: "${{ inputs.x }}" };
  for (const [label, schema] of Object.entries(schemas)) {
    assert.deepEqual(argumentKeys(schema), keysViaJsonSchema(schema), label);
    const props = toJsonSchema(schema).properties ?? {};
    const expected = Object.fromEntries(
      Object.entries(values).map(([k, v]) => {
        const type = Object.hasOwn(props, k) ? props[k]?.type : undefined;
        const coerced = k === "bad" ? v : type === "number" ? Number(v) : type === "integer" ? Math.trunc(Number(v)) : type === "boolean" ? v === "true" : type === "array" || type === "object" ? JSON.parse(v) : v;
        return [k, coerced];
      }),
    );
    assert.deepEqual(coerceArguments(schema, values), expected, label);
  }
  assert.deepEqual(argumentKeys(schemas.object), ["count", "whole", "on", "list", "map", "name", "either"]);
  assert.equal(argumentKeys(schemas.loose), null);
  assert.deepEqual(coerceArguments(schemas.object, { count: "3", on: "false", list: "[1]" }), { count: 3, on: false, list: [1] });
  assert.deepEqual(coerceArguments(undefined, { count: "3" }), { count: "3" });
});
