/**
 * The CEL engine: one configured cel-js Environment, the parsed-expression cache, the swamp
 * namespace types (`data`, `file`) and result normalisation at the boundary.
 *
 * cel-js evaluates synchronously until a registered function returns a Promise; from then on
 * `program(activation)` returns a Promise. The swamp `data.*` / `file.contents` handlers
 * return a cached value when it was prefetched and a Promise otherwise (see context.ts).
 *
 * Every evaluation goes through `parseCel` → `CelProgram.run`: linear-time RE2 `matches`
 * (regex.ts) and the step budget (budget.ts).
 */
import { Environment, Optional, ParseError } from "@marcbachmann/cel-js";
import type { ASTNode } from "@marcbachmann/cel-js";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { analyzeAst } from "./ast.js";
import { newCelEnvironment } from "./cel-environment.js";
import type { ExpressionAnalysis } from "./ast.js";
import { evaluateWithBudget, installMeter } from "./budget.js";
import { rewriteHyphenatedModelNames } from "./extract.js";
import { checkPattern, loadRegexEngine, RE2_MATCHES, regexEngineLoaded, registerRegexFunctions, rewriteRegexCalls } from "./regex.js";

/** Error code of every expression failure we raise. */
export const EXPRESSION_FAILED = ErrorCode.expressionFailed;

/** A SwampError with code `expression_failed`. */
export class ExpressionError extends SwampError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(EXPRESSION_FAILED, message, { details, cause });
    this.name = "ExpressionError";
  }
}

/**
/**
 * A fresh Environment with swamp's options (cel-environment.ts), the RE2 `matches` and the
 * evaluation meter. No swamp namespaces: callers may register their own variables and
 * functions on it. Evaluate only through `parseCel(env, …).run`.
 */
export function createCelEnvironment(): Environment {
  const env = newCelEnvironment(Environment);
  registerRegexFunctions(env);
  installMeter(env);
  return env;
}

/** A parsed expression of one environment, evaluated under the budget. */
export interface CelProgram {
  readonly ast: ASTNode;
  /**
   * Undefined when `run` can start now; otherwise resolves once what it needs (re2js) is
   * loaded, or rejects with `invalid_regex` for a literal pattern RE2 cannot compile.
   */
  ready(): Promise<void> | undefined;
  /**
   * Evaluate against an activation (which gains a hidden key): a value, or a Promise when an
   * async function was involved or `ready()` was not awaited. Throws (or rejects with)
   * `expression_budget_exceeded`, `invalid_regex`, or cel-js's own errors.
   */
  run(activation: Record<string, unknown>): unknown;
}

/** Parse CEL text on an environment made by createCelEnvironment. Throws ParseError. */
export function parseCel(env: Environment, text: string): CelProgram {
  const program = env.parse(text);
  const regexes = rewriteRegexCalls(program.ast);
  let prepared = regexes === null;
  const prepare = (): void => {
    for (const pattern of regexes?.literals ?? []) checkPattern(pattern);
    prepared = true;
  };
  const ready = (): Promise<void> | undefined => (prepared ? undefined : loadRegexEngine().then(prepare));
  return {
    ast: program.ast,
    ready,
    run(activation) {
      if (!prepared) {
        if (!regexEngineLoaded()) return loadRegexEngine().then(() => (prepare(), evaluateWithBudget(program, activation)));
        prepare();
      }
      return evaluateWithBudget(program, activation);
    },
  };
}

/** What the `data` namespace object forwards to (implemented in context.ts). */
export interface DataFunctions {
  latest(model: string, name: string, vary?: readonly unknown[]): unknown;
  version(model: string, name: string, vary: readonly unknown[] | undefined, version: unknown): unknown;
  listVersions(model: string, name: string, vary?: readonly unknown[]): unknown;
  findByTag(key: string, value: string): unknown;
  findBySpec(model: string, spec: string): unknown;
  query(predicate: string, select?: string): unknown;
}

/** What the `file` namespace object forwards to. */
export interface FileFunctions {
  contents(model: string, spec: string): unknown;
}

/** The value bound to `data` in an activation. */
export class CelDataNamespace {
  constructor(readonly functions: DataFunctions) {}
}

/** The value bound to `file` in an activation. */
export class CelFileNamespace {
  constructor(readonly functions: FileFunctions) {}
}

