import { Command, Option } from "clipanion";
import type { GcPlanOptions, GcResult } from "../../../builtins/gc/index.js";
import { RunStore } from "../../../kernel/workflows/runs.js";
import { SwampCommand } from "../../base.js";
import { confirm, willAsk, type ConfirmOptions } from "../../prompt.js";
import { dataRepository } from "./shared.js";
import { warningLine } from "../../colour.js";

export default class DataGcCommand extends SwampCommand {
  static override paths = [["data", "gc"]];
  static override usage = Command.Usage({
    description: "Garbage-collect data: delete expired items and prune versions beyond their policy",
    details:
      "Phase 1 deletes every version of items whose lifetime has elapsed; phase 2 removes old versions outside each " +
      "item's garbageCollection policy (never the latest). --dry-run only reports (and takes no lock). A real run holds " +
      "the global datastore lock and, in a terminal, asks first unless -y/--yes (or -f) is given; --json never asks.",
    examples: [
      ["Preview", "swamp data gc --dry-run"],
      ["Run without asking", "swamp data gc --yes"],
      ["Non-interactive, JSON", "swamp data gc --json"],
    ],
  });

  dryRun = Option.Boolean("--dry-run", false, { description: "Show what would be deleted, delete nothing" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  force = Option.Boolean("-f,--force", false, { description: "Alias of --yes" });

  async run(): Promise<number> {
    const { planGc, applyGc, gcResultOf, planIsEmpty: isEmpty } = await import("../../../builtins/gc/index.js");
    const kernel = await this.kernel();
    const repo = dataRepository(kernel);
    const warnings: string[] = [];
    // workflow/job lifetimes expire exactly when their run record is gone.
    const runs = new RunStore(kernel);
    const planOptions: GcPlanOptions = {
      onWarning: (message) => warnings.push(message),
      workflowRunExists: (workflowId, runId) => runs.exists(workflowId, runId),
    };
    const flushWarnings = () => {
      if (this.verbose && !this.json) for (const w of new Set(warnings)) this.context.stderr.write(warningLine(this.context.stderr, w));
      warnings.length = 0;
    };

    if (this.dryRun) {
      const plan = await planGc(repo, planOptions);
      flushWarnings();
      const result = gcResultOf(plan, true);
      this.emit(result, () =>
        isEmpty(plan)
          ? "Nothing to clean up."
          : `GC dry run: would delete ${result.dataEntriesExpired} expired items, would reclaim ${result.versionsDeleted} excess versions (${result.bytesReclaimed} bytes)`,
      );
      return 0;
    }

    const asking: ConfirmOptions = { json: this.json, yes: this.yes || this.force, destructive: true, what: "run garbage collection" };
    if (willAsk(this.context, asking)) {
      const preview = await planGc(repo, planOptions);
      flushWarnings();
      // Under --json (asked on a terminal) an empty plan goes on to print the empty result.
      if (isEmpty(preview) && !this.json) {
        this.context.stdout.write("Nothing to clean up.\n");
        return 0;
      }
      if (!isEmpty(preview)) {
        const lines = [`GC preview: ${preview.expired.length} expired data items`];
        if (preview.pruned.length > 0) {
          const models = new Set(preview.pruned.map((p) => `${p.type}/${p.modelId}`)).size;
          const versions = preview.pruned.reduce((n, p) => n + p.versions.length, 0);
          lines.push(`version gc: ${models} models with ${versions} excess versions`);
        }
        // The preview is for the person asked: under --json stdout holds only the JSON.
        (this.json ? this.context.stderr : this.context.stdout).write(`${lines.join("\n")}\n`);
        if (!(await confirm(this.context, "Proceed with garbage collection?", asking))) {
          this.emit({ cancelled: true }, () => "GC cancelled.");
          return 0;
        }
      }
    }

    const progress = await this.progress();
    let empty = false;
    let result: GcResult;
    try {
      result = await kernel.locks.withGlobalLock(async () => {
        // Planned again under the lock, with the same code as the dry run.
        const plan = await planGc(repo, planOptions);
        empty = isEmpty(plan);
        if (empty) return gcResultOf(plan, false);
        progress.start("Collecting garbage", plan.expired.length + plan.pruned.length, "data items");
        return applyGc(repo, plan, { onProgress: (done, total) => progress.update(done, { total }) });
      });
    } finally {
      progress.clear();
    }
    flushWarnings();
    this.emit(result, () =>
      empty
        ? "Nothing to clean up."
        : `GC complete: deleted ${result.dataEntriesExpired} expired items, ${result.versionsDeleted} excess versions reclaimed (${result.bytesReclaimed} bytes)`,
    );
    if (result.errors && result.errors.length > 0) {
      if (!this.json) for (const e of result.errors) this.context.stderr.write(warningLine(this.context.stderr, e));
      return 1;
    }
    return 0;
  }
}
