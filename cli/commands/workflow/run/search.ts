import { Command, Option } from "clipanion";
import { ErrorCode, SwampError } from "../../../../kernel/contract/errors.js";
import { parseSinceDuration } from "../../../../kernel/data/lifetime.js";
import type { RunStatus } from "../../../../kernel/workflows/types.js";
import { SwampCommand } from "../../../base.js";
import { parseCount } from "../../data/shared.js";
import { matchesInputs, openRuns, parsePairs, summaryJson, summaryTable } from "../runs-shared.js";

const STATUSES: readonly RunStatus[] = ["pending", "running", "suspended", "succeeded", "failed", "cancelled"];

export default class WorkflowRunSearchCommand extends SwampCommand {
  static override paths = [
    ["workflow", "run", "search"],
    ["workflow", "run", "list"],
  ];
  static override usage = Command.Usage({
    description: "Search workflow runs, newest first",
    details:
      "The optional query is a case-insensitive substring of the workflow name, run id or status. Filters combine " +
      "with AND. A run whose process is gone is shown (and saved) as failed.",
    examples: [
      ["Failed runs of the last day", "swamp workflow run search --status failed --since 1d"],
      ["Runs of one workflow with an input", "swamp workflow run search --workflow nightly --input env=prod --json"],
    ],
  });

  query = Option.String({ required: false, name: "query" });
  since = Option.String("--since", { description: "Only runs started within this duration (1h, 1d, 7d, 1w, 1mo)" });
  status = Option.String("--status", { description: `Only runs with this status (${STATUSES.join(", ")})` });
  workflow = Option.String("--workflow", { description: "Only runs of this workflow (name, case-insensitive, or id)" });
  tag = Option.Array("--tag", [], { description: "KEY=VALUE; repeatable, every pair must match" });
  input = Option.Array("--input", [], { description: "KEY=VALUE; repeatable, compared as strings with the run's inputs" });
  limit = Option.String("--limit", { description: "Maximum results (default 50)" });

  async run(): Promise<void> {
    const limit = parseCount(this.limit, "--limit", 1) ?? 50;
    const sinceMs = this.since !== undefined ? parseSinceDuration(this.since) : null;
    if (this.status !== undefined && !STATUSES.includes(this.status as RunStatus)) {
      throw new SwampError(ErrorCode.validation, `Invalid --status "${this.status}". Must be one of: ${STATUSES.join(", ")}`);
    }
    const tags = parsePairs(this.tag, "--tag");
    const inputs = parsePairs(this.input, "--input");
    const { store } = await openRuns(this);
    const q = this.query?.toLowerCase();
    const wf = this.workflow?.toLowerCase();
    const now = Date.now();
    const results = (await store.listAll())
      .filter((r) => !q || [r.workflowName, r.runId, r.status].some((h) => h.toLowerCase().includes(q)))
      .filter((r) => this.status === undefined || r.status === this.status)
      .filter((r) => wf === undefined || r.workflowName.toLowerCase() === wf || r.workflowId === this.workflow)
      .filter((r) => sinceMs === null || (r.startedAt !== undefined && Date.parse(r.startedAt) >= now - sinceMs))
      .filter((r) => tags.every(([k, v]) => r.tags[k] === v))
      .filter((r) => matchesInputs(r, inputs))
      .slice(0, limit);
    this.emit({ query: this.query ?? "", results: results.map(summaryJson) }, () =>
      results.length === 0 ? "No workflow runs found." : summaryTable(results),
    );
  }
}
