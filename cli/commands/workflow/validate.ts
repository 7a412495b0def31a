import { Command, Option } from "clipanion";
import { ErrorCode, errorCode } from "../../../kernel/contract/errors.js";
import { validationEnvironment, workflowRepository } from "../../../kernel/workflows/service.js";
import { brokenValidation, validateWorkflow, type WorkflowValidation } from "../../../kernel/workflows/validate.js";
import { SwampCommand } from "../../base.js";
import { validationText } from "./shared.js";

export default class WorkflowValidateCommand extends SwampCommand {
  static override paths = [["workflow", "validate"]];
  static override usage = Command.Usage({
    description: "Check workflows: schema, names, dependencies, cycles, models, methods and required inputs; exit 1 on failure",
    examples: [
      ["One workflow", "swamp workflow validate deploy-pipeline"],
      ["Every workflow file, broken ones included", "swamp workflow validate --json"],
    ],
  });

  ref = Option.String({ required: false, name: "workflow_id_or_name" });

  async run(): Promise<number> {
    const kernel = await this.kernel();
    const repo = workflowRepository(kernel);
    const { workflows, broken, shadowed } = await repo.list();
    const env = validationEnvironment(kernel, repo, workflows, shadowed);
    if (this.ref) {
      let result: WorkflowValidation;
      try {
        result = await validateWorkflow(await repo.require(this.ref), env);
      } catch (err) {
        // A broken file is validated as a failed schema check, never reported as missing.
        const b = errorCode(err) === ErrorCode.workflowLoadFailed ? await repo.brokenFor(this.ref) : undefined;
        if (!b) throw err;
        result = brokenValidation(b, repo.location(b));
      }
      this.emit(result, () => validationText(result).join("\n"));
      return result.passed ? 0 : 1;
    }
    const results: WorkflowValidation[] = [];
    for (const stored of workflows) results.push(await validateWorkflow(stored, env));
    for (const b of broken) results.push(brokenValidation(b, repo.location(b)));
    const totalPassed = results.filter((r) => r.passed).length;
    const out = {
      workflows: results,
      totalPassed,
      totalFailed: results.length - totalPassed,
      totalWarnings: results.reduce((n, r) => n + r.totalWarnings, 0),
      passed: totalPassed === results.length,
    };
    this.emit(out, () =>
      results.length === 0
        ? "No workflows to validate."
        : [...results.flatMap((r) => [...validationText(r), ""]), `Summary: ${totalPassed}/${results.length} workflows passed`, `Overall: ${out.passed ? "PASSED" : "FAILED"}`].join("\n"),
    );
    return out.passed ? 0 : 1;
  }
}
