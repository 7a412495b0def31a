/**
 * Pre-flight checks: which of a type's checks run before a mutating method, and running them.
 * The definition's `checks.skip` always wins; `appliesTo` limits a check to named methods;
 * `checks.require` keeps a check regardless of CLI skip flags.
 */
import { SwampError } from "../contract/errors.js";
import type { CheckContext, CheckDefinition, ModelTypePlugin } from "../contract/ports/model-type.js";
import type { Definition } from "./definition.js";

export interface CheckFlags {
  skipChecks?: boolean;
  skipCheck?: readonly string[];
  skipCheckLabel?: readonly string[];
}

export function selectChecks(plugin: ModelTypePlugin, definition: Definition, method: string | null, flags: CheckFlags = {}): Array<[string, CheckDefinition]> {
  const required = new Set(definition.checks?.require ?? []);
  const skipped = new Set(definition.checks?.skip ?? []);
  return Object.entries(plugin.checks ?? {}).filter(([name, check]) => {
    if (skipped.has(name)) return false;
    if (method !== null && check.appliesTo && check.appliesTo.length > 0 && !check.appliesTo.includes(method)) return false;
    if (required.has(name)) return true;
    if (flags.skipChecks) return false;
    if (flags.skipCheck?.includes(name)) return false;
    if (flags.skipCheckLabel?.some((l) => check.labels?.includes(l))) return false;
    return true;
  });
}

export interface CheckOutcome {
  name: string;
  passed: boolean;
  errors: string[];
}

export async function runChecks(checks: Array<[string, CheckDefinition]>, context: CheckContext): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const [name, check] of checks) {
    try {
      const result = await check.execute(context);
      if (!result || typeof result.pass !== "boolean") {
        outcomes.push({ name, passed: false, errors: ["Check returned invalid result (expected { pass: boolean })"] });
      } else {
        outcomes.push({ name, passed: result.pass, errors: result.pass ? [] : (result.errors?.length ? result.errors : ["Check failed"]) });
      }
    } catch (err) {
      outcomes.push({ name, passed: false, errors: [(err as Error).message ?? String(err)] });
    }
  }
  return outcomes;
}

export function checksFailedError(definitionName: string, method: string, failed: CheckOutcome[]): SwampError {
  const detail = failed.map((f) => `${f.name}: ${f.errors.join("; ")}`).join(" | ");
  return new SwampError("checks_failed", `Pre-flight checks failed for "${definitionName}" → ${method}: ${detail}`, {
    details: { checks: failed },
  });
}

/** Problems with the definition's check selection (unknown names, overlaps, bad appliesTo). */
export function checkSelectionProblems(plugin: ModelTypePlugin, definition: Definition): string[] {
  const problems: string[] = [];
  const names = Object.keys(plugin.checks ?? {});
  for (const [name, check] of Object.entries(plugin.checks ?? {})) {
    for (const m of check.appliesTo ?? []) {
      if (!plugin.methods[m]) problems.push(`Check "${name}" applies to unknown method "${m}"`);
    }
  }
  for (const list of ["require", "skip"] as const) {
    for (const name of definition.checks?.[list] ?? []) {
      if (!names.includes(name)) problems.push(`checks.${list}: unknown check "${name}" (available: ${names.join(", ") || "none"})`);
    }
  }
  for (const name of definition.checks?.require ?? []) {
    if (definition.checks?.skip?.includes(name)) problems.push(`Check "${name}" is in both require and skip lists — skip takes precedence`);
  }
  return problems;
}
