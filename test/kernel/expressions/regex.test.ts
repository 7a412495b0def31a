import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ErrorCode, SwampError } from "../../../kernel/contract/errors.js";
import { ExpressionContext } from "../../../kernel/expressions/context.js";
import { createCelEnvironment, errorSummary, parseCel } from "../../../kernel/expressions/engine.js";
import { regexMatches } from "../../../kernel/expressions/regex.js";

const isInvalidRegex = (err: unknown) => err instanceof SwampError && err.code === ErrorCode.invalidRegex;
const ctx = new ExpressionContext({ inputs: { name: "web-01", n: 3 } });

test("re2js is loaded only when an expression uses matches", () => {
  const engine = new URL("../../../kernel/expressions/engine.js", import.meta.url).href;
  const regex = new URL("../../../kernel/expressions/regex.js", import.meta.url).href;
  const script = `
    const { createCelEnvironment, parseCel } = await import(${JSON.stringify(engine)});
    const { regexEngineLoaded } = await import(${JSON.stringify(regex)});
    const env = createCelEnvironment();
    const before = [parseCel(env, "'a' + 'b'").run({}), regexEngineLoaded()];
    const program = parseCel(env, "'ab'.matches('b$')");
    const after = [await program.run({}), regexEngineLoaded(), program.run({})];
    console.log(JSON.stringify([before, after]));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  assert.deepEqual(JSON.parse(out), [["ab", false], [true, true, true]], "the first run waits for re2js, later runs are synchronous");
});

test("catastrophic backtracking patterns run in linear time with the right answer", async () => {
  const evil = `${"a".repeat(38)}!`;
  assert.equal(await ctx.evaluate(`'${evil}'.matches('^(a+)+$')`), false);
  assert.equal(await ctx.evaluate(`'${"a".repeat(38)}'.matches('^(a+)+$')`), true);
  assert.equal(regexMatches(`${"x".repeat(100_000)}y`, "(x+x+)+y"), true);
  assert.equal(regexMatches("x".repeat(100_000), "(x+x+)+y"), false);
});

test("RE2 semantics: unanchored search, (?i) flags, classes, dyn receivers", async () => {
  assert.equal(await ctx.evaluate("'abc'.matches('b')"), true);
  assert.equal(await ctx.evaluate("'abc'.matches('^b')"), false);
  assert.equal(await ctx.evaluate("'Prod'.matches('(?i)^prod$')"), true);
  assert.equal(await ctx.evaluate("inputs.name.matches('^[a-z]+-\\\\d{2}$')"), true);
  assert.deepEqual(await ctx.evaluate("['a1', 'b', 'c3'].filter(s, s.matches('[0-9]'))"), ["a1", "c3"]);
  assert.equal(await ctx.evaluate("['x', 'y'].exists(s, s.matches('y'))"), true);
  assert.equal(await ctx.evaluate("cel.bind(p, '^w', inputs.name.matches(p))"), true);
});

test("patterns RE2 cannot compile fail with invalid_regex naming the pattern", async () => {
  for (const pattern of ["(a)\\\\1", "a(?=b)", "(?<=a)b", "(?!a)", "["]) {
    await assert.rejects(ctx.evaluate(`'ab'.matches('${pattern}')`), (err: unknown) => {
      assert.ok(isInvalidRegex(err), `${pattern}: ${String(err)}`);
      assert.match((err as Error).message, /^Invalid regular expression '/);
      assert.match((err as Error).message, /RE2 syntax/);
      return true;
    });
  }
  // A literal pattern is checked before evaluation, so an untaken branch still fails.
  await assert.rejects(ctx.evaluate("false && 'a'.matches('(?=a)')"), isInvalidRegex);
  // Never absorbed by || or exists, unlike ordinary evaluation errors.
  await assert.rejects(ctx.evaluate("cel.bind(p, '(?=a)', 'a'.matches(p) || true)"), isInvalidRegex);
  await assert.rejects(ctx.evaluate("'a'.matches('(?=a)') || true"), isInvalidRegex);
  await assert.rejects(ctx.evaluate("['a', 'b'].exists(s, s == 'b' || s.matches('(?=a)'))"), isInvalidRegex);
});

test("type errors still name matches, not the internal function", async () => {
  await assert.rejects(ctx.evaluate("inputs.n.matches('a')"), (err: unknown) => {
    assert.match(errorSummary(err), /'double\.matches\(string\)'/);
    return true;
  });
  const env = createCelEnvironment();
  assert.throws(() => parseCel(env, "1.matches('a')").run({}), /no matching overload/);
});
