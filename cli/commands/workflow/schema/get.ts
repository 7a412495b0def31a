import { Command } from "clipanion";
import { workflowJsonSchemas } from "../../../../kernel/workflows/schema.js";
import { SwampCommand } from "../../../base.js";

export default class WorkflowSchemaGetCommand extends SwampCommand {
  static override paths = [["workflow", "schema", "get"]];
  static override usage = Command.Usage({
    description: "Print the JSON Schemas of the workflow file: workflow, job, step, task, dependencies, conditions",
    examples: [
      ["The schemas, for an editor or a validator", "swamp workflow schema get > workflow.schema.json"],
    ],
  });

  async run(): Promise<void> {
    const schemas = workflowJsonSchemas();
    this.emit(schemas, () => JSON.stringify(schemas, null, 2));
  }
}
