import { test } from "node:test";
import assert from "node:assert/strict";
import { coerceBySchema, resolveInputs } from "../../../kernel/models/inputs.js";

test("coerceBySchema: nested properties, additionalProperties schemas and array items", () => {
  const schema = {
    type: "object",
    properties: {
      config: { type: "object", properties: { verbose: { type: "boolean" }, retries: { type: "integer" } }, additionalProperties: { type: "number" } },
      ports: { type: "array", items: { type: "integer" } },
      name: { type: "string" },
    },
  };
  assert.deepEqual(coerceBySchema({ config: { verbose: "true", retries: "3.7", ratio: "0.5" }, ports: '["80", "443"]', name: "42", other: "true" }, schema), {
    config: { verbose: true, retries: 3, ratio: 0.5 },
    ports: [80, 443],
    name: "42",
    other: "true",
  });
  // Values that do not parse stay as given: validation names the problem.
  assert.deepEqual(coerceBySchema({ config: { verbose: "yes" } }, schema), { config: { verbose: "yes" } });
  assert.equal(coerceBySchema("x", undefined), "x");
});

test("resolveInputs: every required name is required; defaults fill nested objects", async () => {
  const schema = { properties: { environment: { type: "string" }, config: { type: "object", properties: { verbose: { type: "boolean", default: false } } } }, required: ["environment"] };
  await assert.rejects(resolveInputs(schema, {}), { code: "input_validation_failed", message: "Input validation failed: environment is required" });
  assert.deepEqual(await resolveInputs(schema, { environment: "dev", config: {} }), { environment: "dev", config: { verbose: false } });
  assert.deepEqual(await resolveInputs(schema, { environment: "dev", config: { verbose: "true" } }), { environment: "dev", config: { verbose: true } });
});

test("coerceBySchema keeps a __proto__ key from JSON as data", () => {
  const value = JSON.parse('{"config": {"__proto__": {"verbose": "true"}}}') as Record<string, unknown>;
  const out = coerceBySchema(value, { type: "object", properties: { config: { type: "object" } } }) as { config: Record<string, unknown> };
  assert.equal(Object.getPrototypeOf(out.config), Object.prototype);
  assert.deepEqual(Object.keys(out.config), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).verbose, undefined);
});
