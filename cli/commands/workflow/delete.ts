import { Command, Option } from "clipanion";
import { rm } from "node:fs/promises";
import { ErrorCode, SwampError } from "../../../kernel/contract/errors.js";
import { isTerminal } from "../../../kernel/workflows/runs.js";
import { isFilenameSafe } from "../../../kernel/workflows/schema.js";
import { workflowRepository } from "../../../kernel/workflows/service.js";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";
import { openRuns } from "./runs-shared.js";

export default class WorkflowDeleteCommand extends SwampCommand {
  static override paths = [["workflow", "delete"]];
  static override usage = Command.Usage({
    description: "Delete a workflow file with all its run records (its workflow-lifetime data expires at the next data gc)",
    examples: [["Delete without asking", "swamp workflow delete deploy-pipeline --yes"]],
  });

  ref = Option.String({ name: "workflow_id_or_name" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  force = Option.Boolean("-f,--force", false, { description: "Delete even while a run of it is still active" });

  async run(): Promise<number> {
    const { kernel, store } = await openRuns(this);
    const repo = workflowRepository(kernel);
    const stored = await repo.require(this.ref);
    const readOnly = repo.readOnlyError(stored, "delete");
    if (readOnly) throw readOnly;
    const { workflow, path } = stored;
    const runs = await store.list(workflow.id);
    const active = runs.filter((r) => !isTerminal(r.status));
    if (active.length && !this.force) {
      throw new SwampError(
        ErrorCode.conflict,
        `Workflow '${workflow.name}' has ${active.length} active run(s) (${active.map((r) => r.runId).join(", ")}). Cancel them first, or use --force.`,
        { details: { workflow: workflow.name, activeRuns: active.map((r) => r.runId) } },
      );
    }
    const shown = repo.displayPath(path);
    if (!(await confirm(this.context, `Delete workflow ${workflow.name} (${shown}) and ${runs.length} run record(s)?`, { json: this.json, yes: this.yes, destructive: true, what: "delete the workflow" }))) {
      this.emit({ cancelled: true }, () => "Deletion cancelled.");
      return 0;
    }
    // Runs first: a workflow file without runs is harmless, runs without their file are orphans.
    const runsDeleted = await store.deleteWorkflowRuns(workflow.id);
    const evaluatedNames = [`workflow-${workflow.id}.yaml`, ...(isFilenameSafe(workflow.name) ? [`workflow-${workflow.name}.yaml`] : [])];
    for (const evaluated of evaluatedNames) {
      const file = kernel.paths.resolve("workflows-evaluated", evaluated);
      await kernel.markDirty?.(file);
      await rm(file, { force: true });
    }
    await rm(path, { force: true });
    this.emit(
      { deleted: { id: workflow.id, name: workflow.name, workflowPath: shown }, runsDeleted },
      () => `Deleted workflow ${workflow.name} (${shown}) and ${runsDeleted} run record(s)`,
    );
    return 0;
  }
}
