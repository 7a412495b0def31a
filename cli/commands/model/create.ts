import { Command, Option } from "clipanion";
import { SwampError } from "../../../kernel/contract/errors.js";
import { newDefinition, newNameProblem } from "../../../kernel/models/definition.js";
import { parseKeyValues } from "../../../kernel/models/input-parsing.js";
import { definitionRepository, displayPath, saveWithUniqueName } from "../../../kernel/models/service.js";
import { describeModelType, loadModelType } from "../../../kernel/models/types.js";
import { validateGlobalArguments } from "../../../kernel/models/arguments.js";
import { SwampCommand } from "../../base.js";

export default class ModelCreateCommand extends SwampCommand {
  static override paths = [["model", "create"]];
  static override usage = Command.Usage({
    description: "Create a model definition in models/<type>/<id>.yaml",
    examples: [
      ["A shell model", "swamp model create command/shell hello-world"],
      ["With global arguments", 'swamp model create command/shell greeter --global-arg prefix="swamp says"'],
    ],
  });

  type = Option.String({ name: "type" });
  name = Option.String({ name: "name" });
  globalArgs = Option.Array("--global-arg", [], { description: "key=value (dots nest, key:json=<json>, @file)" });

  async run(): Promise<void> {
    const problem = newNameProblem(this.name);
    if (problem) throw new SwampError("validation_failed", problem, { details: { name: this.name } });
    const kernel = await this.kernel();
    const plugin = await loadModelType(kernel.registry, this.type);
    const globals = await parseKeyValues(this.globalArgs, "--global-arg");
    validateGlobalArguments(plugin, globals, { partial: false });
    const repo = definitionRepository(kernel);
    const definition = newDefinition(plugin.type, this.name, plugin.version, globals);
    const path = await saveWithUniqueName(kernel, repo, definition);
    const described = describeModelType(plugin);
    this.emit(
      {
        id: definition.id,
        type: definition.type,
        name: definition.name,
        path: displayPath(kernel, path),
        version: definition.version,
        ...(described.globalArguments ? { globalArguments: described.globalArguments } : {}),
        methods: described.methods.map((m) => ({ name: m.name, description: m.description, arguments: m.arguments })),
      },
      () => `Created ${definition.name} (${definition.type})\n  at ${displayPath(kernel, path)}`,
    );
  }
}
