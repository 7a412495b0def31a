/**
 * `swamp workflow validate` (§1.15): the checks a loaded workflow must pass before it can run,
 * in the reference's order, each `{name, passed, warning?, error?}`. Warnings never fail.
 * Beyond the reference: duplicate workflow names across files, task kinds this version does
 * not run yet, and CEL that does not parse.
 */
import type { ModelTypePlugin } from "../contract/ports/model-type.js";
import { errorMessage } from "../contract/errors.js";
import { argumentKeys, containsExpression } from "../models/arguments.js";
import { toJsonSchema } from "../models/types.js";
import { isWholeExpression } from "./schema.js";
import type { ShadowedWorkflow } from "./repository.js";
import { originText, type Job, type Step, type StoredWorkflow, type Workflow } from "./types.js";

export interface ValidationCheck {
  name: string;
  passed: boolean;
  warning?: string;
  error?: string;
}

export interface WorkflowValidation {
  workflowId: string;
  workflowName: string;
  validations: ValidationCheck[];
  totalWarnings: number;
  passed: boolean;
}

/** The definition fields step-input checks read. */
export interface DefinitionFacts {
  name: string;
  type?: string | undefined;
  globalArguments: Record<string, unknown>;
  methods: Record<string, { arguments?: Record<string, unknown> | undefined }>;
}

/** What validation looks things up in (the repo's definitions and model types, or fakes). */
export interface ValidationEnvironment {
  findDefinition(ref: string): Promise<DefinitionFacts | null>;
  /** Throws when the type cannot be resolved. */
  loadType(type: string): Promise<ModelTypePlugin>;
  /** Every workflow in the repo, to report names used by more than one file. */
  allWorkflows?: readonly StoredWorkflow[];
  /** Extension workflows hidden by another of the same name or id (a warning on the one that wins). */
  shadowed?: readonly ShadowedWorkflow[];
  /** Repo-relative path for messages. */
  displayPath?(path: string): string;
  /** Parses one CEL expression (the text inside `${{ }}`); throws with the reason when it is bad. */
  parseExpression?(source: string): void;
}

/** Task kinds the file format accepts but this version does not run. */
const UNSUPPORTED_TASKS = new Set(["workflow", "manual_approval", "assert"]);

function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const n of names) (seen.has(n) ? dupes : seen).add(n);
  return [...dupes];
}

/**
 * The first cycle among `edges` (node → what it depends on), as `a -> b -> a`; unknown
 * targets are ignored (the reference check reports them).
 */
export function findCycle(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string | null {
  const known = new Set(nodes);
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string | null => {
    state.set(node, "visiting");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!known.has(next)) continue;
      if (state.get(next) === "visiting") return [...stack.slice(stack.indexOf(next)), next].join(" -> ");
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of nodes) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

/** Dependency edges by name; units sharing a name (reported separately) share their edges. */
function edgesOf(units: ReadonlyArray<[string, string[]]>): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const [name, deps] of units) edges.set(name, [...(edges.get(name) ?? []), ...deps]);
  return edges;
}

function check(name: string, error: string | null): ValidationCheck {
  return error ? { name, passed: false, error } : { name, passed: true };
}

function stepLabel(job: Job, step: Step): string {
  return `'${step.name}' in job '${job.name}'`;
}

/** Step-input check of one model-method step (check 8). */
async function stepInputsCheck(job: Job, step: Step, env: ValidationEnvironment): Promise<ValidationCheck | null> {
  const task = step.task as Record<string, unknown>;
  if (task.type !== "model_method") return null;
  const method = String(task.methodName);
  const direct = typeof task.modelType === "string";
  const model = String(direct ? task.modelName : task.modelIdOrName);
  const name = `Step inputs for ${stepLabel(job, step)} (${model}.${method})`;
  const inputs = task.inputs;
  // Dynamic references are only known at run time.
  if (containsExpression(model) || containsExpression(method) || containsExpression(task.modelType) || isWholeExpression(inputs)) return { name, passed: true };

  let type: string;
  let stored: DefinitionFacts | null = null;
  if (direct) {
    type = String(task.modelType);
  } else {
    try {
      stored = await env.findDefinition(model);
    } catch (err) {
      return { name, passed: false, error: errorMessage(err) };
    }
    if (!stored) {
      return { name, passed: true, warning: `Model instance not found — may be created at runtime, or check the name: ${model}` };
    }
    type = stored.type ?? "";
  }
  let plugin: ModelTypePlugin;
  try {
    plugin = await env.loadType(type);
  } catch (err) {
    return { name, passed: false, error: `Model type '${type}' could not be resolved — ${errorMessage(err)}` };
  }
  const methodDef = plugin.methods[method];
  if (!methodDef) return { name, passed: false, error: `Method '${method}' not found on model type '${type}'` };

  const required = toJsonSchema(methodDef.arguments).required ?? [];
  const supplied = new Set(Object.keys((inputs as Record<string, unknown> | undefined) ?? {}));
  if (stored) {
    for (const key of Object.keys(stored.methods[method]?.arguments ?? {})) supplied.add(key);
    // Global arguments reach the method only for keys its schema declares.
    const methodKeys = argumentKeys(methodDef.arguments) ?? [];
    for (const key of Object.keys(stored.globalArguments)) if (methodKeys.includes(key)) supplied.add(key);
  }
  const missing = required.filter((key) => !supplied.has(key));
  return missing.length ? { name, passed: false, error: `Missing required inputs: ${missing.join(", ")}` } : { name, passed: true };
}

