import { Command, Option } from "clipanion";
import { normalizeModelType } from "../../../../kernel/data/names.js";
import { SwampCommand } from "../../../base.js";

export default class ModelTypeSearchCommand extends SwampCommand {
  static override paths = [["model", "type", "search"], ["model", "type", "list"]];
  static override usage = Command.Usage({
    description: "List the model types this repo can use",
    examples: [
      ["Every type", "swamp model type search"],
      ["Types matching shell", "swamp model type search shell"],
    ],
  });

  query = Option.String({ required: false, name: "query" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const q = this.query?.toLowerCase();
    const results = kernel.registry
      .list("model")
      .map((e) => ({ raw: e.type, normalized: normalizeModelType(e.type), description: e.description, origin: e.origin }))
      .filter((r) => !q || r.normalized.includes(q) || r.description.toLowerCase().includes(q));
    const out: Record<string, unknown> = { query: this.query ?? "", results };
    if (results.length === 0 && q) out.hint = `No local types matched "${this.query}".`;
    this.emit(out, () => (results.length === 0 ? `No model types matched.` : results.map((r) => `${r.normalized}  ${r.description}`).join("\n")));
  }
}
