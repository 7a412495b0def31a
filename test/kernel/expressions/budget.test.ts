import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ErrorCode, SwampError } from "../../../kernel/contract/errors.js";
import { CEL_STEP_BUDGET, ExpressionBudgetError, evaluateWithBudget, installMeter } from "../../../kernel/expressions/budget.js";
import { ExpressionContext } from "../../../kernel/expressions/context.js";
import { createCelEnvironment, parseCel } from "../../../kernel/expressions/engine.js";
import { evaluateDefinition, resolveRuntimeExpressions } from "../../../kernel/expressions/evaluate.js";

const THOUSAND = `[${Array.from({ length: 1000 }, (_, i) => i).join(",")}]`;
const TEN_MILLION = `${THOUSAND}.map(x, ${THOUSAND}.map(y, [0,1,2,3,4,5,6,7,8,9].map(z, z))).size()`;

const isBudget = (err: unknown) => err instanceof SwampError && err.code === ErrorCode.expressionBudgetExceeded;

test("self-check: cel-js is pinned to the version the meter was written against", () => {
  // budget.ts wraps cel-js internals (Evaluator.run, context.getValue). A new version must be
  // checked by hand, and these tests rerun, before the pin moves.
  const pkg = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8"));
  assert.equal(pkg.dependencies["@marcbachmann/cel-js"], "8.0.0", "an exact version, not a range");
  const entry = createRequire(import.meta.url).resolve("@marcbachmann/cel-js");
  const installed = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")).version;
  assert.equal(installed, "8.0.0");
});

test("self-check: every node is metered; an unmeterable environment is refused loudly", () => {
  const env = createCelEnvironment();
  const tenElements = env.parse("[1,2,3,4,5,6,7,8,9,10].map(x, x * 2)");
  assert.deepEqual(evaluateWithBudget(tenElements, {}, 1_000), [2n, 4n, 6n, 8n, 10n, 12n, 14n, 16n, 18n, 20n]);
  assert.throws(() => evaluateWithBudget(tenElements, {}, 20), isBudget, "ten iterations cost more than 20 steps");
  const fake = { registerFunction: () => undefined, evaluate: () => true } as unknown as Parameters<typeof installMeter>[0];
  assert.throws(() => installMeter(fake), /cel-js internals changed/);
});

test("the budget is a named constant of a few million steps", () => {
  assert.ok(CEL_STEP_BUDGET >= 1_000_000 && CEL_STEP_BUDGET <= 10_000_000, String(CEL_STEP_BUDGET));
});

test("a 10^7-element comprehension fails with expression_budget_exceeded", async () => {
  const ctx = new ExpressionContext({});
  await assert.rejects(ctx.evaluate(TEN_MILLION), (err: unknown) => {
    assert.ok(isBudget(err), String(err));
    assert.match((err as Error).message, /evaluation budget of 5,000,000 steps/);
    return true;
  });
  // An ordinary comprehension of a hundred thousand elements fits.
  const hundred = `[${Array.from({ length: 100 }, (_, i) => i).join(",")}]`;
  assert.equal(await ctx.evaluate(`${THOUSAND}.map(x, ${hundred}.filter(y, y < 1)).size()`), 1000);
});

test("values built by + and function calls cost their size: doubling lists and strings stops", async () => {
  const ctx = new ExpressionContext({});
  // cel.bind(v1, v0 + v0, cel.bind(v2, v1 + v1, … v24)): 2^24 copies of v0.
  const doubling = (seed: string) => {
    let body = "size(v24)";
    for (let i = 24; i >= 1; i--) body = `cel.bind(v${i}, v${i - 1} + v${i - 1}, ${body})`;
    return `cel.bind(v0, ${seed}, ${body})`;
  };
  await assert.rejects(ctx.evaluate(doubling(THOUSAND)), isBudget, "1000 × 2^24 elements");
  await assert.rejects(ctx.evaluate(doubling(`'${"x".repeat(1000)}'`)), isBudget, "1000 × 2^24 characters");
  // 1000 copies of a 50,000-character separator: 50M characters from one call.
  const copies = (n: number) => `[${Array.from({ length: n }, () => "s").join(",")}]`;
  await assert.rejects(ctx.evaluate(`cel.bind(s, '${"x".repeat(1000)}', ${copies(1000)}.join(${copies(50)}.join(''))).size()`), isBudget, "join amplification");
});

test("a budget failure is not absorbed by || or exists", async () => {
  const ctx = new ExpressionContext({});
  await assert.rejects(ctx.evaluate(`${TEN_MILLION} > 0 || true`), isBudget);
  await assert.rejects(ctx.evaluate(`[1, 2].exists(i, ${TEN_MILLION} > 0 || i == 2)`), isBudget);
});

test("a fatal failure from an async function (a nested data.query) is not absorbed either", async () => {
  const env = createCelEnvironment();
  env.registerFunction("nested(): bool", async () => {
    throw new ExpressionBudgetError(10);
  });
  await assert.rejects(Promise.resolve(evaluateWithBudget(env.parse("nested() || true"), {})), isBudget);
  await assert.rejects(Promise.resolve(evaluateWithBudget(env.parse("[1, 2].exists(i, i == 2 || nested())"), {})), isBudget);
});

test("concurrent async evaluations each have their own budget", async () => {
  const env = createCelEnvironment();
  env.registerFunction("later(int): int", async (n: bigint) => n);
  const fifty = `[${Array.from({ length: 50 }, (_, i) => i).join(",")}]`;
  const program = env.parse(`${fifty}.map(x, later(x) + 1).size()`);
  await assert.rejects(Promise.resolve(evaluateWithBudget(program, {}, 250)), isBudget, "one evaluation costs more than 250 steps");
  const results = await Promise.all(Array.from({ length: 5 }, () => evaluateWithBudget(program, {}, 1_000)));
  assert.deepEqual(results, [50n, 50n, 50n, 50n, 50n], "five interleaved evaluations fit 1000 steps each");
});

test("definition phases fail with the budget code and the field path instead of leaving it unresolved", async () => {
  const ctx = new ExpressionContext({});
  const definition = { methods: { run: { arguments: { run: `echo \${{ ${TEN_MILLION} }}`, ok: "${{ 1 + 1 }}" } } } };
  await assert.rejects(evaluateDefinition(definition, ctx), (err: unknown) => {
    assert.ok(isBudget(err), String(err));
    assert.match((err as Error).message, /^Could not evaluate methods\.run\.arguments\.run: Expression exceeded/);
    return true;
  });
  await assert.rejects(resolveRuntimeExpressions({ x: `\${{ env.HOME != "" && ${TEN_MILLION} > 0 }}` }, { env: { HOME: "/h" } }), (err: unknown) => {
    assert.ok(isBudget(err), String(err));
    assert.match((err as Error).message, /^Could not evaluate x: /);
    return true;
  });
});

test("parseCel programs are metered too", () => {
  const env = createCelEnvironment();
  assert.throws(() => parseCel(env, TEN_MILLION).run({}), isBudget);
});
