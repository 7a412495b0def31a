/**
 * Helpers shared by the conformance suites (not exported from `@swamp-ts/sdk/testing`).
 */
import { AssertionError } from "node:assert";

/** Throws an AssertionError with `message` when `condition` is falsy. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError({ message });
}

/** Always throws an AssertionError. */
export function fail(message: string): never {
  throw new AssertionError({ message });
}

/** A short, readable rendering of any value for failure messages. */
export function show(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return `${value.name}${typeof code === "string" ? ` (code ${code})` : ""}: ${value.message}`;
  }
  if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}

export function codeOf(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

export function isFunction(value: unknown): value is (...args: unknown[]) => unknown {
  return typeof value === "function";
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function field(obj: unknown, key: string): unknown {
  return typeof obj === "object" && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

export async function settle<T>(run: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** `module.exportName` when given a module namespace, else the value itself. */
export function unwrapExport(value: unknown, names: readonly string[], marker: string): unknown {
  if (isRecord(value) && value[marker] === undefined) {
    for (const name of names) if (isRecord(value[name])) return value[name];
  }
  return value;
}

interface SafeParser {
  safeParse(value: unknown): { success: boolean; data?: unknown; error?: unknown };
}

export function isSchema(value: unknown): value is SafeParser {
  return typeof value === "object" && value !== null && isFunction((value as { safeParse?: unknown }).safeParse);
}

/**
 * A schema swamp accepts for arguments: zod (anything with safeParse), or JSON Schema (what a
 * model type loaded through the worker boundary carries).
 */
export function isArgumentSchema(value: unknown): boolean {
  return isSchema(value) || (isRecord(value) && (value["type"] === "object" || isRecord(value["properties"])));
}

/** A zod error (or anything) as one line. */
export function issueText(error: unknown): string {
  const issues = field(error, "issues");
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .map((i) => {
        const path = Array.isArray(field(i, "path")) ? (field(i, "path") as unknown[]).map(String).join(".") : "";
        return `${path ? `${path}: ` : ""}${String(field(i, "message") ?? "invalid")}`;
      })
      .join("; ");
  }
  return error instanceof Error ? error.message : show(error);
}

/** Lowercase segments joined by `/`, first optionally `@`-scoped, at least two. */
export const NAMESPACED_PATTERN = /^@?[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)+$/;
/** A builtin may use one segment (`local_encryption`, `raw`). */
export const BUILTIN_PATTERN = /^[a-z][a-z0-9_-]*$/;
export { collectiveOf, isReservedCollective } from "../../kernel/contract/plugin.js";

/** `30d`, `12h`, `6mo`… (positive). */
export const DURATION_PATTERN = /^[1-9]\d*(mo|y|h|m|d|w)$/;
