import { Command, Option } from "clipanion";
import { ErrorCode, SwampError } from "../../../../kernel/contract/errors.js";
import { runView } from "../../../../kernel/workflows/run-view.js";
import { SwampCommand } from "../../../base.js";
import { formatDuration } from "../runs-shared.js";
import { displayPath, openRuns, resolveRunArg } from "../runs-shared.js";
import { paintStatus } from "../../../colour.js";

export default class WorkflowHistoryGetCommand extends SwampCommand {
  static override paths = [
    ["workflow", "history", "get"],
    ["workflow", "history"],
  ];
  static override usage = Command.Usage({
    description: "Show one workflow run: by run id, unique id prefix, or the latest run of a workflow",
    examples: [
      ["The latest run of a workflow", "swamp workflow history nightly"],
      ["A run by id prefix, as JSON", "swamp workflow history get 7c9e --json"],
    ],
  });

  ref = Option.String({ name: "run_or_workflow" });

  async run(): Promise<void> {
    const { kernel, store } = await openRuns(this);
    const run = await resolveRunArg(
      store,
      this.ref,
      (ref) => new SwampError(ErrorCode.workflowRunNotFound, `No workflow run or workflow found: ${ref}`, { details: { ref } }),
    );
    const view = runView(run, displayPath(kernel, store.recordPath(run.workflowId, run.id)));
    const out = this.context.stdout;
    this.emit(view, () => {
      const lines = [
        `Run ${run.id} of ${run.workflowName}: ${paintStatus(out, run.status)}${view.duration !== undefined ? ` in ${formatDuration(view.duration)}` : ""}`,
        `Started: ${run.startedAt ?? "-"}`,
      ];
      if (run.completedAt) lines.push(`Completed: ${run.completedAt}`);
      if (Object.keys(run.inputs).length > 0) lines.push(`Inputs: ${JSON.stringify(run.inputs)}`);
      const reasons = Object.entries(run.tags).filter(([k]) => k.endsWith("_reason"));
      for (const [k, v] of reasons) lines.push(`${k}: ${v}`);
      for (const job of view.jobs) {
        lines.push(`  ${job.name}: ${paintStatus(out, job.status)}`);
        for (const step of job.steps) {
          const data = step.dataArtifacts.map((a) => `${a.name}@v${a.version}`).join(", ");
          lines.push(`    ${step.name}: ${paintStatus(out, step.status)}${step.error ? ` — ${step.error}` : ""}${data ? ` [${data}]` : ""}`);
        }
      }
      lines.push(`Path: ${view.path}`);
      return lines.join("\n");
    });
  }
}
