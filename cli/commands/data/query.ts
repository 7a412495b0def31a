import { Command, Option } from "clipanion";
import { UsageError } from "../../../kernel/contract/errors.js";
import { dataQueryJson, queryData } from "../../../kernel/data/mod.js";
import type { DataRepository, QueryOptions, QueryOutcome } from "../../../kernel/data/mod.js";
import { SwampCommand } from "../../base.js";
import { formatBytes, renderError } from "../../output.js";
import { table } from "../../table.js";
import { askLine } from "../../prompt.js";
import { dataRepository, parseCount } from "./shared.js";

const DEFAULT_LIMIT = 100;

const NO_PREDICATE =
  "A CEL predicate is required in non-interactive mode, e.g. swamp data query 'modelName == \"scanner\"' " +
  "(run without arguments in a terminal for interactive mode)";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** Text rendering of `--select` results: scalars one per line, maps and lists as tables. */
function renderProjection(results: unknown[]): string {
  const first = results.find((v) => v !== null && v !== undefined);
  if (Array.isArray(first)) {
    const width = results.reduce<number>((w, r) => (Array.isArray(r) ? Math.max(w, r.length) : w), 0);
    const header = Array.from({ length: width }, (_, i) => String(i + 1));
    const rows = results.map((r) => header.map((_, i) => (Array.isArray(r) ? cell(r[i]) : "")));
    return table(rows, { header, rule: true });
  }
  if (first !== null && typeof first === "object") {
    const keys = Object.keys(first as Record<string, unknown>);
    const rows = results.map((r) => keys.map((k) => (r !== null && typeof r === "object" ? cell((r as Record<string, unknown>)[k]) : "")));
    return table(rows, { header: keys, rule: true });
  }
  return results.map((r) => (r !== null && typeof r === "object" ? JSON.stringify(r, null, 2) : cell(r))).join("\n");
}

function renderOutcome(outcome: QueryOutcome, selecting: boolean, stdout: NodeJS.WritableStream): string {
  if (outcome.total === 0) return "No matching data found.";
  const footer = outcome.limited ? `Showing ${outcome.total} results (limit reached)` : `${outcome.total} result(s)`;
  if (selecting) {
    const body = renderProjection(outcome.results ?? []);
    return outcome.limited ? `${body}\n\n${footer}` : body;
  }
  const rows = outcome.records.map((r) => [r.name, r.modelName, r.specName, r.dataType, String(r.version), formatBytes(r.size)]);
  const body = table(rows, { header: ["name", "modelName", "specName", "dataType", "version", "size"], rule: true, stream: stdout, flex: 0 });
  return `${body}\n\n${footer}`;
}

export default class DataQueryCommand extends SwampCommand {
  static override paths = [["data", "query"]];
  static override usage = Command.Usage({
    description: "Query data with a CEL predicate over DataRecord fields",
    details:
      "Fields: attributes, content, contentType, createdAt, dataType, id, isLatest, lifetime, modelName, modelType, name, " +
      "ownerType, size, specName, streaming, tags, version, … Only the latest version of each item is searched unless the " +
      "predicate mentions `version` or `isLatest` (e.g. `version >= 0`). --select projects each match with a CEL expression. " +
      "Without a predicate in a terminal, predicates are read interactively.",
    examples: [
      ["All resources", "swamp data query 'tags.type == \"resource\"'"],
      ["Just the names", "swamp data query 'modelName == \"hello-world\"' --select name --json"],
      ["Every version", "swamp data query 'name == \"result\" && version >= 0' --select 'version'"],
    ],
  });

  predicate = Option.String({ required: false, name: "predicate" });
  select = Option.String("--select", { description: "CEL expression projecting each match (e.g. name, {\"n\": name})" });
  limit = Option.String("--limit", { description: `Maximum results (default ${DEFAULT_LIMIT})` });

  async run(): Promise<number | void> {
    const limit = parseCount(this.limit, "--limit", 1) ?? DEFAULT_LIMIT;
    const selecting = this.select !== undefined;
    // Only --json without --select prints content; text output never reads it.
    const options: QueryOptions = { limit, hydrate: this.json && !selecting };
    if (this.select !== undefined) options.select = this.select;

    if (this.predicate === undefined || this.predicate.trim() === "") {
      const interactive = !this.json && (this.context.stdout as NodeJS.WriteStream).isTTY && (this.context.stdin as NodeJS.ReadStream).isTTY;
      if (this.predicate !== undefined || !interactive) throw new UsageError(NO_PREDICATE);
      return this.interactive(options, selecting);
    }

    const kernel = await this.kernel();
    const outcome = await queryData(dataRepository(kernel), this.predicate, options);
    this.emit(dataQueryJson(outcome), () => renderOutcome(outcome, selecting, this.context.stdout));
  }

  /** Reads predicates from the terminal until an empty line or end of input. */
  private async interactive(options: QueryOptions, selecting: boolean): Promise<number> {
    const kernel = await this.kernel();
    const repo: DataRepository = dataRepository(kernel);
    const ctx = { stdin: this.context.stdin, stderr: this.context.stderr };
    this.context.stderr.write("Enter a CEL predicate (e.g. tags.type == \"resource\"); an empty line quits.\n");
    for (;;) {
      const line = await askLine(ctx, "query> ");
      if (line === null || line.trim() === "") return 0;
      try {
        const outcome = await queryData(repo, line, options);
        this.context.stdout.write(`${renderOutcome(outcome, selecting, this.context.stdout)}\n`);
      } catch (err) {
        renderError(err, this.context, { json: false, verbose: this.verbose });
      }
    }
  }
}
