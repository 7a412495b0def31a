import { Command, Option } from "clipanion";
import { parseSinceDuration, parseTag, searchData } from "../../../kernel/data/mod.js";
import type { SearchFilters, SearchResultItem } from "../../../kernel/data/mod.js";
import { definitionRepository } from "../../../kernel/models/service.js";
import type { DefinitionRepository } from "../../../kernel/models/repository.js";
import { SwampCommand } from "../../base.js";
import { formatBytes } from "../../output.js";
import { table } from "../../table.js";
import { dataRepository, day, parseCount, resolveModel } from "./shared.js";

/** Model id → definition name; one index lookup per id, one full listing after the first miss. */
async function modelNames(definitions: DefinitionRepository, ids: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let all: Map<string, string> | null = null;
  for (const id of ids) {
    if (out.has(id)) continue;
    if (all) {
      const name = all.get(id);
      if (name !== undefined) out.set(id, name);
      continue;
    }
    let found: string | undefined;
    try {
      found = (await definitions.find(id))?.definition.name;
    } catch {
      found = undefined;
    }
    if (found !== undefined) {
      out.set(id, found);
      continue;
    }
    const listed = await definitions.summaries({ includeAuto: true });
    all = new Map(listed.definitions.map((d) => [d.id, d.name]));
    const name = all.get(id);
    if (name !== undefined) out.set(id, name);
  }
  return out;
}

export default class DataSearchCommand extends SwampCommand {
  static override paths = [["data", "search"]];
  static override usage = Command.Usage({
    description: "Search the latest version of every data item in the repository",
    details:
      "The optional query is a case-insensitive substring of the name, type, model type, model name or owner. " +
      "Filters combine with AND. Results are newest first, cut to --limit (default 50).",
    examples: [
      ["All resources", "swamp data search --type resource"],
      ["Recent data of one model", "swamp data search --model hello-world --since 1d --json"],
      ["By tag", "swamp data search --tag env=prod --tag team=infra"],
    ],
  });

  query = Option.String({ required: false, name: "query" });
  type = Option.String("--type", { description: "Data type tag (resource, file, report, …)" });
  lifetime = Option.String("--lifetime", { description: "Lifetime (ephemeral, infinite, job, workflow, or a duration)" });
  ownerType = Option.String("--owner-type", { description: "Owner type (model-method, workflow-step, manual)" });
  workflow = Option.String("--workflow", { description: "Data tagged with this workflow name" });
  model = Option.String("--model", { description: "Data owned by this model (name or id)" });
  contentType = Option.String("--content-type", { description: "MIME content type" });
  since = Option.String("--since", { description: "Only data created within this duration (1h, 1d, 7d, 1w, 1mo)" });
  output = Option.String("--output", { description: "Output id" });
  runId = Option.String("--run", { description: "Workflow run id" });
  tag = Option.Array("--tag", [], { description: "KEY=VALUE; repeatable, every pair must match" });
  streaming = Option.Boolean("--streaming", false, { description: "Only streaming data" });
  limit = Option.String("--limit", { description: "Maximum results (default 50)" });

  async run(): Promise<void> {
    // Validate every flag before touching the repository.
    const limit = parseCount(this.limit, "--limit", 1) ?? 50;
    if (this.since !== undefined) parseSinceDuration(this.since);
    const tags: Record<string, string> = {};
    for (const text of this.tag) {
      const [k, v] = parseTag(text);
      tags[k] = v;
    }

    const kernel = await this.kernel();
    const definitions = definitionRepository(kernel);
    const filters: SearchFilters = { limit };
    if (this.query !== undefined) filters.query = this.query;
    if (this.type !== undefined) filters.type = this.type;
    if (this.lifetime !== undefined) filters.lifetime = this.lifetime;
    if (this.ownerType !== undefined) filters.ownerType = this.ownerType;
    if (this.workflow !== undefined) filters.workflow = this.workflow;
    if (this.model !== undefined) filters.model = (await resolveModel(kernel, this.model, definitions)).modelName;
    if (this.contentType !== undefined) filters.contentType = this.contentType;
    if (this.since !== undefined) filters.since = this.since;
    if (this.output !== undefined) filters.output = this.output;
    if (this.runId !== undefined) filters.run = this.runId;
    if (this.tag.length > 0) filters.tags = tags;
    if (this.streaming) filters.streaming = true;

    const outcome = await searchData(dataRepository(kernel), filters);
    const names = await modelNames(definitions, outcome.results.map((r) => r.modelId));
    const results: SearchResultItem[] = outcome.results.map((r) => ({ ...r, modelName: names.get(r.modelId) ?? r.modelId }));
    const out = { query: outcome.query, filters: outcome.filters, results, total: outcome.total, limited: outcome.limited };

    this.emit(out, () => {
      if (results.length === 0) return "No matching data found.";
      const rows = results.map((r) => [
        r.name,
        `v${r.version}`,
        r.type,
        r.modelName,
        r.contentType,
        formatBytes(r.size),
        day(r.createdAt),
      ]);
      const body = table(rows, { header: ["NAME", "VERSION", "TYPE", "MODEL", "CONTENT TYPE", "SIZE", "CREATED"], rule: true, stream: this.context.stdout, flex: 0 });
      const footer = out.limited
        ? `Showing ${results.length} of ${out.total} results (limit reached; use --limit to see more)`
        : `${out.total} result(s)`;
      return `${body}\n\n${footer}`;
    });
  }
}
