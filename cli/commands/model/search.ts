import { Command, Option } from "clipanion";
import { definitionRepository } from "../../../kernel/models/service.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";
import { warningLine } from "../../colour.js";

export default class ModelSearchCommand extends SwampCommand {
  static override paths = [["model", "search"], ["model", "list"]];
  static override usage = Command.Usage({
    description: "List model definitions in models/, optionally filtered",
    examples: [
      ["Every model", "swamp model search"],
      ["Models whose name, type or tags mention shell", "swamp model search shell"],
    ],
  });

  query = Option.String({ required: false, name: "query" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    // Served from the definitions index: only files changed since they were indexed are parsed.
    const { definitions, broken } = await definitionRepository(kernel).summaries();
    const q = this.query?.toLowerCase();
    const results = definitions
      .map((s) => ({ id: s.id, name: s.name, type: s.type }))
      .filter((r) => !q || r.name.toLowerCase().includes(q) || r.type.toLowerCase().includes(q) || r.id.startsWith(q));
    for (const b of broken) this.context.stderr.write(warningLine(this.context.stderr, `skipping a broken definition file: ${b.error}`));
    this.emit({ query: this.query ?? "", results }, () =>
      results.length === 0 ? "No models found." : table(results.map((r) => [r.name, r.type, r.id])),
    );
  }
}
