/**
 * The two evaluation phases of definition expressions (models.md §6.4), better behaved:
 *
 * Phase 1 — `evaluateDefinition`: every expression that does not need the runtime phase is
 * evaluated against the lazy context. "Needs the runtime phase" is decided on the parsed AST
 * (a free root identifier `env` or `vault`, or a `vault.get(…)` call), so `self.env.name` is
 * an ordinary expression. A failing expression keeps its raw text and is reported in
 * `unresolved` (never silently lost), except that a budget or invalid-regex failure throws
 * (codes `expression_budget_exceeded`, `invalid_regex`). The input value is not modified.
 *
 * Phase 2 — `resolveRuntimeExpressions`: `vault.get(A, B)` calls are replaced, as literal
 * text, by sentinel string literals (`__SWAMP_VSEC_<8 hex>_<n>__`) whose secrets are kept in a
 * SecretBag; then the runtime expressions are evaluated with `env` and the full context
 * (`self`, `inputs`, `model`, `data` when a context is given). Any failure throws
 * `expression_failed` (or the budget / regex code). Expressions that do not need the runtime phase are left as they are.
 */
import { randomBytes } from "node:crypto";
import { SwampError } from "../contract/errors.js";
import { isFatalExpressionError } from "./budget.js";
import { ExpressionContext } from "./context.js";
import { ExpressionError, compileExpression, errorSummary, isParseError } from "./engine.js";
import type { CompiledExpression } from "./engine.js";
import { collectSites, renderSite, replaceSites } from "./extract.js";
import type { ExpressionSite, ExpressionSpan, SpanOutcome } from "./extract.js";

/** An expression phase 1 could not evaluate; its raw text stays in the definition. */
export interface UnresolvedExpression {
  /** Field path, e.g. `globalArguments.url`. */
  path: string;
  /** The wrapper as written, e.g. `${{ inputs.region }}`. */
  expression: string;
  /** One-line reason (cel-js summary, or the data layer's message). */
  error: string;
}

/** An expression left for the runtime phase (it reads `env` or `vault`). */
export interface DeferredExpression {
  path: string;
  expression: string;
}

export interface DefinitionEvaluation<T> {
  /** A new value with every evaluable expression replaced. */
  definition: T;
  unresolved: UnresolvedExpression[];
  deferred: DeferredExpression[];
}

const VAULT_ARG = String.raw`('[^']*'|"[^"]*"|\x60[^\x60]*\x60|[^\s,)]+)`;
const VAULT_CALL_SOURCE = String.raw`(?<![\w.$])vault\s*\.\s*get\s*\(\s*${VAULT_ARG}\s*,\s*${VAULT_ARG}\s*\)`;

/** A `vault.get(A, B)` occurrence; arguments are literal text (quotes removed). */
export interface VaultCall {
  /** The call as written. */
  match: string;
  index: number;
  vault: string;
  key: string;
}

function unquote(arg: string): string {
  const first = arg[0];
  if (arg.length >= 2 && (first === "'" || first === '"' || first === "`") && arg.endsWith(first)) return arg.slice(1, -1);
  return arg;
}

/**
 * Every `vault.get(A, B)` in CEL text. Arguments may be quoted with ' " or ` (spaces
 * allowed inside) or unquoted (no whitespace, comma or `)`), so `vault.get(my-vault, KEY)`
 * works although it is not CEL. They are never evaluated.
 */
export function findVaultCalls(body: string): VaultCall[] {
  if (!body.includes("vault")) return [];
  return [...body.matchAll(new RegExp(VAULT_CALL_SOURCE, "g"))].map((m) => ({
    match: m[0],
    index: m.index ?? 0,
    vault: unquote(m[1] ?? ""),
    key: unquote(m[2] ?? ""),
  }));
}

/** Replace each `vault.get(…)` in CEL text with `replacement(call)` (a CEL expression). */
export function replaceVaultCalls(body: string, replacement: (call: VaultCall) => string): string {
  const calls = findVaultCalls(body);
  if (calls.length === 0) return body;
  let out = "";
  let cursor = 0;
  for (const call of calls) {
    out += body.slice(cursor, call.index) + replacement(call);
    cursor = call.index + call.match.length;
  }
  return out + body.slice(cursor);
}

