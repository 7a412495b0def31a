/**
 * forEach expansion (workflows.md §1.9, §2.5): the items of the evaluated `in` value and the
 * name of each expanded step.
 *
 * - array element → `self.<item>` is the element; object entry → `self.<item>` is `{key, value}`;
 * - a name holding `${{ }}` is rendered with `self.<item>` bound (when that fails, the raw name
 *   plus the index or key is used);
 * - otherwise: scalar array items → `<name>-<value>`, object array items → `<name>-<index>`,
 *   object entries → `<name>-<key>`;
 * - two items giving one name (or a name another step of the job already has) fail the
 *   expansion, naming the duplicate and the offending item — never reported as a cycle.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import { hasExpression } from "../expressions/extract.js";
import type { Expansion } from "./scheduler.js";

export interface ForEachItem extends Expansion {
  /** What `self.<item>` is for this expansion. */
  value: unknown;
}

function expansionError(message: string, details: Record<string, unknown>): SwampError {
  return new SwampError(ErrorCode.workflowExecutionFailed, message, { details });
}

/** The items of an evaluated `forEach.in`: an array's elements or an object's entries. */
export function forEachItems(collection: unknown): Array<{ value: unknown; index: number | string; scalar: boolean }> {
  if (Array.isArray(collection)) {
    return collection.map((value, index) => ({ value, index, scalar: value === null || typeof value !== "object" }));
  }
  if (collection !== null && typeof collection === "object") {
    return Object.entries(collection as Record<string, unknown>).map(([key, value]) => ({ value: { key, value }, index: key, scalar: false }));
  }
  throw expansionError(`forEach.in must evaluate to an array or object, got: ${collection === null ? "null" : typeof collection}`, {});
}

function describeItem(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Expands one template. `renderName` evaluates the `${{ }}` parts of a name with
 * `self.<item>` bound and returns null when it cannot; `taken` holds the other step names of
 * the job.
 */
export async function expandForEach(
  stepName: string,
  collection: unknown,
  renderName: (name: string, index: number | string, value: unknown) => Promise<string | null>,
  taken: ReadonlySet<string> = new Set(),
): Promise<ForEachItem[]> {
  const items = forEachItems(collection);
  const dynamic = hasExpression(stepName);
  const out: ForEachItem[] = [];
  const byName = new Map<string, ForEachItem>();
  for (const item of items) {
    let name: string;
    if (dynamic) name = (await renderName(stepName, item.index, item.value)) ?? `${stepName}-${item.index}`;
    else if (typeof item.index === "string") name = `${stepName}-${item.index}`;
    else name = item.scalar ? `${stepName}-${String(item.value)}` : `${stepName}-${item.index}`;
    const expansion: ForEachItem = { name, index: item.index, value: item.value };
    const earlier = byName.get(name);
    if (earlier) {
      throw expansionError(
        `Duplicate step name '${name}' in the forEach of step '${stepName}': item ${String(item.index)} (${describeItem(item.value)}) ` +
          `gives the same name as item ${String(earlier.index)} (${describeItem(earlier.value)}). Use a name expression that tells the items apart, or remove the duplicate item.`,
        { step: stepName, name, item: item.index, firstItem: earlier.index },
      );
    }
    if (taken.has(name)) {
      throw expansionError(
        `Duplicate step name '${name}' in the forEach of step '${stepName}': item ${String(item.index)} (${describeItem(item.value)}) gives the name of another step of the job`,
        { step: stepName, name, item: item.index },
      );
    }
    byName.set(name, expansion);
    out.push(expansion);
  }
  return out;
}
