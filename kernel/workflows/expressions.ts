/**
 * Expressions in a workflow, in the three phases of workflows.md §1.14, on the one CEL engine
 * of kernel/expressions:
 *
 * 1. Up front (before the run record exists), strict: every expression except those left for
 *    later — anything reading `env` or `vault`, `self`, `run` or `workflowRunId`; `forEach.in`,
 *    `trigger.inputs`, `guard`, assert `expr`/`message`; and, in a task's `inputs`/`globalArgs`,
 *    anything calling `data.*`, `file.contents` or reading `model.<x>.resource|file|execution`
 *    (so a step sees what earlier steps of the same run wrote).
 * 2. forEach expansion (at job start): `forEach.in`, and `self.*` in step names.
 * 3. Step execution: the rest of the task (strict), then `env`/`vault` (secrets registered with
 *    the run's redactor; they never reach a record or log).
 *
 * `lenient` mode (for `workflow evaluate`) leaves a failing expression as written and reports it.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import { isFatalExpressionError } from "../expressions/budget.js";
import type { ExpressionContext } from "../expressions/context.js";
import { compileExpression, errorSummary, type CompiledExpression } from "../expressions/engine.js";
import { findVaultCalls, needsRuntimePhase, resolveRuntimeExpressions, revealSecrets, SecretBag, type VaultAccess } from "../expressions/evaluate.js";
import { collectSites, findExpressions, renderSite, replaceSites, type ExpressionSite, type SpanOutcome } from "../expressions/extract.js";
import type { Redactor } from "../runtime/redact.js";

const DATA_HELPERS = new Set(["latest", "version", "listVersions", "findBySpec", "findByTag", "query"]);
const STEP_TIME_ROOTS = ["self", "run", "workflowRunId", "env", "vault"];
/** Field paths evaluated later than up front, whatever they hold. */
const LATER_FIELDS = [/^jobs\[\d+\]\.steps\[\d+\]\.forEach\.in$/, /^jobs\[\d+\]\.steps\[\d+\]\.guard$/, /^trigger\.inputs(\.|\[|$)/];
const TASK_ARGUMENTS = /^jobs\[\d+\]\.steps\[\d+\]\.task\.(inputs|globalArgs)(\.|\[|$)/;
const TASK_FIELD = /^jobs\[(\d+)\]\.steps\[(\d+)\]\.task\.(expr|message)$/;

function reads(body: string): { roots: ReadonlySet<string>; compiled: CompiledExpression } | null {
  try {
    const compiled = compileExpression(body);
    return { roots: compiled.analysis.roots, compiled };
  } catch {
    return null;
  }
}

/** Whether the up-front phase leaves this expression for forEach expansion or step time. */
export function deferredUpFront(path: string, body: string, workflow?: unknown): boolean {
  if (LATER_FIELDS.some((re) => re.test(path))) return true;
  const assertField = TASK_FIELD.exec(path);
  if (assertField && workflow) {
    const task = (workflow as { jobs?: Array<{ steps?: Array<{ task?: { type?: unknown } }> }> }).jobs?.[Number(assertField[1])]?.steps?.[Number(assertField[2])]?.task;
    if (task?.type === "assert") return true;
  }
  if (findVaultCalls(body).length > 0 || /(?<![\w.$])env\s*[.[]/.test(body)) return true;
  const parsed = reads(body);
  if (!parsed) return false; // a syntax error is reported up front
  if (STEP_TIME_ROOTS.some((r) => parsed.roots.has(r))) return true;
  if (TASK_ARGUMENTS.test(path)) {
    const { calls, chains } = parsed.compiled.analysis;
    if (calls.some((c) => (c.namespace === "data" && DATA_HELPERS.has(c.method)) || (c.namespace === "file" && c.method === "contents"))) return true;
    if (chains.some((c) => c.root === "model" && ["resource", "file", "execution"].includes(String(c.segments[1])))) return true;
  }
  return false;
}

export interface Unevaluated {
  path: string;
  expression: string;
  error: string;
}

export interface EvaluateOptions {
  basePath?: string;
  /** Expressions to leave as written (checked before evaluating). */
  skip?(path: string, body: string): boolean;
  /** Keep failing expressions as written (and report them) instead of throwing. */
  lenient?: boolean;
}

/**
 * Evaluates the expressions of `value` against `ctx` (except the skipped ones), concurrently.
 * Strict by default: the first failure (in walk order) throws `expression_failed` naming the field.
 */
export async function evaluateExpressions<T>(value: T, ctx: ExpressionContext, options: EvaluateOptions = {}): Promise<{ value: T; unevaluated: Unevaluated[] }> {
  const basePath = options.basePath ?? "";
  const sites = collectSites(value, basePath);
  const unevaluated: Unevaluated[] = [];
  if (sites.length === 0) return { value, unevaluated };
  type Outcome = SpanOutcome | { ok: false; error: unknown };
  const outcomes: Outcome[][] = await Promise.all(
    sites.map((site) =>
      Promise.all(
        site.spans.map(async (span): Promise<Outcome> => {
          if (options.skip?.(site.path, span.body)) return { ok: false };
          try {
            return { ok: true, value: await ctx.evaluate(span.body) };
          } catch (error) {
            return { ok: false, error };
          }
        }),
      ),
    ),
  );
  sites.forEach((site, i) => {
    site.spans.forEach((span, j) => {
      const o = outcomes[i]?.[j];
      if (!o || o.ok || !("error" in o)) return;
      if (!options.lenient || isFatalExpressionError(o.error)) {
        const code = isFatalExpressionError(o.error) ? (o.error as SwampError).code : ErrorCode.expressionFailed;
        throw new SwampError(code, `Could not evaluate ${site.path}: ${errorSummary(o.error)}`, { details: { path: site.path, expression: span.raw }, cause: o.error });
      }
      unevaluated.push({ path: site.path, expression: span.raw, error: errorSummary(o.error) });
    });
  });
  const rendered = new Map<ExpressionSite, unknown>();
  sites.forEach((site, i) => rendered.set(site, renderSite(site, (outcomes[i] ?? []).map((o) => (o.ok ? o : { ok: false as const })))));
  const byPath = new Map(sites.map((s) => [s.path, rendered.get(s)]));
  return { value: replaceSites(value, (path, text) => (byPath.has(path) ? byPath.get(path) : text), basePath) as T, unevaluated };
}

/** Phase 1: the workflow with every up-front expression evaluated (strict unless `lenient`). */
export function evaluateUpFront<T>(workflow: T, ctx: ExpressionContext, options: { lenient?: boolean } = {}): Promise<{ value: T; unevaluated: Unevaluated[] }> {
  return evaluateExpressions(workflow, ctx, { skip: (path, body) => deferredUpFront(path, body, workflow), ...options });
}

/**
 * Phase 3 for one task (or any value evaluated at step time): everything but `env`/`vault`
 * against `ctx`, then `env`/`vault`. Secrets are registered with `redactor` and revealed in the
 * value returned (it is handed to the method, never written anywhere as is).
 */
export async function evaluateAtStepTime<T>(
  value: T,
  ctx: ExpressionContext,
  runtime: { env: Readonly<Record<string, string | undefined>>; vault?: VaultAccess; redactor: Redactor; basePath?: string },
): Promise<T> {
  const basePath = runtime.basePath ?? "";
  const { value: first } = await evaluateExpressions(value, ctx, { basePath, skip: (_p, body) => needsRuntimePhase(body) });
  if (collectSites(first, basePath).length === 0) return first;
  const bag = new SecretBag();
  try {
    const resolved = await resolveRuntimeExpressions(first, { env: runtime.env, ...(runtime.vault ? { vault: runtime.vault } : {}), context: ctx, secrets: bag, basePath });
    return revealSecrets(resolved.value, bag.secrets);
  } finally {
    for (const secret of bag.secrets.values()) runtime.redactor.register(secret);
  }
}

/** True when the text is exactly one `${{ … }}` (what `forEach.in` and `guard` must be). */
export function isWholeExpression(text: unknown): text is string {
  if (typeof text !== "string") return false;
  const spans = findExpressions(text.trim());
  return spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === text.trim().length;
}
