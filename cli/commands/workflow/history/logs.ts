import { Command, Option } from "clipanion";
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { ErrorCode, SwampError, UsageError } from "../../../../kernel/contract/errors.js";
import { SwampCommand } from "../../../base.js";
import { displayPath, openRuns, resolveRunArg } from "../runs-shared.js";

export default class WorkflowHistoryLogsCommand extends SwampCommand {
  static override paths = [["workflow", "history", "logs"]];
  static override usage = Command.Usage({
    description: "Print the log of a workflow run (by run id, unique prefix, or the latest run of a workflow)",
    examples: [
      ["The last 20 lines of the latest run", "swamp workflow history logs nightly --tail 20"],
    ],
  });

  ref = Option.String({ name: "run_or_workflow" });
  tail = Option.String("--tail", { description: "Only the last N lines" });

  async run(): Promise<void> {
    const tail = this.tail === undefined ? undefined : Number(this.tail);
    if (tail !== undefined && (!Number.isInteger(tail) || tail <= 0)) throw new UsageError("--tail must be a positive integer");
    const { kernel, store } = await openRuns(this);
    const run = await resolveRunArg(
      store,
      this.ref,
      (ref) => new SwampError(ErrorCode.workflowRunNotFound, `Run not found: for workflow: ${ref}`, { details: { ref } }),
    );
    const path = store.logFileOf(run);
    if (!run.logFile && !existsSync(path)) {
      const error = "No log file recorded for this run (pre-logFile run)";
      this.emit({ runId: run.id, workflowName: run.workflowName, error }, () => error);
      return;
    }
    // Stream the file and keep only what is shown: a log can be far larger than memory.
    const lines: string[] = [];
    try {
      for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
        lines.push(line);
        if (tail !== undefined && lines.length > tail) lines.shift();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.emit({ runId: run.id, workflowName: run.workflowName, path: displayPath(kernel, path), lines, lineCount: lines.length }, () =>
      lines.length === 0 ? "(empty log)" : lines.join("\n"),
    );
  }
}
