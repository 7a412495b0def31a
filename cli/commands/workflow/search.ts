import { Command, Option } from "clipanion";
import { originText } from "../../../kernel/workflows/types.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";
import { readOnlyWorkflowRepository } from "./shared.js";
import { warningLine } from "../../colour.js";

export default class WorkflowSearchCommand extends SwampCommand {
  static override paths = [["workflow", "search"], ["workflow", "list"]];
  static override usage = Command.Usage({
    description: "List workflows, optionally filtered by a substring of name, id or description",
    examples: [["Workflows about deploys", "swamp workflow search deploy"]],
  });

  query = Option.String({ required: false, name: "query" });

  async run(): Promise<void> {
    const repo = await readOnlyWorkflowRepository(this.resolvedRepoDir());
    const { workflows, broken } = await repo.list();
    const q = this.query?.toLowerCase();
    const results = workflows
      .map(({ workflow: w, origin }) => ({
        id: w.id,
        name: w.name,
        ...(w.description ? { description: w.description } : {}),
        jobCount: w.jobs.length,
        hasInputs: Object.keys(w.inputs?.properties ?? {}).length > 0,
        ...(w.trigger ? { trigger: w.trigger } : {}),
        ...(origin ? { origin } : {}),
      }))
      .filter((r) => !q || r.name.toLowerCase().includes(q) || r.id.toLowerCase().includes(q) || (r.description ?? "").toLowerCase().includes(q))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const b of broken) {
      this.context.stderr.write(warningLine(this.context.stderr, `skipping broken workflow ${b.name ?? b.path}: ${b.error}. Run 'swamp doctor workflows --json' to see all errors. File: ${repo.location(b)}`));
    }
    this.emit({ query: this.query ?? "", results }, () =>
      results.length === 0
        ? "No workflows found."
        : results.some((r) => r.origin)
          ? table(
              results.map((r) => [r.name, String(r.jobCount), r.description ?? "", r.origin ? originText(r.origin) : "(this repo)"]),
              { header: ["NAME", "JOBS", "DESCRIPTION", "FROM"], flex: 2 },
            )
          : table(
              results.map((r) => [r.name, String(r.jobCount), r.description ?? ""]),
              { header: ["NAME", "JOBS", "DESCRIPTION"], flex: 2 },
            ),
    );
  }
}
