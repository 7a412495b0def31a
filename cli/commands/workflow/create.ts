import { Command, Option } from "clipanion";
import { workflowRepository } from "../../../kernel/workflows/service.js";
import { SwampCommand } from "../../base.js";

export default class WorkflowCreateCommand extends SwampCommand {
  static override paths = [["workflow", "create"]];
  static override usage = Command.Usage({
    description: "Create a workflow file (workflows/workflow-<name>.yaml) with one example job and step",
    examples: [["A new workflow", "swamp workflow create deploy-pipeline"]],
  });

  name = Option.String({ name: "name" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const repo = workflowRepository(kernel);
    const { workflow, path } = await repo.create(this.name);
    const shown = repo.displayPath(path);
    this.emit(
      {
        id: workflow.id,
        name: workflow.name,
        path: shown,
        jobs: workflow.jobs.map((j) => ({
          name: j.name,
          description: j.description,
          steps: j.steps.map((s) => ({ name: s.name, description: s.description, taskType: s.task.type })),
        })),
      },
      () => `Created workflow ${workflow.name}\n  at ${shown}\n  Edit it, then check it with 'swamp workflow validate ${workflow.name}'`,
    );
  }
}
