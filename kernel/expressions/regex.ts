/**
 * CEL `matches` on RE2 semantics, in linear time. cel-js implements `matches` with
 * JavaScript's backtracking RegExp, where `'aaa…!'.matches('^(a+)+$')` takes exponential time
 * and blocks the event loop. We use re2js (a pure-JS port of RE2: no native build, no
 * download at install), and since cel-js cannot replace a built-in overload, every parsed
 * expression has its `.matches(…)` calls renamed to the function registered here
 * (`rewriteRegexCalls`). re2js is loaded on first need, so start-up does not pay for it.
 */
import type { ASTNode, Environment } from "@marcbachmann/cel-js";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { importLib } from "../contract/import-module.js";

/** The name `.matches(…)` calls are renamed to; mapped back to `matches` in messages. */
export const RE2_MATCHES = "matchesRe2";

type Re2Module = typeof import("re2js");
type Re2Pattern = InstanceType<Re2Module["RE2JS"]>;

let engine: Re2Module | undefined;
let loading: Promise<void> | undefined;

/** Load re2js (once). Resolves immediately once it is loaded. */
export function loadRegexEngine(): Promise<void> {
  loading ??= importLib<Re2Module>("re2js").then((m) => {
    engine = m;
  });
  return loading;
}

/** True once re2js is loaded: `matches` can then run synchronously. */
export function regexEngineLoaded(): boolean {
  return engine !== undefined;
}

/** A pattern RE2 cannot compile (backreferences, lookaround, bad syntax): code `invalid_regex`. */
export class InvalidRegexError extends SwampError {
  constructor(pattern: string, reason: string) {
    super(
      ErrorCode.invalidRegex,
      `Invalid regular expression '${pattern}': ${reason} (CEL regexes use RE2 syntax: no backreferences or lookaround)`,
      { details: { pattern } },
    );
    this.name = "InvalidRegexError";
  }
}

const CACHE_LIMIT = 256;
const compiled = new Map<string, Re2Pattern | InvalidRegexError>();

function compile(pattern: string): Re2Pattern {
  let entry = compiled.get(pattern);
  if (entry === undefined) {
    if (!engine) throw new Error("internal: the regex engine was not loaded before evaluation");
    try {
      entry = engine.RE2JS.compile(pattern);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, "") : String(err);
      entry = new InvalidRegexError(pattern, reason);
    }
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
    compiled.set(pattern, entry);
  }
  if (entry instanceof InvalidRegexError) throw entry;
  return entry;
}

/** Throws InvalidRegexError when RE2 cannot compile the pattern (re2js must be loaded). */
export function checkPattern(pattern: string): void {
  compile(pattern);
}

/** CEL `text.matches(pattern)`: true when the RE2 pattern matches anywhere in text. */
export function regexMatches(text: string, pattern: string): boolean {
  return compile(pattern).test(text);
}

/** Register the RE2 `matches` on an environment. */
export function registerRegexFunctions(env: Environment): void {
  env.registerFunction(`string.${RE2_MATCHES}(string): bool`, regexMatches);
}

function isNode(value: unknown): value is ASTNode {
  return typeof value === "object" && value !== null && typeof (value as { op?: unknown }).op === "string" && "args" in value;
}

/**
 * Rename every `x.matches(p)` in a freshly parsed AST (before its first evaluation, when
 * cel-js type-checks it) to the RE2 function. Macro expansions share their argument nodes
 * with the parsed tree, so they are renamed too. Returns null when there is none, else the
 * literal patterns (checked before the first evaluation, so a bad one fails even when its
 * branch is never taken).
 */
export function rewriteRegexCalls(ast: ASTNode): { literals: string[] } | null {
  let found = false;
  const literals: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!isNode(value) || value.op === "value") return;
    if (value.op === "rcall") {
      const args = value.args as [string, ASTNode, ASTNode[]];
      const pattern = args[2][0];
      if (args[0] === "matches" && args[2].length === 1 && pattern) {
        args[0] = RE2_MATCHES;
        found = true;
        if (pattern.op === "value" && typeof pattern.args === "string") literals.push(pattern.args);
      }
    }
    visit(value.args);
  };
  visit(ast);
  return found ? { literals } : null;
}
