import { Command, Option } from "clipanion";
import { parseSinceDuration } from "../../../kernel/data/lifetime.js";
import { outputRepository } from "../../../kernel/models/service.js";
import { applyRunGc, DEFAULT_RUN_RETENTION, planRunGc, runGcResultOf, type RunGcPlan } from "../../../kernel/workflows/run-gc.js";
import { SwampCommand } from "../../base.js";
import { formatBytes } from "../../output.js";
import { confirm, willAsk, type ConfirmOptions } from "../../prompt.js";
import { openRuns } from "../workflow/runs-shared.js";

const isEmpty = (plan: RunGcPlan): boolean => plan.runs.length === 0 && plan.outputs.length === 0;

export default class RunGcCommand extends SwampCommand {
  static override paths = [["run", "gc"]];
  static override usage = Command.Usage({
    description: "Delete finished workflow runs and method outputs (records and logs) older than a retention period",
    details:
      "Finished means succeeded, failed or cancelled; running and suspended runs are never deleted. Data is not " +
      "touched, but `swamp data gc` afterwards expires the workflow- and job-lifetime data of the deleted runs. " +
      "In a terminal a real run asks first unless -y/--yes (or -f) is given; --json never asks.",
    examples: [
      ["Preview with the default retention (30 days)", "swamp run gc --dry-run"],
      ["Keep one week, without asking", "swamp run gc --older-than 7d --yes"],
    ],
  });

  olderThan = Option.String("--older-than", DEFAULT_RUN_RETENTION, { description: "Retention (1h, 1d, 7d, 1w, 1mo; default 30d)" });
  dryRun = Option.Boolean("--dry-run", false, { description: "Show what would be deleted, delete nothing" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  force = Option.Boolean("-f,--force", false, { description: "Alias of --yes" });

  async run(): Promise<void> {
    const cutoff = Date.now() - parseSinceDuration(this.olderThan);
    const { kernel, store } = await openRuns(this);
    const outputs = outputRepository(kernel);
    const describe = (plan: RunGcPlan, verb: string): string => {
      const r = runGcResultOf(plan, true);
      return `${verb} ${r.workflowRunsDeleted} workflow runs (${formatBytes(r.workflowRunBytesReclaimed)}) and ${r.outputsDeleted} method outputs (${formatBytes(r.outputBytesReclaimed)})`;
    };

    if (this.dryRun) {
      const plan = await planRunGc(store, outputs, cutoff);
      this.emit(runGcResultOf(plan, true), () => (isEmpty(plan) ? "Nothing to clean up." : `Run GC dry run: ${describe(plan, "would delete")}`));
      return;
    }
    const asking: ConfirmOptions = { json: this.json, yes: this.yes || this.force, destructive: true, what: "delete workflow runs and method outputs" };
    if (willAsk(this.context, asking)) {
      const preview = await planRunGc(store, outputs, cutoff);
      if (isEmpty(preview) && !this.json) {
        this.context.stdout.write("Nothing to clean up.\n");
        return;
      }
      if (!isEmpty(preview)) {
        // Under --json stdout holds only the JSON.
        (this.json ? this.context.stderr : this.context.stdout).write(`Run GC preview: ${describe(preview, "will delete")}\n`);
        if (!(await confirm(this.context, "Proceed?", asking))) {
          this.emit({ cancelled: true }, () => "Run GC cancelled.");
          return;
        }
      }
    }
    let empty = false;
    const result = await kernel.locks.withGlobalLock(async () => {
      // Planned again under the lock, with the same code as the dry run.
      const plan = await planRunGc(store, outputs, cutoff);
      empty = isEmpty(plan);
      return applyRunGc(store, kernel.paths.resolve("outputs"), plan, kernel.markDirty);
    });
    this.emit(result, () =>
      empty
        ? "Nothing to clean up."
        : `Run GC complete: deleted ${result.workflowRunsDeleted} workflow runs and ${result.outputsDeleted} method outputs (${formatBytes(result.totalBytesReclaimed)} reclaimed)`,
    );
  }
}
