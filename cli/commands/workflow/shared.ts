/**
 * Helpers shared by the `swamp workflow …` file commands (not a command itself): the repo's
 * workflow repository without building a whole kernel, and text renderings.
 */
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { extensionWorkflowDirs } from "../../extension-workflows.js";
import { WorkflowRepository, workflowsDirFor } from "../../../kernel/workflows/repository.js";
import type { Condition, Workflow } from "../../../kernel/workflows/types.js";
import type { WorkflowValidation } from "../../../kernel/workflows/validate.js";

/** For commands that only read workflow files: the marker is all they need (no datastore). */
export async function readOnlyWorkflowRepository(repoDir: string): Promise<WorkflowRepository> {
  const root = resolve(repoDir);
  const marker = await readMarker(root);
  return new WorkflowRepository({ dir: workflowsDirFor(root, marker), repoDir: root, extensionDirs: () => extensionWorkflowDirs(root, marker, process.env) });
}

export function conditionText(c: Condition): string {
  switch (c.type) {
    case "and":
    case "or":
      return `${c.type}(${c.conditions.map(conditionText).join(", ")})`;
    case "not":
      return `not(${conditionText(c.condition)})`;
    default:
      return c.type;
  }
}

function after(deps: ReadonlyArray<{ condition: Condition } & ({ job: string } | { step: string })>): string {
  if (deps.length === 0) return "";
  const parts = deps.map((d) => {
    const target = "job" in d ? d.job : d.step;
    return d.condition.type === "succeeded" ? target : `${target} (${conditionText(d.condition)})`;
  });
  return `  ← ${parts.join(", ")}`;
}

/** The job/step DAG as text: jobs in dependency order, each with its steps and what they wait for. */
export function graphText(wf: Workflow): string {
  const order = dependencyOrder(wf.jobs.map((j) => ({ name: j.name, weight: j.weight, deps: j.dependsOn.map((d) => d.job) })));
  const lines: string[] = [];
  for (const name of order) {
    const job = wf.jobs.find((j) => j.name === name)!;
    lines.push(`${job.name}${after(job.dependsOn)}`);
    const steps = dependencyOrder(job.steps.map((s) => ({ name: s.name, weight: s.weight, deps: s.dependsOn.map((d) => d.step) })));
    steps.forEach((stepName, i) => {
      const step = job.steps.find((s) => s.name === stepName)!;
      const task = step.task as Record<string, unknown>;
      const what = task.type === "model_method" ? `${String(task.modelIdOrName ?? task.modelName)}.${String(task.methodName)}` : String(task.type);
      const flags = [step.forEach ? `forEach ${step.forEach.item}` : "", step.allowFailure ? "allowFailure" : ""].filter(Boolean);
      lines.push(`  ${i === steps.length - 1 ? "└─" : "├─"} ${step.name} [${what}]${flags.length ? ` (${flags.join(", ")})` : ""}${after(step.dependsOn)}`);
    });
  }
  return lines.join("\n");
}

/** Kahn's order by (weight, name); units caught in a cycle come last, in file order. */
function dependencyOrder(units: ReadonlyArray<{ name: string; weight: number; deps: string[] }>): string[] {
  const names = new Set(units.map((u) => u.name));
  const placed = new Set<string>();
  const out: string[] = [];
  for (;;) {
    const ready = units
      .filter((u) => !placed.has(u.name) && u.deps.every((d) => placed.has(d) || !names.has(d)))
      .sort((a, b) => a.weight - b.weight || a.name.localeCompare(b.name));
    if (ready.length === 0) break;
    for (const u of ready) {
      placed.add(u.name);
      out.push(u.name);
    }
  }
  for (const u of units) if (!placed.has(u.name)) out.push(u.name);
  return out;
}

export function validationText(v: WorkflowValidation): string[] {
  const lines = [`Validating: ${v.workflowName}`];
  for (const c of v.validations) {
    lines.push(`  ${!c.passed ? "✗" : c.warning ? "⚠" : "✓"} ${c.name}`);
    const note = c.error ?? c.warning;
    if (note) for (const l of note.split("\n")) lines.push(`    → ${l}`);
  }
  const passed = v.validations.filter((c) => c.passed).length;
  const warn = v.totalWarnings ? `, ${v.totalWarnings} warning(s)` : "";
  lines.push(`  ${passed}/${v.validations.length} checks passed${warn} — ${v.passed ? "PASSED" : "FAILED"}`);
  return lines;
}
