import { Command, Option } from "clipanion";
import { UsageError } from "../../../kernel/contract/errors.js";
import { dataListJson } from "../../../kernel/data/json.js";
import type { ListItemJson } from "../../../kernel/data/json.js";
import { SwampCommand } from "../../base.js";
import { formatBytes, table } from "../../output.js";
import { checkNoConflict, dataRepository, day, fitToTerminal, pick, resolveModel } from "./shared.js";

export default class DataListCommand extends SwampCommand {
  static override paths = [["data", "list"]];
  static override usage = Command.Usage({
    description: "List the data of a model (latest version of each item), grouped by type",
    details: "Renamed items appear under their new name. Groups: log, file, resource, data, then other types alphabetically.",
    examples: [
      ["Everything a model produced", "swamp data list hello-world"],
      ["Only resources, as JSON", "swamp data list hello-world --type resource --json"],
    ],
  });

  modelArg = Option.String({ required: false, name: "model" });
  model = Option.String("--model", { description: "Model name or id (instead of the positional)" });
  type = Option.String("--type", { description: "Only items whose type tag is this (resource, file, report, …)" });

  async run(): Promise<void> {
    checkNoConflict(this.modelArg, this.model, "--model");
    const ref = pick(this.modelArg, this.model);
    if (ref === undefined) throw new UsageError("A model name is required. Usage: swamp data list <model> (or --model <model>)");
    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const repo = dataRepository(kernel);
    let items = await repo.list(model.modelType, model.modelId);
    if (this.type !== undefined) items = items.filter((meta) => meta.tags.type === this.type);
    const out = dataListJson(model, items) as { groups: Array<{ type: string; items: ListItemJson[] }>; total: number };

    this.emit(out, () => {
      const lines = [`Data for ${model.modelName} (${model.modelType})`, ""];
      if (out.total === 0) {
        lines.push(this.type !== undefined ? `No data of type "${this.type}".` : "No data.");
        return lines.join("\n");
      }
      for (const group of out.groups) {
        lines.push(`${group.type || "(untyped)"} (${group.items.length} ${group.items.length === 1 ? "item" : "items"}):`);
        const rows = group.items.map((item) => [
          item.name,
          `v${item.version}`,
          item.contentType,
          item.size !== undefined ? formatBytes(item.size) : "-",
          day(item.createdAt),
        ]);
        lines.push(table(rows, "  "), "");
      }
      return fitToTerminal(this.context.stdout, lines.join("\n").replace(/\n+$/, ""));
    });
  }
}
