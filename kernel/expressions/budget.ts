/**
 * The evaluation budget of CEL. Without one, `L.map(x, L.map(y, …))` over 1000-element
 * literals builds 10^7+ elements (hundreds of MB, seconds of a blocked event loop) and list
 * doubling through `cel.bind` grows exponentially.
 *
 * Every AST node evaluated costs one step, and a value built by `+` or a function call costs
 * its size as well (list length, map size, string length / STRING_CHARS_PER_STEP). An
 * evaluation past CEL_STEP_BUDGET fails with `expression_budget_exceeded`; so does any
 * evaluation that hit the budget (or an invalid regex) on the way, even when CEL's error
 * absorption (`||`, `exists`) would have produced a value.
 *
 * cel-js has no hook for this. Its Evaluator dispatches every node below the root through
 * `evaluator.run(ast, ctx)`, and `ctx.getValue(key)` reads the activation through macro
 * scopes; we wrap `run` on each environment's evaluator and keep the meter under a symbol
 * key in the activation, so concurrent (async) evaluations each charge their own. These are
 * internals: package.json pins cel-js exactly, installMeter checks that metering works
 * when an environment is made, and test/kernel/expressions/budget.test.ts checks it too.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { ErrorCode, SwampError } from "../contract/errors.js";

/** Steps one evaluation may take (about a second of work, a few tens of MB at most). */
export const CEL_STEP_BUDGET = 5_000_000;

/** Characters (or bytes) of a built string (or bytes value) that cost one step. */
export const STRING_CHARS_PER_STEP = 8;

/** Node kinds whose result is a freshly built value, charged by its size. */
const BUILDING_OPS = new Set(["+", "call", "rcall"]);

const METER = Symbol("swamp.celMeter");

/** An evaluation that ran past its budget: code `expression_budget_exceeded`. */
export class ExpressionBudgetError extends SwampError {
  constructor(limit: number) {
    super(
      ErrorCode.expressionBudgetExceeded,
      `Expression exceeded the evaluation budget of ${limit.toLocaleString("en-US")} steps ` +
        `(too many comprehension iterations or too large a value); simplify it or split the work`,
      { details: { budget: limit } },
    );
    this.name = "ExpressionBudgetError";
  }
}

/** Errors that end an evaluation whatever the expression does with them. */
export function isFatalExpressionError(err: unknown): err is SwampError {
  return err instanceof SwampError && (err.code === ErrorCode.expressionBudgetExceeded || err.code === ErrorCode.invalidRegex);
}

class Meter {
  steps = 0;
  failure: SwampError | undefined;
  constructor(readonly limit: number) {}

  charge(n: number): void {
    this.steps += n;
    if (this.steps > this.limit) throw (this.failure ??= new ExpressionBudgetError(this.limit));
  }

  /** The result, unless the evaluation failed fatally on the way. */
  settle<T>(value: T): T {
    if (this.failure) throw this.failure;
    return value;
  }

  /** The error to report for `err`: the first fatal failure wins. */
  reason(err: unknown): unknown {
    return this.failure ?? err;
  }
}

function sizeOf(value: unknown): number {
  if (typeof value === "string") return Math.floor(value.length / STRING_CHARS_PER_STEP);
  if (typeof value !== "object" || value === null) return 0;
  if (Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return Math.floor(value.length / STRING_CHARS_PER_STEP);
  if (value instanceof Map || value instanceof Set) return value.size;
  return 0;
}

interface EvaluatorInternals {
  run(ast: { op: string }, ctx: ContextInternals): unknown;
}
interface ContextInternals {
  getValue(key: unknown): unknown;
}

const PROBE = "swampEvaluatorProbe";
const internalsChanged = (what: string) =>
  new Error(`@marcbachmann/cel-js internals changed (${what}): CEL evaluation cannot be metered; update kernel/expressions/budget.ts`);

/**
 * Meter every evaluation on `env` (call once, before any other evaluation). Throws when
 * cel-js no longer has the shape this relies on.
 */
export function installMeter(env: Environment): void {
  let evaluator: EvaluatorInternals | undefined;
  env.registerFunction(`${PROBE}(): bool`, function (this: EvaluatorInternals) {
    evaluator ??= this;
    return true;
  });
  env.evaluate(`${PROBE}()`);
  const original = evaluator?.run;
  if (!evaluator || typeof original !== "function") throw internalsChanged("no evaluator.run");

  evaluator.run = function meteredRun(ast, ctx) {
    const meter = ctx.getValue(METER);
    if (!(meter instanceof Meter)) throw new Error("internal: CEL evaluated without a budget (use evaluateWithBudget)");
    meter.charge(1);
    const record = (err: unknown): never => {
      if (isFatalExpressionError(err)) meter.failure ??= err;
      throw err;
    };
    let value: unknown;
    try {
      value = original.call(this, ast, ctx);
    } catch (err) {
      record(err);
    }
    const building = BUILDING_OPS.has(ast.op);
    if (value instanceof Promise) return value.then((v: unknown) => (building && meter.charge(sizeOf(v)), v), record);
    if (building) meter.charge(sizeOf(value));
    return value;
  };

  // Self-check: a three-element map must cost more than three steps.
  let counted = 0;
  try {
    const probe = env.parse("[1, 2, 3].map(x, x)");
    const activation: Record<PropertyKey, unknown> = {};
    const meter = new Meter(Number.MAX_SAFE_INTEGER);
    activation[METER] = meter;
    probe(activation);
    counted = meter.steps;
  } catch (err) {
    throw internalsChanged(err instanceof Error ? err.message : String(err));
  }
  if (counted <= 3) throw internalsChanged("nodes are not dispatched through evaluator.run");
}

/**
 * Run a parsed program against an activation under a budget of `limit` steps. The
 * activation object gains a hidden (symbol) key. Returns what cel-js returns: a value, or a
 * Promise once an async function was involved.
 */
export function evaluateWithBudget(
  program: (activation: Record<string, unknown>) => unknown,
  activation: Record<string, unknown>,
  limit: number = CEL_STEP_BUDGET,
): unknown {
  const meter = new Meter(limit);
  (activation as Record<PropertyKey, unknown>)[METER] = meter;
  let result: unknown;
  try {
    result = program(activation);
  } catch (err) {
    throw meter.reason(err);
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => meter.settle(value),
      (err: unknown) => {
        throw meter.reason(err);
      },
    );
  }
  return meter.settle(result);
}
