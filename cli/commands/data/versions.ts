import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { dataVersionsJson } from "../../../kernel/data/json.js";
import { SwampCommand } from "../../base.js";
import { checkNoConflict, dataRepository, pick, requireDataName, resolveModel } from "./shared.js";

export default class DataVersionsCommand extends SwampCommand {
  static override paths = [["data", "versions"]];
  static override usage = Command.Usage({
    description: "Show every version of a data item, newest first (JSON in both modes)",
    details: "Rename forward references are not followed: a renamed name shows its old history plus the tombstone.",
    examples: [
      ["Versions of a resource", "swamp data versions hello-world result"],
      ["With flags", "swamp data versions --model hello-world --name log --json"],
    ],
  });

  modelArg = Option.String({ required: false, name: "model" });
  nameArg = Option.String({ required: false, name: "data_name" });
  model = Option.String("--model", { description: "Model name or id (instead of the first positional)" });
  name = Option.String("--name", { description: "Data name (instead of the second positional)" });

  async run(): Promise<void> {
    checkNoConflict(this.modelArg, this.model, "--model");
    checkNoConflict(this.nameArg, this.name, "--name");
    const ref = pick(this.modelArg, this.model);
    const name = pick(this.nameArg, this.name);
    if (ref === undefined || name === undefined) {
      throw new UsageError(
        "Both model and data name are required. Use positional arguments (swamp data versions <model> <name>) or flags (--model <model> --name <name>).",
      );
    }
    requireDataName(name);
    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const summaries = await dataRepository(kernel).versionSummaries(model.modelType, model.modelId, name);
    if (summaries.length === 0) {
      throw new SwampError("not_found", `Data not found: "${name}" for model "${ref}"`, { details: { model: ref, name } });
    }
    const out = dataVersionsJson(name, model, summaries);
    // The reference prints the same JSON document in text mode.
    this.emit(out, () => JSON.stringify(out, null, 2));
  }
}