const TEXTUAL_ENV = /(?<![\w.$])env\s*[.[]/;

/**
 * True when an expression belongs to the runtime phase: it calls `vault.get(…)` or reads the
 * root identifier `env` or `vault` (decided on the AST; `self.env.x` does not count). Text
 * that does not parse falls back to a textual check.
 */
export function needsRuntimePhase(body: string): boolean {
  if (findVaultCalls(body).length > 0) return true;
  try {
    const { roots } = compileExpression(body).analysis;
    return roots.has("env") || roots.has("vault");
  } catch {
    return TEXTUAL_ENV.test(body);
  }
}

/**
 * A budget or regex failure is never left unresolved: it fails the evaluation, keeping its
 * code and naming the field.
 */
function fatalAt(path: string, raw: string, err: SwampError): SwampError {
  return new SwampError(err.code, `Could not evaluate ${path}: ${err.message}`, {
    details: { ...err.details, path, expression: raw },
    cause: err,
  });
}

type Planned =
  | { kind: "evaluate"; span: ExpressionSpan; compiled: CompiledExpression }
  | { kind: "runtime"; span: ExpressionSpan }
  | { kind: "error"; span: ExpressionSpan; error: string };

function planPhase1(span: ExpressionSpan): Planned {
  if (findVaultCalls(span.body).length > 0) return { kind: "runtime", span };
  let compiled: CompiledExpression;
  try {
    compiled = compileExpression(span.body);
  } catch (err) {
    if (TEXTUAL_ENV.test(span.body)) return { kind: "runtime", span };
    return { kind: "error", span, error: `Invalid CEL syntax: ${errorSummary(err)}` };
  }
  const { roots } = compiled.analysis;
  if (roots.has("env") || roots.has("vault")) return { kind: "runtime", span };
  return { kind: "evaluate", span, compiled };
}

/** Group replacements by path (a queue per path keeps colliding paths in walk order). */
function replaceInOrder(value: unknown, sites: readonly ExpressionSite[], rendered: readonly unknown[], basePath: string): unknown {
  const queues = new Map<string, unknown[]>();
  sites.forEach((site, i) => {
    const queue = queues.get(site.path) ?? [];
    queue.push(rendered[i]);
    queues.set(site.path, queue);
  });
  return replaceSites(
    value,
    (path, text) => {
      const queue = queues.get(path);
      return queue && queue.length > 0 ? queue.shift() : text;
    },
    basePath,
  );
}

/**
 * Phase 1. Evaluates every expression in `definition` (the whole value is scanned) that does
 * not need the runtime phase, concurrently, against `ctx`.
 */
export async function evaluateDefinition<T>(
  definition: T,
  ctx: ExpressionContext,
  options: { basePath?: string } = {},
): Promise<DefinitionEvaluation<T>> {
  const basePath = options.basePath ?? "";
  const sites = collectSites(definition, basePath);
  const unresolved: UnresolvedExpression[] = [];
  const deferred: DeferredExpression[] = [];
  if (sites.length === 0) return { definition: replaceSites(definition, (_p, t) => t, basePath) as T, unresolved, deferred };

  const plans = sites.map((site) => site.spans.map(planPhase1));
  const toEvaluate = plans.flat().flatMap((p) => (p.kind === "evaluate" ? [p.compiled] : []));
  await ctx.prefetch(toEvaluate);
  const failures = new Map<Planned, string>();

  const outcomes: SpanOutcome[][] = await Promise.all(
    plans.map((sitePlans, i) =>
      Promise.all(
        sitePlans.map(async (plan): Promise<SpanOutcome> => {
          if (plan.kind !== "evaluate") return { ok: false };
          try {
            return { ok: true, value: await ctx.evaluate(plan.compiled) };
          } catch (err) {
            if (isFatalExpressionError(err)) throw fatalAt((sites[i] as ExpressionSite).path, plan.span.raw, err);
            failures.set(plan, errorSummary(err));
            return { ok: false };
          }
        }),
      ),
    ),
  );
  // Reports in walk order.
  plans.forEach((sitePlans, i) => {
    const path = (sites[i] as ExpressionSite).path;
    for (const plan of sitePlans) {
      if (plan.kind === "runtime") deferred.push({ path, expression: plan.span.raw });
      else if (plan.kind === "error") unresolved.push({ path, expression: plan.span.raw, error: plan.error });
      else {
        const error = failures.get(plan);
        if (error !== undefined) unresolved.push({ path, expression: plan.span.raw, error });
      }
    }
  });
  const rendered = sites.map((site, i) => renderSite(site, outcomes[i] ?? []));
  return { definition: replaceInOrder(definition, sites, rendered, basePath) as T, unresolved, deferred };
}

// ---- phase 2 ---------------------------------------------------------------------------------

/** Reads one secret. */
export interface VaultAccess {
  get(vault: string, key: string): Promise<string>;
}


/**
 * Secrets of one run: each distinct (vault, key) gets a sentinel `__SWAMP_VSEC_<prefix>_<n>__`
 * (random 8-hex prefix per bag). Share one bag across the phase-2 calls of a run.
 */
export class SecretBag {
  readonly prefix: string;
  private next = 0;
  private readonly byRef = new Map<string, { sentinel: string; fetch: Promise<void> }>();
  private readonly values = new Map<string, string>();

  constructor(prefix: string = randomBytes(4).toString("hex")) {
    if (!/^[0-9a-f]{8}$/.test(prefix)) throw new Error(`SecretBag prefix must be 8 lowercase hex digits, got "${prefix}"`);
    this.prefix = prefix;
  }

  /** sentinel → secret, for every secret fetched so far. */
  get secrets(): ReadonlyMap<string, string> {
    return this.values;
  }

  /** The sentinel for a vault call; starts the fetch (once per vault/key). */
  reference(vault: VaultAccess | undefined, call: VaultCall): { sentinel: string; fetch: Promise<void> } {
    const ref = `${call.vault}\u0000${call.key}`;
    const known = this.byRef.get(ref);
    if (known) return known;
    const sentinel = `__SWAMP_VSEC_${this.prefix}_${this.next++}__`;
    const fetch = (async () => {
      if (!vault) throw new Error("no vault access is configured");
      const secret = await vault.get(call.vault, call.key);
      if (typeof secret !== "string") throw new Error(`vault returned ${typeof secret}, expected a string`);
      this.values.set(sentinel, secret);
    })().catch((err: unknown) => {
      const message = errorSummaryFlat(err);
      throw new ExpressionError(`Failed to resolve vault expression ${call.match}: ${message}`, {
        vault: call.vault,
        key: call.key,
      });
    });
    fetch.catch(() => undefined); // awaited by the caller; never an unhandled rejection
    const entry = { sentinel, fetch };
    this.byRef.set(ref, entry);
    return entry;
  }
}

function errorSummaryFlat(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" — ");
}

