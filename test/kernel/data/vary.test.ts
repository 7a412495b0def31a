import { test } from "node:test";
import assert from "node:assert/strict";
import { composeVaryName, encodeVaryValue } from "../../../kernel/data/vary.js";
import { composeDataName } from "../../../kernel/expressions/context.js";

test("vary values: scalars become text, objects their key, else name, else id", () => {
  assert.equal(encodeVaryValue("prod"), "prod");
  assert.equal(encodeVaryValue(3), "3");
  assert.equal(encodeVaryValue(1.5), "1.5");
  assert.equal(encodeVaryValue(7n), "7");
  assert.equal(encodeVaryValue(false), "false");
  assert.equal(encodeVaryValue({ key: "eu", value: { x: 1 } }), "eu");
  assert.equal(encodeVaryValue({ name: "web", id: "i-1" }), "web");
  assert.equal(encodeVaryValue({ id: 42 }), "42");
  assert.equal(encodeVaryValue({ key: null, name: "n" }), "n", "a null key falls through to name");
  assert.equal(composeVaryName("result", ["dev", "us-east-1"]), "result-dev-us-east-1");
  assert.equal(composeVaryName("result", []), "result");
  assert.equal(composeVaryName("result", undefined), "result");
});

test("vary values that would need escaping or have no identity are rejected with one message", () => {
  const cases: Array<[unknown, RegExp]> = [
    ["", /must not be empty/],
    ["  ", /must not be empty/],
    [".", /must not be "\." or contain "\.\."/],
    ["..", /must not be "\." or contain "\.\."/],
    ["a..b", /contain "\.\."/],
    ["a/b", /must not contain "\/", "\\" or NUL/],
    ["a\\b", /must not contain/],
    ["a\0b", /must not contain/],
    [null, /expected a string, number, boolean/],
    [undefined, /expected a string, number, boolean/],
    [["a"], /expected a string, number, boolean/],
    [{ other: 1 }, /an object needs a key, name or id field/],
    [{ key: { nested: 1 } }, /expected a string, number, boolean/],
    [{ name: "a/b" }, /must not contain/],
    [Number.NaN, /must be finite/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => encodeVaryValue(value), (err: Error & { code?: string }) => {
      assert.equal(err.code, "validation_failed");
      assert.match(err.message, /^Invalid vary value /);
      assert.match(err.message, pattern);
      return true;
    }, `rejects ${String(value)}`);
  }
});

test("the read side composes exactly what the write side composes, and fails the same way", () => {
  const values = ["prod", 2, { key: "eu-west-1" }, true];
  assert.equal(composeDataName("result", values), composeVaryName("result", values));
  assert.equal(composeDataName("result", values), "result-prod-2-eu-west-1-true");
  for (const bad of ["a/b", "", { other: 1 }]) {
    let writeMessage = "";
    try {
      composeVaryName("result", [bad], 'for data "result"');
    } catch (err) {
      writeMessage = (err as Error).message;
    }
    assert.throws(() => composeDataName("result", [bad]), (err: Error & { code?: string }) => {
      assert.equal(err.code, "expression_failed");
      assert.equal(err.message, writeMessage);
      return true;
    });
  }
});
