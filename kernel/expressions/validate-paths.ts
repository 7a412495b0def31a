/**
 * The "Expression paths" check of `swamp model validate` (models.md §2.8, check 4), done on
 * the parsed AST rather than on regexes, plus the env-var usage warning. Nothing is evaluated.
 *
 * Reported:
 *  - malformed wrappers (`{{ self.x }}`, `${ self.x }`), with the reference's messages;
 *  - CEL syntax errors, naming the field;
 *  - `model.<ref>.<kind>…`: the model must exist; kind is definition|input|resource|file|
 *    execution; `resource.<spec>` / `file.<spec>` must be declared by the model's type; the
 *    field after `<spec>.<instance>` must be a record field; `attributes.<path>` is checked
 *    against the spec's schema when the type gives one; `definition|input.<field>` must be a
 *    summary field (hint: globalArguments), `globalArguments.<path>` is checked against the
 *    target type's global-arguments JSON Schema;
 *  - `self.globalArguments.<path>` against this type's schema (other `self.*` pass);
 *  - identifiers that are not swamp roots, with the reference's messages.
 * `data.*` (including findBySpec and query) and `file.contents` are fine as sole expressions.
 */
import { chainsFrom } from "./ast.js";
import type { ChainSegment, MemberChain } from "./ast.js";
import type { DefinitionLookup, DefinitionSummary } from "./context.js";
import { compileExpression, errorSummary } from "./engine.js";
import type { CompiledExpression } from "./engine.js";
import { replaceVaultCalls } from "./evaluate.js";
import { collectSites, collectStrings, findMalformedExpressions } from "./extract.js";
import { DATA_RECORD_FIELDS } from "../data/record.js";
import { closestMatch } from "../runtime/suggest.js";

/** JSON Schema (as produced by zod's toJSONSchema host-side). */
export type JsonSchema = { [key: string]: unknown } | boolean;

/** What validation needs to know about a model type. */
export interface TypeInfo {
  /** Declared resource output spec names. */
  resources: readonly string[];
  /** Declared file output spec names. */
  files: readonly string[];
  /** JSON Schema of the type's global arguments, if it has one. */
  globalArguments?: JsonSchema | null;
  /** JSON Schema of each resource spec's attributes, when known. */
  resourceSchemas?: Readonly<Record<string, JsonSchema>>;
}

export interface TypeLookup {
  /** Info for a normalised model type, or null when the type is not loaded. */
  find(type: string): Promise<TypeInfo | null>;
}

export interface ExpressionPathError {
  /** Field path of the string holding the expression. */
  path: string;
  /** The expression as written (wrapper included). */
  expression: string;
  error: string;
  suggestion?: string;
  available?: string[];
}

export interface EnvVarUsage {
  path: string;
  envVar: string;
}

export interface ExpressionPathsResult {
  passed: boolean;
  errors: ExpressionPathError[];
  warnings: EnvVarUsage[];
}

export interface ValidateExpressionPathsOptions {
  definitions: DefinitionLookup;
  types: TypeLookup;
  /** Extra root identifiers accepted (e.g. workflow `run`, `webhook`). */
  extraRoots?: readonly string[];
}

/** The parts of a definition this check reads; every string in it is scanned. */
export interface DefinitionLike {
  type?: string;
  globalArguments?: Record<string, unknown>;
  methods?: Record<string, unknown>;
  [key: string]: unknown;
}

export const MODEL_REFERENCE_KINDS = ["definition", "input", "resource", "file", "execution"] as const;
export const RESOURCE_FIELDS: readonly string[] = DATA_RECORD_FIELDS;
export const FILE_FIELDS = ["id", "version", "createdAt", "path", "size", "contentType"] as const;
export const EXECUTION_FIELDS = ["id", "methodName", "status", "startedAt", "completedAt", "durationMs", "error"] as const;
const SUMMARY_FIELDS = ["id", "name", "version", "tags", "globalArguments"];

const SWAMP_ROOTS = ["model", "self", "inputs", "env", "vault", "data", "file"];
/** Identifiers CEL itself provides (type names used as values, namespaces of helpers). */
const CEL_IDENTIFIERS = new Set([
  "int",
  "uint",
  "double",
  "string",
  "bool",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
  "dyn",
  "timestamp",
  "duration",
  "optional",
  "cel",
  "google",
]);

