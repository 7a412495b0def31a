/**
 * Checks that a loaded implementation has the shape its port promises, so a broken extension
 * fails with a message naming the file and the field instead of a TypeError deep inside a command.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import type { PluginEntry, PluginKind } from "../contract/plugin.js";

type Check = [field: string, ok: (value: unknown) => boolean, expected: string];

const isString = (v: unknown) => typeof v === "string";
const isFunction = (v: unknown) => typeof v === "function";
const isOptionalSchema = (v: unknown) =>
  v === undefined || (typeof v === "object" && v !== null && typeof (v as { safeParse?: unknown }).safeParse === "function");
const isRecord = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

const CHECKS: Record<PluginKind, Check[]> = {
  datastore: [
    ["type", isString, "a string"],
    ["name", isString, "a string"],
    ["description", isString, "a string"],
    ["configSchema", isOptionalSchema, "a zod schema"],
    ["createProvider", isFunction, "a function"],
  ],
  vault: [
    ["type", isString, "a string"],
    ["name", isString, "a string"],
    ["description", isString, "a string"],
    ["configSchema", isOptionalSchema, "a zod schema"],
    ["createProvider", isFunction, "a function"],
  ],
  driver: [
    ["type", isString, "a string"],
    ["name", isString, "a string"],
    ["description", isString, "a string"],
    ["configSchema", isOptionalSchema, "a zod schema"],
    ["createDriver", isFunction, "a function"],
  ],
  model: [
    ["type", isString, "a string"],
    ["version", isString, "a CalVer string (YYYY.MM.DD.MICRO)"],
    ["methods", isRecord, "an object of methods"],
  ],
  report: [
    ["name", isString, "a string"],
    ["description", isString, "a string"],
    ["scope", (v) => v === "method" || v === "model" || v === "workflow", '"method", "model" or "workflow"'],
    ["execute", isFunction, "a function"],
  ],
};

export function validatePluginExport(kind: PluginKind, impl: unknown, entry: PluginEntry): void {
  const where = entry.source ?? `builtin ${kind} "${entry.type}"`;
  if (!isRecord(impl)) {
    throw new SwampError(ErrorCode.pluginInvalid, `${where}: the ${kind} export must be an object`);
  }
  const record = impl as Record<string, unknown>;
  for (const [field, ok, expected] of CHECKS[kind]) {
    if (!ok(record[field])) {
      throw new SwampError(ErrorCode.pluginInvalid, `${where}: ${field} must be ${expected}`, {
        details: { kind, field },
      });
    }
  }
  const declared = kind === "report" ? record.name : record.type;
  const key = String(declared).toLowerCase();
  if (key !== entry.type.toLowerCase()) {
    throw new SwampError(
      ErrorCode.pluginInvalid,
      `${where}: exports ${kind} type "${String(declared)}" but was registered as "${entry.type}"`,
    );
  }
}