function buildSwampEnvironment(): Environment {
  const env = createCelEnvironment();
  env.registerType("SwampData", CelDataNamespace);
  env.registerType("SwampFile", CelFileNamespace);
  const d = (sig: string, fn: (ns: CelDataNamespace, ...args: any[]) => unknown): void => {
    env.registerFunction(`SwampData.${sig}: dyn`, fn);
  };
  d("latest(string, string)", (ns, m: string, n: string) => ns.functions.latest(m, n));
  d("latest(string, string, list)", (ns, m: string, n: string, v: unknown[]) => ns.functions.latest(m, n, v));
  d("version(string, string, dyn)", (ns, m: string, n: string, ver: unknown) => ns.functions.version(m, n, undefined, ver));
  d("version(string, string, list, dyn)", (ns, m: string, n: string, v: unknown[], ver: unknown) =>
    ns.functions.version(m, n, v, ver),
  );
  d("listVersions(string, string)", (ns, m: string, n: string) => ns.functions.listVersions(m, n));
  d("listVersions(string, string, list)", (ns, m: string, n: string, v: unknown[]) => ns.functions.listVersions(m, n, v));
  d("findByTag(string, string)", (ns, k: string, v: string) => ns.functions.findByTag(k, v));
  d("findBySpec(string, string)", (ns, m: string, s: string) => ns.functions.findBySpec(m, s));
  d("query(string)", (ns, p: string) => ns.functions.query(p));
  d("query(string, string)", (ns, p: string, s: string) => ns.functions.query(p, s));
  env.registerFunction("SwampFile.contents(string, string): dyn", (ns: CelFileNamespace, m: string, s: string) =>
    ns.functions.contents(m, s),
  );
  return env;
}

let swampEnv: Environment | undefined;
function swampEnvironment(): Environment {
  swampEnv ??= buildSwampEnvironment();
  return swampEnv;
}

/** A parsed expression, ready to run against activations. */
export interface CompiledExpression {
  /** The CEL text as written (inside `${{ }}`, trimmed). */
  readonly source: string;
  /** The text actually parsed (after the hyphenated-model-name rewrite). */
  readonly parsed: string;
  readonly ast: ASTNode;
  readonly analysis: ExpressionAnalysis;
  /** Raw cel-js result under the budget: a value, or a Promise once an async handler was involved. */
  run(activation: Record<string, unknown>): unknown;
}

const CACHE_LIMIT = 1000;
const cache = new Map<string, CompiledExpression>();
const counters = { parses: 0, hits: 0 };

/**
 * Parse (or fetch from the LRU cache) a CEL expression. Throws cel-js's ParseError on bad
 * syntax; failures are not cached.
 */
export function compileExpression(source: string): CompiledExpression {
  const hit = cache.get(source);
  if (hit) {
    counters.hits++;
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const parsed = rewriteHyphenatedModelNames(source);
  counters.parses++;
  const program = parseCel(swampEnvironment(), parsed);
  const ast = program.ast;
  const compiled: CompiledExpression = {
    source,
    parsed,
    ast,
    analysis: analyzeAst(ast),
    run: (activation) => program.run(activation),
  };
  cache.set(source, compiled);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return compiled;
}

/** Parse-cache counters (for tests and benchmarks). */
export function expressionCacheStats(): { size: number; parses: number; hits: number; limit: number } {
  return { size: cache.size, parses: counters.parses, hits: counters.hits, limit: CACHE_LIMIT };
}

/** Empty the parse cache and reset its counters. */
export function clearExpressionCache(): void {
  cache.clear();
  counters.parses = 0;
  counters.hits = 0;
}

/** True for cel-js syntax errors. */
export function isParseError(err: unknown): boolean {
  return err instanceof ParseError;
}

/** One line describing a cel-js (or any) error, without the source-highlight block. */
export function errorSummary(err: unknown): string {
  return firstLine(err).replaceAll(`.${RE2_MATCHES}(`, ".matches(");
}

function firstLine(err: unknown): string {
  if (err && typeof err === "object") {
    const summary = (err as { summary?: unknown }).summary;
    if (typeof summary === "string" && summary !== "") return summary;
    const message = (err as { message?: unknown }).message;
    if (typeof message === "string") return (message.split("\n")[0] ?? "").trim() || message;
  }
  return String(err);
}

function isPlainish(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Convert a cel-js result to plain JSON-like data: Optional → value or null, BigInt → number
 * when safe (unsafe magnitudes stay BigInt), Map → object, Set → array, Date → ISO string,
 * proxies → plain copies; recursively through lists and maps.
 */
export function normalizeCelValue(value: unknown): unknown {
  switch (typeof value) {
    case "undefined":
      return null;
    case "bigint":
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (value instanceof Optional) return value.hasValue() ? normalizeCelValue(value.value()) : null;
  if (Array.isArray(value) || value instanceof Set) return Array.from(value as Iterable<unknown>, normalizeCelValue);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = normalizeCelValue(v);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return value;
  if (isPlainish(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = normalizeCelValue((value as Record<string, unknown>)[key]);
    return out;
  }
  const primitive = (value as { valueOf(): unknown }).valueOf();
  if (typeof primitive === "bigint") return normalizeCelValue(primitive);
  if (value.toString !== Object.prototype.toString) return String(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = normalizeCelValue((value as Record<string, unknown>)[key]);
  return out;
}