/** Every `${{ … }}` body in the workflow, with where it sits. */
function expressionsIn(value: unknown, where: string, out: Array<{ where: string; source: string }>): void {
  if (typeof value === "string") {
    for (const m of value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) out.push({ where, source: (m[1] ?? "").trim() });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => expressionsIn(v, `${where}[${i}]`, out));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) expressionsIn(v, where ? `${where}.${k}` : k, out);
  }
}

export async function validateWorkflow(stored: StoredWorkflow, env: ValidationEnvironment): Promise<WorkflowValidation> {
  const wf: Workflow = stored.workflow;
  const checks: ValidationCheck[] = [{ name: "Schema validation", passed: true }];

  const shown = (p: string) => env.displayPath?.(p) ?? p;
  if (env.allWorkflows) {
    const others = env.allWorkflows.filter((o) => o.workflow.name === wf.name && o.path !== stored.path);
    checks.push(
      check(
        "Unique workflow name",
        others.length ? `Workflow name '${wf.name}' is also used by ${others.map((o) => shown(o.path)).join(", ")}` : null,
      ),
    );
  }

  const hidden = env.shadowed?.filter((s) => s.by === stored.path) ?? [];
  if (hidden.length) {
    const what = hidden.map(({ workflow: h }) => `'${h.workflow.name}' from ${h.origin ? originText(h.origin) : "an extension"} (${shown(h.path)})`);
    checks.push({ name: "Shadowed extension workflows", passed: true, warning: `This workflow shadows the extension workflow ${what.join(", ")}; this file is the one used` });
  }

  const jobNames = wf.jobs.map((j) => j.name);
  const dupJobs = duplicates(jobNames);
  checks.push(check("Unique job names", dupJobs.length ? `Duplicate job names: ${dupJobs.join(", ")}` : null));
  for (const job of wf.jobs) {
    const dupSteps = duplicates(job.steps.map((s) => s.name));
    checks.push(check(`Unique step names in job '${job.name}'`, dupSteps.length ? `Duplicate step names: ${dupSteps.join(", ")}` : null));
  }

  const jobSet = new Set(jobNames);
  const badJobRefs = wf.jobs.flatMap((j) => j.dependsOn.filter((d) => !jobSet.has(d.job)).map((d) => `${j.name} -> ${d.job}`));
  checks.push(check("Valid job dependency references", badJobRefs.length ? `Invalid job references: ${badJobRefs.join(", ")}` : null));
  for (const job of wf.jobs) {
    const stepSet = new Set(job.steps.map((s) => s.name));
    const bad = job.steps.flatMap((s) => s.dependsOn.filter((d) => !stepSet.has(d.step)).map((d) => `${s.name} -> ${d.step}`));
    checks.push(check(`Valid step dependency references in job '${job.name}'`, bad.length ? `Invalid step references: ${bad.join(", ")}` : null));
  }

  const jobCycle = findCycle(jobNames, edgesOf(wf.jobs.map((j) => [j.name, j.dependsOn.map((d) => d.job)])));
  checks.push(check("No cyclic job dependencies", jobCycle ? `Cyclic dependency detected: ${jobCycle}` : null));
  for (const job of wf.jobs) {
    const cycle = findCycle(job.steps.map((s) => s.name), edgesOf(job.steps.map((s) => [s.name, s.dependsOn.map((d) => d.step)])));
    checks.push(check(`No cyclic step dependencies in job '${job.name}'`, cycle ? `Cyclic dependency detected: ${cycle}` : null));
  }

  for (const job of wf.jobs) {
    for (const step of job.steps) {
      const inputs = await stepInputsCheck(job, step, env);
      if (inputs) checks.push(inputs);
    }
  }

  for (const job of wf.jobs) {
    for (const step of job.steps) {
      const task = step.task as Record<string, unknown>;
      if (task.type === "assert" && typeof task.expr === "string" && /^\s*\$\{\{/.test(task.expr)) {
        checks.push({
          name: `Assert expression in ${stepLabel(job, step)}`,
          passed: false,
          error: "assert expr must be a raw CEL expression — remove the ${{ }} wrapper. The expression is evaluated as CEL as written.",
        });
      }
    }
  }

  for (const job of wf.jobs) {
    for (const step of job.steps) {
      const type = String((step.task as { type: unknown }).type);
      if (UNSUPPORTED_TASKS.has(type)) {
        checks.push({ name: `Task type of ${stepLabel(job, step)}`, passed: false, error: `Task type '${type}' is not supported yet` });
      }
    }
  }

  if (env.parseExpression) {
    const found: Array<{ where: string; source: string }> = [];
    expressionsIn(wf, "", found);
    const bad: string[] = [];
    for (const { where, source } of found) {
      try {
        env.parseExpression(source);
      } catch (err) {
        bad.push(`${where}: \${{ ${source} }}: ${errorMessage(err).split("\n")[0]}`);
      }
    }
    checks.push(check("Valid expressions", bad.length ? `Invalid expressions: ${bad.join("; ")}` : null));
  }

  return {
    workflowId: wf.id,
    workflowName: wf.name,
    validations: checks,
    totalWarnings: checks.filter((c) => c.warning).length,
    passed: checks.every((c) => c.passed),
  };
}

/** The validation of a file that did not load: one failed schema check naming the file. */
export function brokenValidation(broken: { name: string | null; id: string | null; error: string }, location: string): WorkflowValidation {
  return {
    workflowId: broken.id ?? "",
    workflowName: broken.name ?? location,
    validations: [{ name: "Schema validation", passed: false, error: `${broken.error} (file: ${location})` }],
    totalWarnings: 0,
    passed: false,
  };
}
