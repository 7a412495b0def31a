import { test } from "node:test";
import assert from "node:assert/strict";
import { validateJsonSchema } from "../../../kernel/models/types.js";
import { resolveInputs } from "../../../kernel/models/inputs.js";

test("JSON Schema patterns: each schema keeps its own pattern, checked on RE2", () => {
  // ajv shares compiled patterns between schemas by their text: a second schema must not reuse the first's.
  const absolute = { type: "object", properties: { path: { type: "string", pattern: "^\\/" } }, required: ["path"] };
  const digits = { type: "object", properties: { n: { type: "string", pattern: "^[0-9]+$" } } };
  assert.equal(validateJsonSchema(digits, { n: "12" }).success, true);
  assert.equal(validateJsonSchema(digits, { n: "x" }).success, false);
  assert.equal(validateJsonSchema(absolute, { path: "" }).success, false);
  assert.equal(validateJsonSchema(absolute, { path: "relative" }).success, false);
  assert.equal(validateJsonSchema(absolute, { path: "/abs" }).success, true);
  const evil = { type: "object", properties: { w: { type: "string", pattern: "^(a+)+$" } } };
  assert.equal(validateJsonSchema(evil, { w: `${"a".repeat(40)}!` }).success, false, "linear time, so this returns at all");
});

test("definition inputs: patterns of two schemas are not confused", async () => {
  await resolveInputs({ properties: { a: { type: "string", pattern: "^a+$" } } }, { a: "aaa" });
  await assert.rejects(resolveInputs({ properties: { b: { type: "string", pattern: "^b+$" } } }, { b: "aaa" }));
  await resolveInputs({ properties: { b: { type: "string", pattern: "^b+$" } } }, { b: "bb" });
});
