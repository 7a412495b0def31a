/**
 * The regex engine ajv uses for JSON Schema `pattern` and `patternProperties`: RE2 (re2js),
 * linear in the input, so a definition's `pattern: "^(a+)+$"` cannot hang validation the way
 * JavaScript's backtracking RegExp would. Loaded synchronously (ajv compiles synchronously),
 * and only when a schema is compiled.
 */
import { createRequire } from "node:module";

interface RegExpLike {
  test(input: string): boolean;
  toString(): string;
}

/** ajv's `code.regExp` option: a factory with a `code` name (used only by standalone code). */
export interface RegExpEngine {
  (pattern: string, flags: string): RegExpLike;
  code: string;
}

type Re2 = typeof import("re2js");
let re2: Re2 | undefined;

function linear(pattern: string, flags: string): RegExpLike {
  re2 ??= createRequire(import.meta.url)("re2js") as Re2;
  const compiled = re2.RE2JS.compile(pattern);
  // ajv keys compiled patterns by their toString(): it must differ per pattern, as a RegExp's does.
  const text = `/${pattern}/${flags}`;
  return { test: (input) => compiled.matcher(input).find(), toString: () => text };
}

export const linearRegExp: RegExpEngine = Object.assign(linear, { code: "re2js" });
