import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { dataRenameJson } from "../../../kernel/data/json.js";
import { dataNameProblem } from "../../../kernel/data/names.js";
import { SwampCommand } from "../../base.js";
import { checkNoConflict, dataRepository, pick, resolveModel } from "./shared.js";

export default class DataRenameCommand extends SwampCommand {
  static override paths = [["data", "rename"]];
  static override usage = Command.Usage({
    description: "Rename a data item, leaving a forward reference under the old name",
    details:
      "Copies the latest version of <old_name> to a new version under <new_name>, then writes a tombstone on the old " +
      "name that forwards lookups without --version to the new one. Holds the model's lock.",
    examples: [
      ["Rename a resource", "swamp data rename hello-world result execution-result"],
      ["With flags", "swamp data rename --model hello-world --name result --new-name execution-result --json"],
    ],
  });

  modelArg = Option.String({ required: false, name: "model" });
  oldArg = Option.String({ required: false, name: "old_name" });
  newArg = Option.String({ required: false, name: "new_name" });
  model = Option.String("--model", { description: "Model name or id" });
  name = Option.String("--name", { description: "Current data name" });
  newName = Option.String("--new-name", { description: "New data name" });

  async run(): Promise<void> {
    checkNoConflict(this.modelArg, this.model, "--model");
    checkNoConflict(this.oldArg, this.name, "--name");
    checkNoConflict(this.newArg, this.newName, "--new-name");
    const ref = pick(this.modelArg, this.model);
    const oldName = pick(this.oldArg, this.name);
    const newName = pick(this.newArg, this.newName);
    if (ref === undefined || oldName === undefined || newName === undefined) {
      throw new UsageError(
        "Model, current name, and new name are all required. Use positional arguments (swamp data rename <model> <old_name> <new_name>) " +
          "or flags (--model <model> --name <old_name> --new-name <new_name>).",
      );
    }
    if (oldName === newName) throw new SwampError("validation_failed", "Old name and new name must be different.");
    const problem = dataNameProblem(newName);
    if (problem !== null) throw new SwampError("validation_failed", `Invalid new name "${newName}": ${problem}`, { details: { newName } });

    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const repo = dataRepository(kernel);
    const result = await kernel.locks.withModelLocks([{ modelType: model.modelType, modelId: model.modelId }], () =>
      repo.rename(model.modelType, model.modelId, oldName, newName),
    );
    const out = dataRenameJson(result, model) as { warning: string };
    this.emit(out, () =>
      [
        `Renamed ${result.oldName} -> ${result.newName} for ${model.modelName} (${model.modelType})`,
        `Version ${result.copiedVersion} copied as v${result.newVersion} under new name`,
        `Old name ${result.oldName} now forwards to ${result.newName}`,
        out.warning,
      ].join("\n"),
    );
  }
}
