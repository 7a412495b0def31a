import { Command, Option } from "clipanion";
import { originText } from "../../../kernel/workflows/types.js";
import { SwampCommand } from "../../base.js";
import { conditionText, graphText, readOnlyWorkflowRepository } from "./shared.js";

export default class WorkflowGetCommand extends SwampCommand {
  static override paths = [["workflow", "get"]];
  static override usage = Command.Usage({
    description: "Show a workflow: inputs, jobs and steps with their dependencies",
    examples: [
      ["As JSON", "swamp workflow get deploy-pipeline --json"],
      ["The job/step graph", "swamp workflow get deploy-pipeline --graph"],
    ],
  });

  ref = Option.String({ name: "workflow_id_or_name" });
  graph = Option.Boolean("--graph", false, { description: "Show the job/step dependency graph" });

  async run(): Promise<void> {
    const repo = await readOnlyWorkflowRepository(this.resolvedRepoDir());
    const { workflow: wf, path, origin } = await repo.require(this.ref);
    // Everything the file says, defaults included (the reference leaves out forEach, weight, …);
    // an extension workflow also says where it comes from.
    const out = { ...wf, path: repo.displayPath(path), ...(origin ? { origin, readOnly: true } : {}), ...(this.graph ? { graph: graphText(wf) } : {}) };
    this.emit(out, () => {
      if (this.graph) return graphText(wf);
      const lines = [`Name:    ${wf.name}`, `Id:      ${wf.id}`, `Version: ${wf.version}`, `Path:    ${out.path}`];
      if (origin) lines.push(`Origin:  ${originText(origin)} (read-only)`);
      if (wf.description) lines.push(`Description: ${wf.description}`);
      if (Object.keys(wf.tags).length) lines.push(`Tags:    ${Object.entries(wf.tags).map(([k, v]) => `${k}=${v}`).join(", ")}`);
      const inputs = Object.keys(wf.inputs?.properties ?? {});
      if (inputs.length) lines.push(`Inputs:  ${inputs.map((k) => (wf.inputs?.required?.includes(k) ? `${k}*` : k)).join(", ")}`);
      for (const job of wf.jobs) {
        const deps = job.dependsOn.map((d) => `${d.job} (${conditionText(d.condition)})`).join(", ");
        lines.push("", `Job ${job.name}${deps ? ` after ${deps}` : ""}${job.description ? ` — ${job.description}` : ""}`);
        for (const step of job.steps) {
          const task = step.task as Record<string, unknown>;
          const what = task.type === "model_method" ? `${String(task.modelIdOrName ?? `${String(task.modelType)}:${String(task.modelName)}`)}.${String(task.methodName)}` : String(task.type);
          const sdeps = step.dependsOn.map((d) => `${d.step} (${conditionText(d.condition)})`).join(", ");
          lines.push(`  - ${step.name}: ${what}${sdeps ? ` after ${sdeps}` : ""}${step.forEach ? ` for each ${step.forEach.item} in ${step.forEach.in}` : ""}`);
        }
      }
      return lines.join("\n");
    });
  }
}
