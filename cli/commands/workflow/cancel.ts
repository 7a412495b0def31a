import { Command, Option } from "clipanion";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { isProcessAlive } from "../../../kernel/runtime/locks.js";
import { SHUTDOWN_HARD_DEADLINE_MS } from "../../../kernel/runtime/shutdown.js";
import { DEFAULT_CANCEL_REASON, isTerminal, RunStore, type RunRef } from "../../../kernel/workflows/runs.js";
import type { RunRecord, RunStatus } from "../../../kernel/workflows/types.js";
import { SwampCommand } from "../../base.js";
import { openRuns, requireWorkflowRuns } from "./runs-shared.js";

interface Outcome {
  runId: string;
  workflowName: string;
  previousStatus: RunStatus;
  /** The run's final status (`cancelled`, or how it ended first); `cancellation_requested` while its process has not yet stopped. */
  status: RunStatus | "cancellation_requested";
}

/** How long to wait for a signalled process to record its cancellation: its steps' grace period and a little more. */
const WAIT_MS = SHUTDOWN_HARD_DEADLINE_MS;
const POLL_MS = 100;

export default class WorkflowCancelCommand extends SwampCommand {
  static override paths = [["workflow", "cancel"]];
  static override usage = Command.Usage({
    description: "Cancel a running workflow run",
    details:
      "Cancels the newest unfinished run of the workflow, the run given by --run, or with --all every unfinished run. " +
      "A cancel request is written beside the run record; when the process running it is alive on this machine it is " +
      "sent SIGINT and stops gracefully, recording the run cancelled. When that process is gone the record is marked " +
      "cancelled directly. A run on another machine stops when its process next checks for the request.",
    examples: [
      ["Cancel the running run of a workflow", "swamp workflow cancel nightly"],
      ["One run, with a reason", "swamp workflow cancel --run 7c9e --reason 'wrong inputs'"],
      ["Everything", "swamp workflow cancel --all --json"],
    ],
  });

  workflow = Option.String({ required: false, name: "workflow" });
  runRef = Option.String("--run", { description: "The run to cancel (full id or unique prefix)" });
  all = Option.Boolean("--all", false, { description: "Cancel every unfinished run of every workflow" });
  reason = Option.String("--reason", { description: `Why (default "${DEFAULT_CANCEL_REASON}")` });

  async run(): Promise<void> {
    if (this.workflow === undefined && this.runRef === undefined && !this.all) {
      throw new UsageError("Provide a workflow name or ID, or use --all to cancel all running runs");
    }
    const reason = this.reason ?? DEFAULT_CANCEL_REASON;
    const { kernel, store } = await openRuns(this);
    // Targets are picked as recorded: a run whose process is gone is still a run to cancel.
    const targets = await this.targets(new RunStore(kernel, { repairOrphans: false, onWarning: (m) => this.context.stderr.write(`warning: ${m}\n`) }));
    const outcomes: Outcome[] = [];
    for (const run of targets) outcomes.push(await cancelOne(store, run, reason));
    this.emit({ cancelled: outcomes, count: outcomes.length, reason }, () => {
      if (outcomes.length === 0) return "No active runs to cancel.";
      return outcomes
        .map((o) =>
          o.status === "cancelled"
            ? `Cancelled run ${o.runId} of ${o.workflowName} (was ${o.previousStatus})`
            : o.status === "cancellation_requested"
              ? `Cancellation requested for run ${o.runId} of ${o.workflowName} (its process has not stopped yet)`
              : `Run ${o.runId} of ${o.workflowName} ended ${o.status} before it could be cancelled`,
        )
        .join("\n");
    });
  }

  private async targets(store: RunStore): Promise<RunRecord[]> {
    if (this.runRef !== undefined) {
      const scopes = this.workflow !== undefined ? await requireWorkflowRuns(store, this.workflow) : [undefined];
      let found: RunRef | null = null;
      for (const scope of scopes) found ??= await store.find(this.runRef, scope);
      const run = found ? await store.get(found.workflowId, found.runId) : null;
      if (!run) throw new SwampError(ErrorCode.workflowRunNotFound, `Workflow run not found: ${this.runRef}`, { details: { run: this.runRef } });
      if (isTerminal(run.status)) {
        throw new SwampError(ErrorCode.conflict, `Run ${run.id} has already finished (${run.status}); nothing to cancel`, {
          details: { runId: run.id, status: run.status },
        });
      }
      return [run];
    }
    const summaries = this.all
      ? await store.listAll()
      : (await Promise.all((await store.resolveWorkflow(this.workflow as string)).map((id) => store.list(id)))).flat();
    const active = summaries.filter((s) => !isTerminal(s.status));
    if (!this.all) {
      if (active.length === 0) {
        throw new SwampError(ErrorCode.workflowRunNotFound, `No active runs found for workflow "${this.workflow}"`, { details: { workflow: this.workflow } });
      }
      active.sort((a, b) => (Date.parse(b.startedAt ?? "") || 0) - (Date.parse(a.startedAt ?? "") || 0));
      active.length = 1;
    }
    const runs: RunRecord[] = [];
    for (const s of active) {
      const run = await store.get(s.workflowId, s.runId);
      if (run && !isTerminal(run.status)) runs.push(run);
    }
    return runs;
  }
}

/**
 * Writes the request, then: a gone process → the store marks the run cancelled (reading it
 * repairs it); a live local process → SIGINT and wait for its record to turn terminal; a
 * suspended run has no process → cancelled at once; a process on another host → it polls.
 */
async function cancelOne(store: RunStore, run: RunRecord, reason: string): Promise<Outcome> {
  const outcome = (current: RunRecord): Outcome => ({
    runId: run.id,
    workflowName: run.workflowName,
    previousStatus: run.status,
    status: isTerminal(current.status) ? current.status : "cancellation_requested",
  });
  await store.requestCancel(run.workflowId, run.id, reason);
  if (run.status === "suspended") return outcome(await store.markCancelled(run, reason));
  let current = (await store.get(run.workflowId, run.id)) ?? run;
  if (isTerminal(current.status)) return outcome(current);
  const local = current.host === undefined || current.host === hostname();
  if (!local || typeof current.pid !== "number" || current.pid === process.pid || !isProcessAlive(current.pid)) return outcome(current);
  try {
    process.kill(current.pid, "SIGINT");
  } catch {
    // Gone in the meantime: the next read repairs it.
  }
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    current = (await store.get(run.workflowId, run.id)) ?? current;
    if (isTerminal(current.status)) break;
  }
  return outcome(current);
}