type Problem = Omit<ExpressionPathError, "path" | "expression">;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function didYouMean(word: string, options: readonly string[]): string | undefined {
  const best = closestMatch(word, options);
  return best !== undefined ? `Did you mean "${best}"?` : undefined;
}

interface SchemaMiss {
  index: number;
  available: string[];
}

/** Where `segments` leave `schema` (null when the path is acceptable or unknowable). */
export function checkSchemaPath(schema: unknown, segments: readonly ChainSegment[], index = 0): SchemaMiss | null {
  if (index >= segments.length) return null;
  const seg = segments[index];
  if (seg === null || seg === undefined || !isObject(schema)) return null;
  for (const combinator of ["anyOf", "oneOf", "allOf"]) {
    const branches = schema[combinator];
    if (Array.isArray(branches) && branches.length > 0) {
      const misses = branches.map((b) => checkSchemaPath(b, segments, index));
      if (misses.some((m) => m === null)) return null;
      const deepest = Math.max(...misses.map((m) => (m as SchemaMiss).index));
      const available = new Set<string>();
      for (const m of misses) if (m && m.index === deepest) for (const k of m.available) available.add(k);
      return { index: deepest, available: [...available] };
    }
  }
  if (typeof schema.$ref === "string") return null;
  const items = schema.items;
  if (items !== undefined && /^\d+$/.test(seg)) {
    const item = Array.isArray(items) ? items[Number(seg)] : items;
    return checkSchemaPath(item, segments, index + 1);
  }
  if (isObject(schema.patternProperties)) return null;
  const props = isObject(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  if (props && Object.hasOwn(props, seg)) return checkSchemaPath(props[seg], segments, index + 1);
  if (isObject(additional)) return checkSchemaPath(additional, segments, index + 1);
  if (additional === true || !props || Object.keys(props).length === 0) return null;
  return { index, available: Object.keys(props) };
}

function pathText(prefix: string, segments: readonly ChainSegment[]): string {
  return [prefix, ...segments.map((s) => s ?? "[…]")].join(".");
}

function schemaProblem(prefix: string, schema: unknown, segments: readonly ChainSegment[]): Problem | null {
  const miss = checkSchemaPath(schema, segments);
  if (!miss) return null;
  const seg = segments[miss.index] as string;
  const problem: Problem = { error: `Unknown field "${seg}" at ${pathText(prefix, segments.slice(0, miss.index))}` };
  const hint = didYouMean(seg, miss.available);
  if (hint) problem.suggestion = hint;
  problem.available = [...miss.available];
  return problem;
}

class Validator {
  private readonly definitionCache = new Map<string, Promise<DefinitionSummary | null>>();
  private readonly typeCache = new Map<string, Promise<TypeInfo | null>>();
  private readonly known: Set<string>;

  constructor(
    private readonly options: ValidateExpressionPathsOptions,
    private readonly ownType: string | undefined,
  ) {
    this.known = new Set([...SWAMP_ROOTS, ...(options.extraRoots ?? [])]);
  }

  private definition(ref: string): Promise<DefinitionSummary | null> {
    let p = this.definitionCache.get(ref);
    if (!p) {
      p = this.options.definitions.find(ref);
      this.definitionCache.set(ref, p);
    }
    return p;
  }

  private type(type: string): Promise<TypeInfo | null> {
    let p = this.typeCache.get(type);
    if (!p) {
      p = this.options.types.find(type);
      this.typeCache.set(type, p);
    }
    return p;
  }

  async check(compiled: CompiledExpression): Promise<Problem[]> {
    const problems: Problem[] = [];
    const rootProblem = this.checkRoots(compiled);
    if (rootProblem) problems.push(rootProblem);
    for (const chain of chainsFrom(compiled.analysis, "model")) {
      const problem = await this.checkModelChain(chain);
      if (problem) problems.push(problem);
    }
    for (const chain of chainsFrom(compiled.analysis, "self")) {
      const problem = await this.checkSelfChain(chain);
      if (problem) problems.push(problem);
    }
    return problems;
  }

  private checkRoots(compiled: CompiledExpression): Problem | null {
    const roots = [...compiled.analysis.roots];
    const unknown = roots.filter((r) => !this.known.has(r) && !CEL_IDENTIFIERS.has(r));
    if (unknown.length === 0) return null;
    const hasSwampRef = roots.some((r) => this.known.has(r));
    if (!hasSwampRef) {
      const ast = compiled.ast;
      if (ast.op === "id") return { error: "Expression must reference model, self, or env" };
      const chain = compiled.analysis.chains[0];
      if ((ast.op === "." || ast.op === ".?") && chain && compiled.analysis.chains.length === 1) {
        return {
          error: 'Missing "model." prefix and path structure',
          suggestion: `Use model.<name>.definition.globalArguments.<field> (or data.latest("<model>", "<name>")) instead of ${chain.root}.…`,
        };
      }
      return { error: "Expression does not contain valid model, self, or env references" };
    }
    const first = unknown[0] as string;
    const problem: Problem = {
      error: `Unknown identifier "${first}"`,
      available: [...this.known].sort(),
    };
    const hint = didYouMean(first, [...this.known]);
    if (hint) problem.suggestion = hint;
    return problem;
  }

  private async checkSelfChain(chain: MemberChain): Promise<Problem | null> {
    const [first, ...rest] = chain.segments;
    if (first !== "globalArguments" || rest.length === 0 || !this.ownType) return null;
    const info = await this.type(this.ownType);
    if (!info?.globalArguments) return null;
    return schemaProblem("self.globalArguments", info.globalArguments, rest);
  }

  private async checkModelChain(chain: MemberChain): Promise<Problem | null> {
    const [ref, kind, ...rest] = chain.segments;
    if (typeof ref !== "string") return null;
    const target = await this.definition(ref);
    if (!target) return { error: `Referenced model "${ref}" not found` };
    if (typeof kind !== "string") return null;
    const base = `model.${ref}`;
    if (!(MODEL_REFERENCE_KINDS as readonly string[]).includes(kind)) {
      const problem: Problem = {
        error: `Unknown reference "${kind}" on model "${ref}": expected ${MODEL_REFERENCE_KINDS.join(", ")}`,
        available: [...MODEL_REFERENCE_KINDS],
      };
      if (kind === "globalArguments" || kind === "attributes") {
        problem.suggestion = `Did you mean ${base}.definition.globalArguments or data.latest("${ref}", "<name>").attributes?`;
      } else {
        const hint = didYouMean(kind, MODEL_REFERENCE_KINDS);
        if (hint) problem.suggestion = hint;
      }
      return problem;
    }
    const typeInfo = async (): Promise<TypeInfo | Problem | null> => {
      if (!target.type) return null;
      const info = await this.type(target.type);
      return info ?? { error: `Model type "${target.type}" of model "${ref}" is not loaded` };
    };
    const isProblem = (v: TypeInfo | Problem | null): v is Problem => v !== null && "error" in v;

    switch (kind) {
      case "definition":
      case "input": {
        const [field, ...path] = rest;
        if (typeof field !== "string") return null;
        const allowed = kind === "definition" ? [...SUMMARY_FIELDS, "inputs"] : SUMMARY_FIELDS;
        if (!allowed.includes(field)) {
          return {
            error: `Invalid path ${base}.${kind}.${field}: ${kind} references continue with globalArguments`,
            suggestion: `Did you mean "globalArguments" instead of "${field}"?`,
            available: allowed,
          };
        }
        if (field !== "globalArguments" || path.length === 0) return null;
        const info = await typeInfo();
        if (isProblem(info)) return info;
        if (!info?.globalArguments) return null;
        return schemaProblem(`${base}.${kind}.globalArguments`, info.globalArguments, path);
      }
      case "resource":
      case "file": {
        const [spec, instance, field, ...path] = rest;
        if (typeof spec !== "string") return null;
        const info = await typeInfo();
        if (isProblem(info)) return info;
        if (!info) return null;
        const declared = kind === "resource" ? info.resources : info.files;
        if (!declared.includes(spec)) {
          const problem: Problem = {
            error: `Unknown ${kind} spec "${spec}" on model "${ref}"`,
            available: [...declared],
          };
          const hint = didYouMean(spec, declared);
          problem.suggestion = hint ?? `Available ${kind} specs: ${declared.length > 0 ? declared.join(", ") : "none"}`;
          return problem;
        }
        if (instance === undefined || instance === null || typeof field !== "string") return null;
        const fields: readonly string[] = kind === "resource" ? RESOURCE_FIELDS : FILE_FIELDS;
        if (!fields.includes(field)) {
          const problem: Problem = {
            error: `Unknown field "${field}" on ${kind} ${base}.${kind}.${spec}.${instance}`,
            available: [...fields],
          };
          const hint = didYouMean(field, fields);
          if (hint) problem.suggestion = hint;
          return problem;
        }
        const schema = kind === "resource" ? info.resourceSchemas?.[spec] : undefined;
        if (field !== "attributes" || path.length === 0 || schema === undefined) return null;
        return schemaProblem(`${base}.resource.${spec}.${instance}.attributes`, schema, path);
      }
      default: {
        const [field] = rest;
        if (typeof field !== "string" || (EXECUTION_FIELDS as readonly string[]).includes(field)) return null;
        const problem: Problem = { error: `Unknown field "${field}" on ${base}.execution`, available: [...EXECUTION_FIELDS] };
        const hint = didYouMean(field, EXECUTION_FIELDS);
        if (hint) problem.suggestion = hint;
        return problem;
      }
    }
  }
}

/** Every `env.<VAR>` (or `env["VAR"]`) read by an expression, with its field path. */
export function findEnvVarUsage(definition: unknown): EnvVarUsage[] {
  const out: EnvVarUsage[] = [];
  const seen = new Set<string>();
  for (const site of collectSites(definition)) {
    for (const span of site.spans) {
      let compiled: CompiledExpression;
      try {
        compiled = compileExpression(replaceVaultCalls(span.body, () => '""'));
      } catch {
        continue;
      }
      for (const chain of chainsFrom(compiled.analysis, "env")) {
        const envVar = chain.segments[0];
        if (typeof envVar !== "string") continue;
        const key = `${site.path}\u0000${envVar}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ path: site.path, envVar });
      }
    }
  }
  return out;
}

/** Check 4 of `model validate`: every expression in the definition. */
export async function validateExpressionPaths(
  definition: DefinitionLike,
  options: ValidateExpressionPathsOptions,
): Promise<ExpressionPathsResult> {
  const validator = new Validator(options, typeof definition.type === "string" ? definition.type : undefined);
  const errors: ExpressionPathError[] = [];

  for (const { path, text } of collectStrings(definition)) {
    for (const bad of findMalformedExpressions(text)) {
      errors.push({ path, expression: bad.raw, error: bad.error, suggestion: bad.suggestion });
    }
  }

  const checks: Array<Promise<ExpressionPathError[]>> = [];
  for (const site of collectSites(definition)) {
    for (const span of site.spans) {
      let compiled: CompiledExpression;
      try {
        compiled = compileExpression(replaceVaultCalls(span.body, () => '""'));
      } catch (err) {
        checks.push(Promise.resolve([{ path: site.path, expression: span.raw, error: `Syntax error in ${site.path}: ${errorSummary(err)}` }]));
        continue;
      }
      checks.push(
        validator.check(compiled).then((problems) => problems.map((p) => ({ path: site.path, expression: span.raw, ...p }))),
      );
    }
  }
  const seen = new Set<string>();
  for (const batch of await Promise.all(checks)) {
    for (const error of batch) {
      const key = `${error.path}\u0000${error.expression}\u0000${error.error}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(error);
    }
  }
  return { passed: errors.length === 0, errors, warnings: findEnvVarUsage(definition) };
}

/** Text of the check's error: `  - <expr>` / `    <error>` / `    <suggestion>` / `    Available: …`. */
export function formatExpressionPathErrors(errors: readonly ExpressionPathError[]): string {
  const lines: string[] = [];
  for (const e of errors) {
    lines.push(`  - ${e.expression}`, `    ${e.error}`);
    if (e.suggestion) lines.push(`    ${e.suggestion}`);
    if (e.available && e.available.length > 0) lines.push(`    Available: ${e.available.join(", ")}`);
  }
  return lines.join("\n");
}

/** The env-var warning of `model validate` (null when no env var is read). */
export function envVarWarning(usages: readonly EnvVarUsage[]): {
  name: string;
  message: string;
  envVars: EnvVarUsage[];
} | null {
  if (usages.length === 0) return null;
  return {
    name: "Environment variables detected",
    message:
      "Data stored under this model will vary depending on these environment variables at runtime. Consider using separate models per environment, or vault.get() for sensitive values.",
    envVars: [...usages],
  };
}
