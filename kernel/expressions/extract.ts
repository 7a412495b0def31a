/**
 * Finding `${{ <cel> }}` expressions in strings and in JSON-like values, the type-preservation
 * rule, interpolation, the hyphenated-model-name rewrite, and malformed-wrapper detection.
 *
 * Nothing here evaluates CEL; evaluate.ts and validate-paths.ts build on these helpers.
 */

/** One `${{ … }}` occurrence inside a string. */
export interface ExpressionSpan {
  /** Offset of `$` in the string. */
  readonly start: number;
  /** Offset just past the closing `}}`. */
  readonly end: number;
  /** The whole wrapper, e.g. `${{ self.name }}`. */
  readonly raw: string;
  /** The CEL text between the braces, trimmed. */
  readonly body: string;
}

/** A string value inside a larger value that holds at least one expression. */
export interface ExpressionSite {
  /** Field path, e.g. `globalArguments.url`, `methods.execute.arguments.run`, `list[0]`. */
  readonly path: string;
  /** The whole string value. */
  readonly text: string;
  readonly spans: readonly ExpressionSpan[];
  /** True when the string is exactly one expression (type-preserving). */
  readonly single: boolean;
}

/** One expression with its field path (a flattened view of the sites). */
export interface FoundExpression {
  readonly path: string;
  readonly raw: string;
  readonly body: string;
}

const OPEN = "${{";

/**
 * Offset of the `}}` that closes an expression whose body starts at `from`, or -1. String
 * literals (CEL quotes plus backticks, which vault.get arguments may use) and balanced `{ }`
 * (map literals) are skipped, so `${{ {"a": {"b": 1}} }}` and `${{ "}}" }}` are read whole.
 * If the body is not balanced, falls back to the first `}}` (what a lazy regex would do).
 */
function findClose(text: string, from: number): number {
  let depth = 0;
  let i = from;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === "`") {
      const after = skipString(text, i);
      if (after < 0) break;
      i = after;
      continue;
    }
    if (ch === "{") depth++;
    else if (ch === "}") {
      if (depth === 0) {
        if (text[i + 1] === "}") return i;
      } else depth--;
    }
    i++;
  }
  return text.indexOf("}}", from);
}

/** Offset just past the string literal starting at `i` (a quote), or -1 if unterminated. */
function skipString(text: string, i: number): number {
  const quote = text[i] as string;
  const prev = text[i - 1];
  const raw = prev === "r" || prev === "R";
  const triple = quote !== "`" && text.startsWith(quote.repeat(3), i);
  const closer = triple ? quote.repeat(3) : quote;
  let j = i + closer.length;
  while (j < text.length) {
    if (!raw && text[j] === "\\") {
      j += 2;
      continue;
    }
    if (text.startsWith(closer, j)) return j + closer.length;
    if (!triple && text[j] === "\n" && quote !== "`") return -1;
    j++;
  }
  return -1;
}

/** Every `${{ … }}` in `text`, in order. Bodies may span lines. */
export function findExpressions(text: string): ExpressionSpan[] {
  const spans: ExpressionSpan[] = [];
  let start = text.indexOf(OPEN);
  while (start !== -1) {
    const close = findClose(text, start + OPEN.length);
    if (close < 0) break;
    const end = close + 2;
    spans.push({ start, end, raw: text.slice(start, end), body: text.slice(start + OPEN.length, close).trim() });
    start = text.indexOf(OPEN, end);
  }
  return spans;
}

/** True when `text` holds at least one expression (cheap pre-check before findExpressions). */
export function hasExpression(text: string): boolean {
  return text.includes(OPEN) && findExpressions(text).length > 0;
}

/**
 * The type-preservation rule: a string is "single" when it is exactly one expression,
 * starting at offset 0, optionally followed by whitespace. `${{ a }}-${{ b }}` is not single.
 */
export function isSingleExpression(text: string, spans: readonly ExpressionSpan[] = findExpressions(text)): boolean {
  if (spans.length !== 1) return false;
  const only = spans[0] as ExpressionSpan;
  return only.start === 0 && /^\s*$/.test(text.slice(only.end));
}

/** How an evaluated value is written into surrounding text. */
export function stringifyForInterpolation(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object" && !(value instanceof Date)) {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** Outcome of one expression when rendering a site: evaluated, or left as its raw text. */
export type SpanOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

/**
 * Rebuild a site's value from per-span outcomes: a single evaluated expression yields the
 * native value; otherwise each evaluated expression is interpolated and the rest keep their
 * raw text.
 */
export function renderSite(site: Pick<ExpressionSite, "text" | "spans" | "single">, outcomes: readonly SpanOutcome[]): unknown {
  if (site.single) {
    const only = outcomes[0];
    return only && only.ok ? only.value : site.text;
  }
  let out = "";
  let cursor = 0;
  site.spans.forEach((span, i) => {
    out += site.text.slice(cursor, span.start);
    const outcome = outcomes[i];
    out += outcome && outcome.ok ? stringifyForInterpolation(outcome.value) : span.raw;
    cursor = span.end;
  });
  return out + site.text.slice(cursor);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Field path of a child: `a.b`, `a[0]`; the root's children have no leading dot. */
export function childPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return base === "" ? key : `${base}.${key}`;
}

/** Every string holding an expression, in a stable depth-first order, with its field path. */
export function collectSites(value: unknown, basePath = ""): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node === "string") {
      if (!node.includes(OPEN)) return;
      const spans = findExpressions(node);
      if (spans.length > 0) sites.push({ path, text: node, spans, single: isSingleExpression(node, spans) });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, childPath(path, i)));
    } else if (isPlainObject(node)) {
      for (const [key, child] of Object.entries(node)) walk(child, childPath(path, key));
    }
  };
  walk(value, basePath);
  return sites;
}

