/**
 * `--input` / `--global-arg` values: `key=value` pairs where dotted keys nest, a `:json` suffix
 * parses the value as JSON, and a value starting with `@` is read from a file (except scoped
 * identifiers like `@acme/vpc`, and `\@` for a literal `@`; `@-` reads stdin). A single value
 * starting with `{` is a whole JSON object. Everything else stays a string; schemas coerce later.
 */
import { homedir } from "node:os";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { readInputFile } from "../runtime/user-input.js";

const SCOPED_IDENTIFIER = /^@[A-Za-z][\w-]*\/[A-Za-z0-9][\w/-]*$/;

function invalid(message: string): SwampError {
  return new SwampError("validation_failed", message);
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (!next || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
}

/**
 * A value as given, or read from the file it names. Asynchronous so that a value read from
 * stdin (`@-`) while a person types leaves Ctrl-C working.
 */
async function readValue(key: string, raw: string): Promise<unknown> {
  if (raw.startsWith("\\@")) return raw.slice(1);
  if (raw.startsWith("@") && !SCOPED_IDENTIFIER.test(raw)) {
    const file = raw.slice(1).replace(/^~(?=\/)/, homedir());
    try {
      return await readInputFile(file, `Input file for "${key}" (${file})`);
    } catch (err) {
      // Too large, unreadable, or stdin (`@-`) already read: said as is; a missing file with the @ hint.
      if (err instanceof SwampError && err.code !== ErrorCode.notFound) throw err;
      throw invalid(
        `Input file not found for key "${key}": ${file}. Values starting with @ are read as file paths; use \\@ for a literal @ or :json suffix to bypass`,
      );
    }
  }
  return raw;
}

/** Parses repeated `key=value` arguments (or one JSON object) into a nested object. */
export async function parseKeyValues(entries: readonly string[], flag = "--input"): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (entries.length === 1 && entries[0]!.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(entries[0]!);
    } catch (err) {
      throw invalid(`Invalid JSON in ${flag}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw invalid(`${flag} must be a JSON object`);
    return parsed as Record<string, unknown>;
  }
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq === -1) throw invalid(`Invalid input format: "${entry}". Expected key=value format.`);
    let key = entry.slice(0, eq).trim();
    const raw = entry.slice(eq + 1);
    if (key === "") throw invalid(`Invalid input format: "${entry}". The key before "=" is empty.`);
    let value: unknown;
    if (key.endsWith(":json")) {
      key = key.slice(0, -":json".length);
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw invalid(`Invalid JSON for ${flag} "${key}": ${(err as Error).message}`);
      }
    } else {
      value = await readValue(key, raw);
    }
    const path = key.split(".");
    if (path.some((p) => p === "")) throw invalid(`Invalid input key "${key}"`);
    setPath(out, path, value);
  }
  return out;
}

/** Parses `--tag KEY=VALUE` values. */
export function parseTags(entries: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw invalid(`Invalid tag format: "${entry}". Expected KEY=VALUE`);
    tags[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return tags;
}
