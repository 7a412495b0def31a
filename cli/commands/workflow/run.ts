import { Command, Option } from "clipanion";
import { userInfo } from "node:os";
import { parseTags } from "../../../kernel/models/input-parsing.js";
import { lazyVaultStore } from "../../../kernel/vaults/lazy.js";
import { executeWorkflow, formatDuration, type WorkflowEvent, type WorkflowProgress } from "../../../kernel/workflows/execute.js";
import { runView } from "../../../kernel/workflows/run-view.js";
import { displayPath } from "../../../kernel/models/service.js";
import { MethodRunningCommand } from "../../run-filters.js";
import { collectInputs, parseTimeout } from "../../inputs.js";
import { paint, warningLine } from "../../colour.js";

function whoAmI(): string | undefined {
  try {
    return `user:${userInfo().username}`;
  } catch {
    return process.env.USER ? `user:${process.env.USER}` : undefined;
  }
}

export default class WorkflowRunCommand extends MethodRunningCommand {
  static override paths = [["workflow", "run"]];
  static override usage = Command.Usage({
    description: "Run a workflow: its jobs and steps, in dependency order, and record the run",
    details:
      "Steps start as soon as what they depend on is done, in parallel up to the concurrency caps. Each step runs a " +
      "model method and holds that model's lock only while it runs. Ctrl-C or --timeout stops the running steps and " +
      "records the run as cancelled. Exit code 0 when the run succeeded, 1 otherwise.",
    examples: [
      ["Run a workflow", "swamp workflow run deploy"],
      ["With inputs", "swamp workflow run deploy --input environment=prod --input replicas=3"],
      ["Stop after five minutes", "swamp workflow run deploy --timeout 5m"],
    ],
  });

  ref = Option.String({ name: "workflow_id_or_name" });
  input = Option.Array("--input,--arg", [], { description: "key=value (dots nest, key:json=<json>, @file); repeatable" });
  inputFile = Option.String("--input-file", { description: "YAML mapping of inputs, - for stdin (--input wins)" });
  tag = Option.Array("--tag", [], { description: "KEY=VALUE tag added to the run and every datum it writes; repeatable" });
  timeout = Option.String("--timeout", { description: "Cancel the run after this long (30s, 5m, 1h)" });

  async run(): Promise<number> {
    const inputs = await collectInputs(this.inputFile, this.input);
    const tags = parseTags(this.tag);
    const timeoutMs = this.timeout ? parseTimeout(this.timeout) : undefined;
    const kernel = await this.kernel();
    const out = this.context.stdout;
    const err = this.context.stderr;
    const initiatedBy = whoAmI();
    const started = Date.now();
    // Steps done and running on one line of stderr (a terminal only); event lines go above it.
    const progress = await this.progress();
    let name: string | undefined;
    const onEvent = (event: WorkflowEvent) => {
      if (event.type === "started") name = event.run.workflowName;
      progress.above(() => this.showEvent(event));
    };
    let begun = false;
    const onProgress = (p: WorkflowProgress) => {
      if (!begun) progress.start(`Workflow ${name ?? this.ref}`, p.total, "steps");
      begun = true;
      progress.update(p.completed, { total: p.total, detail: p.running.length > 0 ? `running ${p.running.join(", ")}` : "" });
    };

    const { run, path } = await executeWorkflow(kernel, {
      ref: this.ref,
      inputs,
      tags,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(initiatedBy ? { initiatedBy } : {}),
      vaults: lazyVaultStore(kernel, { warn: (message) => progress.above(() => err.write(warningLine(err, message))) }),
      ...this.runFilters(),
      ...(this.json ? {} : { onEvent, onProgress }),
    });
    progress.clear();

    const view = runView(run, displayPath(kernel, path));
    const took = formatDuration(view.duration ?? Date.now() - started);
    this.emit(view, () => {
      if (run.status === "succeeded") return `${paint(out, "ok", "Completed")} workflow ${run.workflowName} succeeded in ${took}\nData: swamp data list --workflow ${run.workflowName} --run ${run.id}`;
      if (run.status === "cancelled") return `${paint(out, "warn", "Cancelled")} workflow ${run.workflowName} after ${took}: ${run.tags.cancel_reason ?? "aborted"}`;
      const lines = [`${paint(out, "fail", "Failed")} workflow ${run.workflowName} in ${took}`];
      if (run.failedStep) lines.push(`  ${run.failedStep}: ${run.failureReason ?? "failed"}`);
      else if (run.failureReason) lines.push(`  ${run.failureReason}`);
      return lines.join("\n");
    });
    return run.status === "succeeded" ? 0 : 1;
  }

  /** One plain line per change (no redrawing, so it reads the same on a TTY, in a pipe or a CI log). */
  private showEvent(event: WorkflowEvent): void {
    const out = this.context.stdout;
    const write = (line: string) => out.write(`${line}\n`);
    switch (event.type) {
      case "started":
        write(`Running workflow ${event.run.workflowName} (run ${event.run.id})`);
        break;
      case "job_started":
        write(`${paint(out, "active", "▸")} job ${event.job}`);
        break;
      case "job_skipped":
        write(`${paint(out, "dim", "-")} job ${event.job} skipped (dependency)`);
        break;
      case "job_completed":
        write(`${event.status === "succeeded" ? paint(out, "ok", "✓") : paint(out, "fail", "✗")} job ${event.job} ${event.status}`);
        break;
      case "step_started":
        write(`  ${paint(out, "active", "▸")} ${event.job}.${event.step.stepName}`);
        break;
      case "step_skipped":
        write(`  ${paint(out, "dim", "-")} ${event.job}.${event.step.stepName} skipped (${event.step.skipReason ?? "dependency"})`);
        break;
      case "step_completed": {
        const s = event.step;
        const took = s.startedAt && s.completedAt ? ` ${formatDuration(Date.parse(s.completedAt) - Date.parse(s.startedAt))}` : "";
        if (s.status === "succeeded") write(`  ${paint(out, "ok", "✓")} ${event.job}.${s.stepName}${took}`);
        else if (s.status === "skipped") write(`  ${paint(out, "dim", "-")} ${event.job}.${s.stepName} skipped (${s.skipReason ?? "dependency"})`);
        else write(`  ${paint(out, "fail", "✗")} ${event.job}.${s.stepName}${took}: ${s.error ?? "failed"}${s.allowedFailure ? " (failure allowed)" : ""}`);
        break;
      }
      case "step_output":
        (event.stream === "stdout" ? out : this.context.stderr).write(`    ${event.line}\n`);
        break;
      case "finished":
        break;
    }
  }
}
