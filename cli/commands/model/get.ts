import { Command, Option } from "clipanion";
import { typeUpgradeAvailable } from "../../../kernel/models/definition.js";
import { definitionRepository, displayPath } from "../../../kernel/models/service.js";
import { loadModelType } from "../../../kernel/models/types.js";
import { SwampCommand } from "../../base.js";

export default class ModelGetCommand extends SwampCommand {
  static override paths = [["model", "get"]];
  static override usage = Command.Usage({
    description: "Show a model definition",
    examples: [
      ["By name", "swamp model get hello-world"],
      ["As JSON", "swamp model get hello-world --json"],
    ],
  });

  ref = Option.String({ name: "model_id_or_name" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const stored = await definitionRepository(kernel).require(this.ref);
    const d = stored.definition;
    // Only a recorded typeVersion can be behind; a type that does not load has nothing to offer.
    const installed = d.typeVersion ? await loadModelType(kernel.registry, d.type ?? "").then((p) => p.version, () => null) : null;
    const upgrade = installed ? typeUpgradeAvailable(d, installed) : null;
    const out = {
      id: d.id,
      name: d.name,
      type: d.type,
      ...(d.typeVersion ? { typeVersion: d.typeVersion } : {}),
      ...(upgrade ? { upgradeAvailable: upgrade } : {}),
      version: d.version,
      tags: d.tags,
      globalArguments: d.globalArguments,
      methods: d.methods,
      ...(d.inputs ? { inputs: d.inputs } : {}),
      ...(d.driver ? { driver: d.driver } : {}),
      path: displayPath(kernel, stored.path),
      ...(stored.auto ? { autoCreated: true } : {}),
    };
    this.emit(out, () => {
      const typeLine = `${d.type}${d.typeVersion ? ` (type version ${d.typeVersion}${upgrade ? `; ${upgrade.to} is available` : ""})` : ""}`;
      const lines = [`Name:    ${d.name}`, `Type:    ${typeLine}`, `Id:      ${d.id}`, `Version: ${d.version}`, `Path:    ${out.path}`];
      if (stored.auto) lines.push("Auto-created: yes");
      if (Object.keys(d.tags).length) lines.push(`Tags:    ${Object.entries(d.tags).map(([k, v]) => `${k}=${v}`).join(", ")}`);
      if (Object.keys(d.globalArguments).length) lines.push(`Global arguments:\n${JSON.stringify(d.globalArguments, null, 2)}`);
      if (Object.keys(d.methods).length) lines.push(`Methods:\n${JSON.stringify(d.methods, null, 2)}`);
      return lines.join("\n");
    });
  }
}
