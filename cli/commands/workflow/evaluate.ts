import { Command, Option } from "clipanion";
import { UsageError } from "../../../kernel/contract/errors.js";
import { evaluateWorkflowFile, type EvaluatedWorkflow } from "../../../kernel/workflows/evaluate.js";
import { workflowRepository } from "../../../kernel/workflows/service.js";
import { displayPath } from "../../../kernel/models/service.js";
import { SwampCommand } from "../../base.js";
import { collectInputs } from "../../inputs.js";
import { warningLine } from "../../colour.js";

export default class WorkflowEvaluateCommand extends SwampCommand {
  static override paths = [["workflow", "evaluate"]];
  static override usage = Command.Usage({
    description: "Evaluate a workflow's expressions without running it, and save the evaluated copy",
    details:
      "Expressions that cannot be evaluated yet (env, vault, run, data written by earlier steps) stay as written; a " +
      "failing expression stays as written with a warning. forEach steps whose list is known are expanded.",
    examples: [
      ["One workflow, with an input", "swamp workflow evaluate nightly --input env=prod"],
      ["Every workflow", "swamp workflow evaluate --all"],
    ],
  });

  ref = Option.String({ name: "workflow_id_or_name", required: false });
  all = Option.Boolean("--all", false, { description: "Evaluate every workflow" });
  input = Option.Array("--input,--arg", [], { description: "key=value (dots nest, key:json=<json>, @file); repeatable" });
  inputFile = Option.String("--input-file", { description: "YAML mapping of inputs, - for stdin (--input wins)" });

  async run(): Promise<void> {
    if (!this.ref && !this.all) throw new UsageError("Name a workflow, or use --all to evaluate every workflow");
    if (this.ref && this.all) throw new UsageError("Name a workflow or use --all, not both");
    const inputs = await collectInputs(this.inputFile, this.input);
    const kernel = await this.kernel();
    const repo = workflowRepository(kernel);
    const stored = this.ref ? [await repo.require(this.ref)] : (await repo.list()).workflows;
    const results: EvaluatedWorkflow[] = [];
    for (const s of stored) {
      const result = await evaluateWorkflowFile(kernel, s, inputs);
      for (const w of result.warnings) this.context.stderr.write(warningLine(this.context.stderr, `Could not evaluate expression "${w.expression}": ${w.error}`));
      results.push(result);
    }
    const item = (r: EvaluatedWorkflow) => ({
      id: r.workflow.id,
      name: r.workflow.name,
      hadExpressions: r.hadExpressions,
      ...(r.forEachExpanded ? { forEachExpanded: true } : {}),
      outputPath: displayPath(kernel, r.path),
      jobs: r.workflow.jobs,
    });
    if (this.all) {
      this.emit({ items: results.map(item), total: results.length, evaluated: results.length }, () =>
        results.map((r) => `Evaluated ${r.workflow.name} → ${displayPath(kernel, r.path)}`).join("\n") || "No workflows to evaluate",
      );
    } else {
      const r = results[0]!;
      this.emit(item(r), () => `Evaluated ${r.workflow.name} → ${displayPath(kernel, r.path)}${r.forEachExpanded ? " (forEach expanded)" : ""}`);
    }
  }
}
