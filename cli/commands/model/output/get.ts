import { Command, Option } from "clipanion";
import { SwampError } from "../../../../kernel/contract/errors.js";
import { displayPath, outputRepository } from "../../../../kernel/models/service.js";
import { SwampCommand } from "../../../base.js";
import { paintStatus } from "../../../colour.js";

export default class ModelOutputGetCommand extends SwampCommand {
  static override paths = [["model", "output", "get"]];
  static override usage = Command.Usage({
    description: "Show one method run (by id, id prefix, or the latest run of a model)",
    examples: [
      ["The latest run of a model", "swamp model output get hello-world"],
      ["One run by id prefix, as JSON", "swamp model output get 7c9e --json"],
    ],
  });

  ref = Option.String({ name: "output_id_or_model_name" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const found = await outputRepository(kernel, { warn: (m) => this.context.stderr.write(`warning: ${m}\n`) }).find(this.ref);
    if (!found) throw new SwampError("not_found", `Output not found: ${this.ref}`);
    const { path: _path, modelName, ...rest } = found;
    const shown = { ...rest, logFile: displayPath(kernel, rest.logFile) };
    const record = modelName !== "" ? { ...shown, modelName } : shown;
    this.emit(record, () =>
      [
        `Run ${record.id}: ${record.methodName} on ${modelName || record.definitionId} (${record.type}) ${paintStatus(this.context.stdout, record.status)}${record.durationMs !== undefined ? ` in ${record.durationMs}ms` : ""}`,
        `Started: ${record.startedAt}`,
        ...(record.error ? [`Error: ${record.error.message}`] : []),
        ...record.artifacts.dataArtifacts.map((a) => `  ${a.name} v${a.version}`),
        `Log: ${record.logFile}`,
      ].join("\n"),
    );
  }
}
