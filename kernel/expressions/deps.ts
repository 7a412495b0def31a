/**
 * Dependency extraction (models.md §6.6): which models an expression-bearing value refers to
 * (for ordering `model evaluate --all`), and which inputs (for narrowing `required` inputs to
 * those a method's arguments actually read, §5.3 step 5).
 *
 * Read from the AST: `model.<name>.<kind>` / `model["<name>"]…`, the first literal argument
 * of `data.latest|version|listVersions|findBySpec(…)` and `file.contents(…)`, and
 * `inputs.<x>` / `inputs["x"]`. An expression that does not parse falls back to regexes.
 */
import { chainsFrom } from "./ast.js";
import type { ExpressionAnalysis } from "./ast.js";
import { compileExpression } from "./engine.js";
import { ExpressionError } from "./engine.js";
import { replaceVaultCalls } from "./evaluate.js";
import { collectExpressions, rewriteHyphenatedModelNames } from "./extract.js";

const MODEL_KINDS = new Set(["input", "resource", "file", "execution", "definition"]);
const DATA_MODEL_METHODS = new Set(["latest", "version", "listVersions", "findBySpec"]);

interface Refs {
  models: Set<string>;
  inputs: Set<string>;
}

function fromAnalysis(analysis: ExpressionAnalysis, refs: Refs): void {
  for (const chain of chainsFrom(analysis, "model")) {
    const [name, kind] = chain.segments;
    if (typeof name === "string" && typeof kind === "string" && MODEL_KINDS.has(kind)) refs.models.add(name);
  }
  for (const call of analysis.calls) {
    const first = call.args[0];
    if (typeof first !== "string") continue;
    if ((call.namespace === "data" && DATA_MODEL_METHODS.has(call.method)) || (call.namespace === "file" && call.method === "contents")) {
      refs.models.add(first);
    }
  }
  for (const chain of chainsFrom(analysis, "inputs")) {
    const [name] = chain.segments;
    if (typeof name === "string") refs.inputs.add(name);
  }
}

const RX_MODEL = /(?<![\w.$])model\s*(?:\.\s*([A-Za-z0-9_-]+)|\[\s*["']([^"']+)["']\s*\])\s*\.\s*(input|resource|file|execution|definition)\b/g;
const RX_DATA = /(?<![\w.$])(?:data\s*\.\s*(?:version|latest|listVersions|findBySpec)|file\s*\.\s*contents)\s*\(\s*["']([^"']+)["']/g;
const RX_INPUT = /(?<![\w.$])inputs\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g;

function fromText(body: string, refs: Refs): void {
  for (const m of body.matchAll(RX_MODEL)) refs.models.add((m[1] ?? m[2]) as string);
  for (const m of body.matchAll(RX_DATA)) refs.models.add(m[1] as string);
  for (const m of body.matchAll(RX_INPUT)) refs.inputs.add((m[1] ?? m[2]) as string);
}

function collect(value: unknown): Refs {
  const refs: Refs = { models: new Set(), inputs: new Set() };
  for (const { body } of collectExpressions(value)) {
    const cel = replaceVaultCalls(body, () => '""');
    try {
      fromAnalysis(compileExpression(cel).analysis, refs);
    } catch {
      fromText(rewriteHyphenatedModelNames(cel), refs);
    }
  }
  return refs;
}

/** Model names or ids referenced by the expressions in `value` (sorted, unique). */
export function referencedModels(value: unknown): string[] {
  return [...collect(value).models].sort();
}

/** Input names referenced by the expressions in `value` (sorted, unique). */
export function referencedInputs(value: unknown): string[] {
  return [...collect(value).inputs].sort();
}

export interface DefinitionDependencies {
  /** Models referenced anywhere in the definition. */
  models: string[];
  /** Inputs referenced by globalArguments. */
  globalInputs: string[];
  /** Inputs referenced by each method's arguments. */
  methodInputs: Record<string, string[]>;
}

interface DefinitionShape {
  globalArguments?: unknown;
  methods?: unknown;
}

function methodArguments(definition: DefinitionShape, method: string): unknown {
  const methods = definition.methods;
  if (!methods || typeof methods !== "object") return undefined;
  const entry = (methods as Record<string, unknown>)[method];
  return entry && typeof entry === "object" ? (entry as { arguments?: unknown }).arguments : undefined;
}

/** Everything a definition's expressions depend on. */
export function definitionDependencies(definition: DefinitionShape): DefinitionDependencies {
  const methodInputs: Record<string, string[]> = {};
  const methods = definition.methods && typeof definition.methods === "object" ? Object.keys(definition.methods) : [];
  for (const method of methods) methodInputs[method] = referencedInputs(methodArguments(definition, method));
  return {
    models: referencedModels(definition),
    globalInputs: referencedInputs(definition.globalArguments),
    methodInputs,
  };
}

/**
 * Order definitions so that each comes after the definitions it references (by name or id).
 * References to unknown models are ignored. A cycle throws `Cyclic dependency detected: a -> b -> a`.
 */
export function orderByDependencies<T extends { id: string; name: string }>(
  definitions: readonly T[],
  dependenciesOf: (definition: T) => readonly string[] = (d) => referencedModels(d),
): T[] {
  const byRef = new Map<string, T>();
  for (const d of definitions) {
    byRef.set(d.name, d);
    byRef.set(d.id, d);
  }
  const state = new Map<T, "visiting" | "done">();
  const ordered: T[] = [];
  const stack: T[] = [];
  const visit = (d: T): void => {
    const s = state.get(d);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(d)), d].map((x) => x.name);
      throw new ExpressionError(`Cyclic dependency detected: ${cycle.join(" -> ")}`, { cycle });
    }
    state.set(d, "visiting");
    stack.push(d);
    for (const ref of dependenciesOf(d)) {
      const dep = byRef.get(ref);
      if (dep && dep !== d) visit(dep);
    }
    stack.pop();
    state.set(d, "done");
    ordered.push(d);
  };
  for (const d of definitions) visit(d);
  return ordered;
}
