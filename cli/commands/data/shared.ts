/**
 * Helpers shared by the `swamp data …` commands (not a command itself): model resolution, the
 * data repository of a kernel, argument checks and small text helpers.
 */
import { relative } from "node:path";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
// Direct module imports (not the barrel) keep the query engine (CEL) out of commands that do not query.
import type { ModelIdentity } from "../../../kernel/data/json.js";
import { dataNameProblem, normalizeModelType } from "../../../kernel/data/names.js";
import { definitionRepository } from "../../../kernel/models/service.js";
import type { DefinitionRepository } from "../../../kernel/models/repository.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";

export interface ResolvedModel extends ModelIdentity {
  /** The reference the user typed (name or id), for messages. */
  ref: string;
}

/** Finds a model definition by name or id; throws `model_not_found` ("Model not found: <ref>"). */
export async function resolveModel(kernel: Kernel, ref: string, definitions?: DefinitionRepository): Promise<ResolvedModel> {
  const stored = await (definitions ?? definitionRepository(kernel)).require(ref);
  const d = stored.definition;
  return { ref, modelId: d.id, modelName: d.name, modelType: normalizeModelType(d.type ?? "") };
}

export { dataRepository } from "../../../kernel/models/service.js";

/** Path relative to the repo directory (may start with `../` for datastores outside it). */
export function repoRelative(kernel: Kernel, abs: string): string {
  return relative(kernel.repoDir, abs) || ".";
}

/** Throws `validation_failed` when `name` cannot be a data name (`..`, `/`, `\`, NUL, `latest`, …). */
export function requireDataName(name: string): void {
  const problem = dataNameProblem(name);
  if (problem !== null) throw new SwampError("validation_failed", problem, { details: { name } });
}

/** `--version` / `--limit` values: positive (or non-negative) integers, else `validation_failed`. */
export function parseCount(text: string | undefined, flag: string, min: 0 | 1): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed)) || Number(trimmed) < min) {
    const what = min === 1 ? "a positive integer" : "a non-negative integer";
    throw new SwampError("validation_failed", `${flag} must be ${what}, got "${text}"`, { details: { [flag]: text } });
  }
  return Number(trimmed);
}

/** `[a, b]` positional-or-flag pairs: the positional wins only when the flag is absent. */
export function pick(positional: string | undefined, flag: string | undefined): string | undefined {
  return flag !== undefined ? flag : positional;
}

/** A conflicting positional and flag for the same value. */
export function checkNoConflict(positional: string | undefined, flag: string | undefined, flagName: string): void {
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new UsageError(`Got both a positional value ("${positional}") and ${flagName} "${flag}". Use one or the other.`);
  }
}

/** `2026-04-07T18:02:58.146Z` → `2026-04-07`. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
