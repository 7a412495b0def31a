import { Command, Option } from "clipanion";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { SwampError, UsageError } from "../../../../kernel/contract/errors.js";
import { outputRepository } from "../../../../kernel/models/service.js";
import { SwampCommand } from "../../../base.js";

export default class ModelOutputLogsCommand extends SwampCommand {
  static override paths = [["model", "output", "logs"]];
  static override usage = Command.Usage({
    description: "Print the log of a method run",
    examples: [
      ["The whole log", "swamp model output logs 7c9e"],
      ["The last 20 lines", "swamp model output logs 7c9e --tail 20"],
    ],
  });

  ref = Option.String({ name: "output_id" });
  tail = Option.String("--tail", { description: "Only the last N lines" });

  async run(): Promise<void> {
    const tail = this.tail === undefined ? undefined : Number(this.tail);
    if (tail !== undefined && (!Number.isInteger(tail) || tail <= 0)) throw new UsageError("--tail must be a positive integer");
    const kernel = await this.kernel();
    const found = await outputRepository(kernel, { warn: (m) => this.context.stderr.write(`warning: ${m}\n`) }).find(this.ref);
    if (!found) throw new SwampError("not_found", `Output not found: ${this.ref}`);
    // Stream the file and keep only what will be shown: logs can be far larger than memory.
    const kept: string[] = [];
    let total = 0;
    try {
      for await (const line of createInterface({ input: createReadStream(found.logFile), crlfDelay: Infinity })) {
        total++;
        kept.push(line);
        if (tail !== undefined && kept.length > tail) kept.shift();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.emit(
      { outputId: found.id, methodName: found.methodName, logFile: found.logFile, lines: kept, totalLines: total, showingLines: kept.length },
      () => kept.join("\n"),
    );
  }
}
