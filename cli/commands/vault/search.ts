import { Command, Option } from "clipanion";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";
import { openVaults } from "./shared.js";

export default class VaultSearchCommand extends SwampCommand {
  static override paths = [["vault", "search"], ["vault", "list"]];
  static override usage = Command.Usage({
    description: "List the repository's vaults, optionally filtered by name, type or id prefix",
    examples: [["Every vault", "swamp vault search"], ["Vaults matching 'dev'", "swamp vault search dev"]],
  });

  query = Option.String({ required: false, name: "query" });

  async run(): Promise<void> {
    const { vaults } = await openVaults(this);
    const q = this.query?.toLowerCase();
    const results = (await vaults.configs.list())
      .map(({ config: v }) => ({ id: v.id, name: v.name, type: v.type, createdAt: v.createdAt }))
      .filter((v) => !q || v.name.includes(q) || v.type.toLowerCase().includes(q) || v.id.startsWith(q));
    this.emit({ query: this.query ?? "", results }, () =>
      results.length === 0 ? "No vaults found." : table(results.map((r) => [r.name, r.type, r.id])),
    );
  }
}