export { revealSecrets } from "./sentinels.js";

export interface RuntimeResolveOptions {
  /** Process environment for `env.*` (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  vault?: VaultAccess;
  /** The phase-1 context; gives runtime expressions `self`, `inputs`, `model`, `data`, `file`. */
  context?: ExpressionContext;
  /** The run's secret bag (default: a new one). */
  secrets?: SecretBag;
  /** Path prefix for error messages, e.g. `methods.execute.arguments`. */
  basePath?: string;
}

export interface RuntimeResolution<T> {
  value: T;
  /** sentinel → secret (every secret of the bag so far). */
  secrets: ReadonlyMap<string, string>;
  bag: SecretBag;
}

/**
 * Phase 2. Resolves the runtime expressions (those reading `env`/`vault`) left in `value`.
 * Throws `expression_failed`: `Invalid expression at <path>: <message>`, or
 * `Failed to resolve vault expression <call>: <message>`.
 */
export async function resolveRuntimeExpressions<T>(value: T, options: RuntimeResolveOptions = {}): Promise<RuntimeResolution<T>> {
  const basePath = options.basePath ?? "";
  const bag = options.secrets ?? new SecretBag();
  const env = options.env ?? process.env;
  const ctx = options.context ? options.context.withEnv(env) : new ExpressionContext({ env });
  const sites = collectSites(value, basePath);

  const fail = (path: string, raw: string, err: unknown): never => {
    if (isFatalExpressionError(err)) throw fatalAt(path, raw, err);
    throw new ExpressionError(`Invalid expression at ${path}: ${errorSummary(err)}`, { path, expression: raw }, err);
  };

  const fetches: Promise<void>[] = [];
  const plans = sites.map((site) =>
    site.spans.map((span): CompiledExpression | null => {
      let hadVault = false;
      const body = replaceVaultCalls(span.body, (call) => {
        hadVault = true;
        const { sentinel, fetch } = bag.reference(options.vault, call);
        fetches.push(fetch);
        return JSON.stringify(sentinel);
      });
      let compiled: CompiledExpression;
      try {
        compiled = compileExpression(body);
      } catch (err) {
        if (hadVault || (isParseError(err) && TEXTUAL_ENV.test(body))) fail(site.path, span.raw, err);
        return null;
      }
      const { roots } = compiled.analysis;
      return hadVault || roots.has("env") || roots.has("vault") ? compiled : null;
    }),
  );
  // Vault failures first, in walk order.
  const settled = await Promise.allSettled(fetches);
  for (const s of settled) if (s.status === "rejected") throw s.reason;

  const runtime = plans.flat().filter((c): c is CompiledExpression => c !== null);
  if (runtime.length === 0) return { value: replaceSites(value, (_p, t) => t, basePath) as T, secrets: bag.secrets, bag };
  await ctx.prefetch(runtime);

  type Outcome = SpanOutcome | { ok: false; error: unknown; raw: string };
  const outcomes: Outcome[][] = await Promise.all(
    plans.map((sitePlans, i) =>
      Promise.all(
        sitePlans.map(async (compiled, j): Promise<Outcome> => {
          if (!compiled) return { ok: false };
          try {
            return { ok: true, value: await ctx.evaluate(compiled) };
          } catch (error) {
            return { ok: false, error, raw: sites[i]?.spans[j]?.raw ?? compiled.source };
          }
        }),
      ),
    ),
  );
  const rendered = outcomes.map((siteOutcomes, i) => {
    const site = sites[i] as ExpressionSite;
    for (const o of siteOutcomes) if (!o.ok && "error" in o) fail(site.path, o.raw, o.error);
    return renderSite(site, siteOutcomes);
  });
  return { value: replaceInOrder(value, sites, rendered, basePath) as T, secrets: bag.secrets, bag };
}
