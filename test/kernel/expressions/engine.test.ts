import { test } from "node:test";
import assert from "node:assert/strict";
import { Optional } from "@marcbachmann/cel-js";
import {
  clearExpressionCache,
  compileExpression,
  createCelEnvironment,
  expressionCacheStats,
  normalizeCelValue,
  parseCel,
} from "../../../kernel/expressions/engine.js";
import { ExpressionContext } from "../../../kernel/expressions/context.js";

const ctx = new ExpressionContext({ inputs: { n: 5, ratio: 0.5, name: "web" }, self: { name: "me", version: 2 } });

test("int ⊕ double arithmetic works in both orders for + - * / %", async () => {
  assert.equal(await ctx.evaluate("1 + 2.5"), 3.5);
  assert.equal(await ctx.evaluate("2.5 + 1"), 3.5);
  assert.equal(await ctx.evaluate("10 - 0.5"), 9.5);
  assert.equal(await ctx.evaluate("0.5 - 10"), -9.5);
  assert.equal(await ctx.evaluate("3 * 1.5"), 4.5);
  assert.equal(await ctx.evaluate("1.5 * 3"), 4.5);
  assert.equal(await ctx.evaluate("7 / 2.0"), 3.5);
  assert.equal(await ctx.evaluate("7.0 / 2"), 3.5);
  assert.equal(await ctx.evaluate("7 % 2.5"), 2);
  assert.equal(await ctx.evaluate("7.5 % 2"), 1.5);
  // JSON numbers from inputs are doubles in cel-js; mixing them with int literals works.
  assert.equal(await ctx.evaluate("inputs.n + 1"), 6);
  assert.equal(await ctx.evaluate("inputs.n * 2"), 10);
  assert.equal(await ctx.evaluate("inputs.ratio * 10"), 5);
  assert.equal(await ctx.evaluate("1 + 1"), 2);
});

test("optional select and orValue; Optional results unwrap to value or null", async () => {
  assert.equal(await ctx.evaluate("inputs.?missing.orValue(1)"), 1);
  assert.equal(await ctx.evaluate("inputs.?n.orValue(1)"), 5);
  assert.equal(await ctx.evaluate("inputs.?missing"), null);
  assert.equal(await ctx.evaluate("inputs.?name"), "web");
});

test("heterogeneous list and map literals are allowed", async () => {
  assert.deepEqual(await ctx.evaluate('{"a": self.name, "b": 1, "c": [1, "x", true]}'), { a: "me", b: 1, c: [1, "x", true] });
  assert.deepEqual(await ctx.evaluate('[1, "a", null, 2.5]'), [1, "a", null, 2.5]);
});

test("native values: ints become numbers, lists, maps, bools, null", async () => {
  assert.equal(await ctx.evaluate("41 + 1"), 42);
  assert.equal(typeof (await ctx.evaluate("41 + 1")), "number");
  assert.deepEqual(await ctx.evaluate("[1, 2, 3].map(x, x * 2)"), [2, 4, 6]);
  assert.equal(await ctx.evaluate("self.version > 1"), true);
  assert.equal(await ctx.evaluate("null"), null);
  assert.equal(await ctx.evaluate("size([1, 2])"), 2);
});

test("normalizeCelValue: bigint safe → number, unsafe stays bigint, Optional, nested, Map, Date", () => {
  assert.equal(normalizeCelValue(5n), 5);
  assert.equal(normalizeCelValue(2n ** 60n), 2n ** 60n);
  assert.equal(normalizeCelValue(Optional.none()), null);
  assert.equal(normalizeCelValue(Optional.of(3n)), 3);
  assert.deepEqual(normalizeCelValue({ a: [1n, { b: Optional.of(2n) }], c: undefined }), { a: [1, { b: 2 }], c: null });
  assert.deepEqual(normalizeCelValue(new Map<string, unknown>([["k", 1n]])), { k: 1 });
  assert.equal(normalizeCelValue(new Date("2026-01-02T03:04:05.000Z")), "2026-01-02T03:04:05.000Z");
});

test("the parse cache parses a given text once", () => {
  clearExpressionCache();
  const a = compileExpression("self.name + '-cached'");
  const b = compileExpression("self.name + '-cached'");
  assert.equal(a, b);
  const stats = expressionCacheStats();
  assert.equal(stats.parses, 1);
  assert.equal(stats.hits, 1);
  assert.equal(stats.size, 1);
});

test("the parse cache is bounded (LRU)", () => {
  clearExpressionCache();
  const limit = expressionCacheStats().limit;
  compileExpression("1 + 0");
  for (let i = 1; i <= limit; i++) compileExpression(`1 + ${i}`);
  const stats = expressionCacheStats();
  assert.equal(stats.size, limit);
  // The oldest entry was evicted: compiling it again is a parse, not a hit.
  compileExpression("1 + 0");
  assert.equal(expressionCacheStats().parses, limit + 2);
});

test("bad syntax throws cel-js ParseError and is not cached", () => {
  clearExpressionCache();
  assert.throws(() => compileExpression("1 +"), { name: "ParseError" });
  assert.equal(expressionCacheStats().size, 0);
});

test("createCelEnvironment: same options and overloads, no swamp namespaces", () => {
  const env = createCelEnvironment();
  const evaluate = (text: string, activation: Record<string, unknown>) => parseCel(env, text).run(activation);
  assert.equal(evaluate("1 + 2.5", {}), 3.5);
  assert.equal(evaluate("x.?y.orValue(7)", { x: {} }), 7n);
  assert.deepEqual(evaluate('{"a": 1, "b": "two"}', {}), { a: 1n, b: "two" });
  assert.throws(() => evaluate('data.latest("a", "b")', { data: {} }));
  // Callers can keep registering on their own environment.
  env.registerFunction("twice(int): int", (n: bigint) => n * 2n);
  assert.equal(evaluate("twice(21)", {}), 42n);
  // Evaluating around the budget is refused.
  assert.throws(() => env.evaluate("1 + 1", {}), /without a budget/);
});
