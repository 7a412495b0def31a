import { Command, Option } from "clipanion";
import { outputRepository } from "../../../../kernel/models/service.js";
import { SwampCommand } from "../../../base.js";
import { paintStatus } from "../../../colour.js";
import { table } from "../../../table.js";

export default class ModelOutputSearchCommand extends SwampCommand {
  static override paths = [["model", "output", "search"]];
  static override usage = Command.Usage({
    description: "List method runs, newest first",
    examples: [
      ["Every run", "swamp model output search"],
      ["Runs of one model", "swamp model output search hello-world"],
    ],
  });

  query = Option.String({ required: false, name: "query" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const q = this.query?.toLowerCase();
    const outputs = outputRepository(kernel, { warn: (m) => this.context.stderr.write(`warning: ${m}\n`) });
    const results = (await outputs.list())
      .filter((r) => !q || r.modelName.toLowerCase().includes(q) || r.type.includes(q) || r.methodName.includes(q) || r.id.startsWith(q))
      .map((r) => ({
        id: r.id,
        definitionId: r.definitionId,
        ...(r.modelName !== "" ? { modelName: r.modelName } : {}),
        type: r.type,
        methodName: r.methodName,
        status: r.status,
        startedAt: r.startedAt,
        ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
      }));
    this.emit({ query: this.query ?? "", results }, () =>
      results.length === 0
        ? "No runs found."
        : table(results.map((r) => [r.id.slice(0, 8), r.modelName ?? r.definitionId, r.methodName, paintStatus(this.context.stdout, r.status), r.durationMs !== undefined ? `${r.durationMs}ms` : "-", r.startedAt])),
    );
  }
}
