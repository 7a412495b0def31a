import { Command, Option } from "clipanion";
import { definitionRepository } from "../../../../kernel/models/service.js";
import { describeModelType, loadModelType } from "../../../../kernel/models/types.js";
import { unknownMethod } from "../../../../kernel/models/arguments.js";
import { SwampCommand } from "../../../base.js";

export default class ModelMethodDescribeCommand extends SwampCommand {
  static override paths = [["model", "method", "describe"]];
  static override usage = Command.Usage({
    description: "Show a method's arguments and the data it produces",
    examples: [
      ["The execute method of a shell model", "swamp model method describe hello-world execute"],
    ],
  });

  ref = Option.String({ name: "model_id_or_name" });
  method = Option.String({ name: "method" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const { definition } = await definitionRepository(kernel).require(this.ref);
    const plugin = await loadModelType(kernel.registry, definition.type ?? "");
    const d = describeModelType(plugin);
    const method = d.methods.find((m) => m.name === this.method);
    if (!method) throw unknownMethod(plugin, this.method);
    const out = { modelName: definition.name, modelType: definition.type, version: d.version, method, dataOutputSpecs: d.dataOutputSpecs };
    this.emit(out, () =>
      [
        `${definition.name} (${definition.type}) → ${method.name}: ${method.description}`,
        "Arguments:",
        ...Object.entries(method.arguments.properties ?? {}).map(([k, v]) => `  ${k}: ${String(v.type ?? "any")}${(method.arguments.required ?? []).includes(k) ? " (required)" : ""}`),
        "Data outputs:",
        ...d.dataOutputSpecs.map((s) => `  ${s.specName} [${s.kind}]`),
      ].join("\n"),
    );
  }
}
