import { Command, Option } from "clipanion";
import { SwampCommand } from "../../../base.js";
import { table } from "../../../table.js";

export default class VaultTypeSearchCommand extends SwampCommand {
  static override paths = [["vault", "type", "search"], ["vault", "type", "list"]];
  static override usage = Command.Usage({
    description: "List the vault types available here (built in and from extensions), filtered by type, name or description",
    examples: [["Every vault type", "swamp vault type search"], ["Types mentioning 'aws'", "swamp vault type search aws"]],
  });

  query = Option.String({ required: false, name: "query" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const q = this.query?.toLowerCase();
    const results = kernel.registry
      .list("vault")
      .map((e) => ({ type: e.type, name: e.name, description: e.description }))
      .filter((t) => !q || [t.type, t.name, t.description].some((f) => f.toLowerCase().includes(q)))
      .sort((a, b) => a.type.localeCompare(b.type));
    this.emit({ query: this.query ?? "", results }, () =>
      results.length === 0 ? "No vault types found." : table(results.map((t) => [t.type, t.name, t.description])),
    );
  }
}
