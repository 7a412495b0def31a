import { Command, Option } from "clipanion";
import { SwampCommand } from "../../base.js";
import { findVault } from "./get.js";
import { openVaults } from "./shared.js";

export default class VaultDescribeCommand extends SwampCommand {
  static override paths = [["vault", "describe"]];
  static override usage = Command.Usage({
    description: "Describe a vault (its configuration; never its secrets)",
    examples: [["A vault by name", "swamp vault describe dev-secrets"]],
  });

  ref = Option.String({ name: "name_or_id" });
  type = Option.String("-t,--type", { description: "Only a vault of this type" });

  async run(): Promise<void> {
    const { vaults } = await openVaults(this);
    const { config: v } = await findVault(vaults, this.ref, this.type);
    const keys = await vaults.listKeys(v.name).catch(() => null);
    this.emit({ id: v.id, name: v.name, type: v.type, config: v.config, createdAt: v.createdAt }, () =>
      [
        `${v.name} (${v.type})`,
        `  id:      ${v.id}`,
        `  created: ${v.createdAt}`,
        `  config:  ${JSON.stringify(v.config)}`,
        ...(keys ? [`  secrets: ${keys.length}`] : []),
      ].join("\n"),
    );
  }
}
