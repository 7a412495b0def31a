/**
 * Vary dimensions: values that suffix a data name (`result` + ["prod", "us-east-1"] →
 * `result-prod-us-east-1`). One encoder serves both the write side (a workflow step's
 * `dataOutputOverrides[].vary`) and the read side (`data.latest(model, name, [values])`), so
 * whatever is written can be read back with the same values.
 *
 * Nothing is escaped: a value that could not stand in a data name as it is, or that would
 * read as a path (`..`, `/`), is rejected, so no two different values end up as one name.
 */
import { invalid } from "./errors.js";

/** The text a vary value stands for, or why it cannot be one. */
function encode(value: unknown): { text: string } | { problem: string } {
  let scalar: unknown = value;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    // An object stands for its identity: `key` (forEach over a map), else `name`, else `id`.
    const record = value as Record<string, unknown>;
    const field = ["key", "name", "id"].find((k) => record[k] !== undefined && record[k] !== null);
    if (field === undefined) return { problem: "an object needs a key, name or id field" };
    scalar = record[field];
  }
  let text: string;
  if (typeof scalar === "string") text = scalar;
  else if (typeof scalar === "bigint" || typeof scalar === "boolean") text = String(scalar);
  else if (typeof scalar === "number") {
    if (!Number.isFinite(scalar)) return { problem: "a number must be finite" };
    text = String(scalar);
  } else return { problem: "expected a string, number, boolean, or an object with a key, name or id" };
  if (text.trim().length === 0) return { problem: "must not be empty" };
  if (text === "." || text.includes("..")) return { problem: 'must not be "." or contain ".."' };
  if (text.includes("/") || text.includes("\\") || text.includes("\0")) return { problem: 'must not contain "/", "\\" or NUL' };
  return { text };
}

function shown(value: unknown): string {
  if (typeof value === "bigint") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The name part for one vary value; throws `validation_failed` with the same text on both sides. */
export function encodeVaryValue(value: unknown, context?: string): string {
  const result = encode(value);
  if ("problem" in result) {
    throw invalid(`Invalid vary value ${shown(value)}${context ? ` ${context}` : ""}: ${result.problem}`, { value: shown(value) });
  }
  return result.text;
}

/** `<name>-<v1>-<v2>…`; the name itself when there are no values. */
export function composeVaryName(name: string, values: readonly unknown[] | undefined, context?: string): string {
  if (!values || values.length === 0) return name;
  return [name, ...values.map((v) => encodeVaryValue(v, context))].join("-");
}
