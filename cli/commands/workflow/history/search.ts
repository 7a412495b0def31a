import { Command, Option } from "clipanion";
import { SwampCommand } from "../../../base.js";
import { parseCount } from "../../data/shared.js";
import { inputText, matchesInputs, openRuns, parsePairs, summaryJson, summaryTable } from "../runs-shared.js";

export default class WorkflowHistorySearchCommand extends SwampCommand {
  static override paths = [
    ["workflow", "history", "search"],
    ["workflow", "history", "list"],
  ];
  static override usage = Command.Usage({
    description: "List the runs of every workflow, newest first",
    details: "The optional query is a case-insensitive substring of the workflow name, run id, status or an input's key=value.",
    examples: [
      ["Everything", "swamp workflow history search"],
      ["Runs with env=prod", "swamp workflow history search --input env=prod --json"],
    ],
  });

  query = Option.String({ required: false, name: "query" });
  input = Option.Array("--input", [], { description: "KEY=VALUE; repeatable, compared as strings with the run's inputs" });
  limit = Option.String("--limit", { description: "Maximum results (default: all)" });

  async run(): Promise<void> {
    const limit = parseCount(this.limit, "--limit", 1);
    const inputs = parsePairs(this.input, "--input");
    const { store } = await openRuns(this);
    const q = this.query?.toLowerCase();
    let results = (await store.listAll()).filter((r) => {
      if (!matchesInputs(r, inputs)) return false;
      if (!q) return true;
      const haystacks = [r.workflowName, r.runId, r.status, ...Object.entries(r.inputs).map(([k, v]) => `${k}=${inputText(v)}`)];
      return haystacks.some((h) => h.toLowerCase().includes(q));
    });
    if (limit !== undefined) results = results.slice(0, limit);
    this.emit({ query: this.query ?? "", results: results.map(summaryJson) }, () =>
      results.length === 0 ? "No workflow runs found." : summaryTable(results),
    );
  }
}