/** Every expression in a value with its field path. */
export function collectExpressions(value: unknown, basePath = ""): FoundExpression[] {
  return collectSites(value, basePath).flatMap((site) =>
    site.spans.map((span) => ({ path: site.path, raw: span.raw, body: span.body })),
  );
}

/**
 * A copy of `value` in which every string that holds an expression is replaced by
 * `replace(path, text)`. Plain objects and arrays are copied; other values are shared.
 */
export function replaceSites(value: unknown, replace: (path: string, text: string) => unknown, basePath = ""): unknown {
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") return node.includes(OPEN) ? replace(path, node) : node;
    if (Array.isArray(node)) return node.map((item, i) => walk(item, childPath(path, i)));
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) out[key] = walk(child, childPath(path, key));
      return out;
    }
    return node;
  };
  return walk(value, basePath);
}

/** Ranges of `body` that lie outside string literals (code), as [start, end) pairs. */
export function codeRanges(body: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let segStart = 0;
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (ch === '"' || ch === "'") {
      let litStart = i;
      const prev = body[i - 1];
      if (prev === "r" || prev === "R" || prev === "b" || prev === "B") litStart = i - 1;
      const after = skipString(body, i);
      if (after < 0) break;
      if (litStart > segStart) ranges.push([segStart, litStart]);
      segStart = after;
      i = after;
      continue;
    }
    i++;
  }
  if (segStart < body.length) ranges.push([segStart, body.length]);
  return ranges;
}

const MODEL_KINDS = "input|resource|file|execution|definition";
const HYPHENATED_MODEL = new RegExp(
  String.raw`(?<![\w.$\]])model\s*\.\s*([A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)+)\s*\.\s*(${MODEL_KINDS})\b`,
  "g",
);

/**
 * `model.deploy-vpc.resource…` → `model["deploy-vpc"].resource…` (outside string literals),
 * so hyphenated model names (and UUIDs) are not parsed as subtraction.
 */
export function rewriteHyphenatedModelNames(body: string): string {
  if (!body.includes("-") || !body.includes("model")) return body;
  let out = "";
  let cursor = 0;
  for (const [start, end] of codeRanges(body)) {
    out += body.slice(cursor, start);
    out += body.slice(start, end).replace(HYPHENATED_MODEL, (_m, name: string, kind: string) => `model["${name}"].${kind}`);
    cursor = end;
  }
  return out + body.slice(cursor);
}

/** A wrapper that was probably meant to be `${{ … }}`. */
export interface MalformedExpression {
  readonly kind: "missing-dollar" | "single-brace";
  readonly raw: string;
  readonly error: string;
  readonly suggestion: string;
}

const CEL_ROOT_START = /^\s*(?:model|self|inputs|env|vault|data|file)\s*[.[(]/;

/**
 * `{{ … }}` without `$` and `${ … }` with one brace, when the inside looks like a swamp CEL
 * reference (starts with model/self/inputs/env/vault/data/file). Shell `${HOME}` and Go
 * templates such as `{{.State.Running}}` are not reported.
 */
export function findMalformedExpressions(text: string): MalformedExpression[] {
  if (!text.includes("{")) return [];
  // Blank out well-formed expressions so their braces are not re-read.
  let masked = text;
  for (const span of findExpressions(text)) {
    masked = masked.slice(0, span.start) + " ".repeat(span.end - span.start) + masked.slice(span.end);
  }
  const found: Array<{ at: number; item: MalformedExpression }> = [];
  for (const m of masked.matchAll(/\{\{([\s\S]*?)\}\}/g)) {
    const at = m.index ?? 0;
    if (masked[at - 1] === "$") continue;
    if (!CEL_ROOT_START.test(m[1] ?? "")) continue;
    found.push({
      at,
      item: {
        kind: "missing-dollar",
        raw: m[0],
        error: "Expression uses {{...}} instead of ${{...}}",
        suggestion: 'Add "$" prefix: ${{...}}',
      },
    });
  }
  for (const m of masked.matchAll(/\$\{(?!\{)([^{}]*)\}/g)) {
    if (!CEL_ROOT_START.test(m[1] ?? "")) continue;
    found.push({
      at: m.index ?? 0,
      item: {
        kind: "single-brace",
        raw: m[0],
        error: "Expression uses ${...} instead of ${{...}}",
        suggestion: "Use double braces: ${{...}}",
      },
    });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.item);
}

/** Every string in a value with its path (used for malformed-wrapper detection). */
export function collectStrings(value: unknown, basePath = ""): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node === "string") out.push({ path, text: node });
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, childPath(path, i)));
    else if (isPlainObject(node)) for (const [key, child] of Object.entries(node)) walk(child, childPath(path, key));
  };
  walk(value, basePath);
  return out;
}
