import { Command, Option } from "clipanion";
import { UsageError } from "../../../kernel/contract/errors.js";
import { compareGroupTypes, dataListJson } from "../../../kernel/data/json.js";
import type { ListItemJson } from "../../../kernel/data/json.js";
import { SwampCommand } from "../../base.js";
import { formatBytes } from "../../output.js";
import { table } from "../../table.js";
import { checkNoConflict, dataRepository, day, pick, resolveModel } from "./shared.js";

export default class DataListCommand extends SwampCommand {
  static override paths = [["data", "list"]];
  static override usage = Command.Usage({
    description: "List the data of a model (latest version of each item), grouped by type",
    details: "Renamed items appear under their new name. Groups: log, file, resource, data, then other types alphabetically.",
    examples: [
      ["Everything a model produced", "swamp data list hello-world"],
      ["Only resources, as JSON", "swamp data list hello-world --type resource --json"],
    ],
  });

  modelArg = Option.String({ required: false, name: "model" });
  model = Option.String("--model", { description: "Model name or id (instead of the positional)" });
  type = Option.String("--type", { description: "Only items whose type tag is this (resource, file, report, …)" });

  workflow = Option.String("--workflow", { description: "List the data a run of this workflow recorded (name or id)" });
  runId = Option.String("--run", { description: "With --workflow: the run (id, unique prefix or latest; default latest)" });

  async run(): Promise<void> {
    checkNoConflict(this.modelArg, this.model, "--model");
    const ref = pick(this.modelArg, this.model);
    if (this.workflow !== undefined) {
      if (ref !== undefined) throw new UsageError("Cannot specify both a model and --workflow. Use one or the other.");
      return this.listRun(this.workflow);
    }
    if (this.runId !== undefined) throw new UsageError("--run needs --workflow <name>");
    if (ref === undefined) throw new UsageError("Either a model name or --workflow is required. Usage: swamp data list <model> (or --workflow <name>)");
    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const repo = dataRepository(kernel);
    let items = await repo.list(model.modelType, model.modelId);
    if (this.type !== undefined) items = items.filter((meta) => meta.tags.type === this.type);
    const out = dataListJson(model, items) as { groups: Array<{ type: string; items: ListItemJson[] }>; total: number };

    this.emit(out, () => {
      const lines = [`Data for ${model.modelName} (${model.modelType})`, ""];
      if (out.total === 0) {
        lines.push(this.type !== undefined ? `No data of type "${this.type}".` : "No data.");
        return lines.join("\n");
      }
      for (const group of out.groups) {
        lines.push(`${group.type || "(untyped)"} (${group.items.length} ${group.items.length === 1 ? "item" : "items"}):`);
        const rows = group.items.map((item) => [
          item.name,
          `v${item.version}`,
          item.contentType,
          item.size !== undefined ? formatBytes(item.size) : "-",
          day(item.createdAt),
        ]);
        lines.push(table(rows, { indent: "  ", flex: 0 }), "");
      }
      return lines.join("\n").replace(/\n+$/, "");
    });
  }

  /** The data one run recorded, across models, each at the version the run wrote: one record read, no scan. */
  private async listRun(workflow: string): Promise<void> {
    const kernel = await this.kernel();
    // Loaded only with --workflow: run records need the workflow modules and a YAML parser.
    const { resolveRunData, workflowRun } = await import("./workflow-scope.js");
    const run = await workflowRun(kernel, workflow, this.runId, (m) => this.context.stderr.write(`warning: ${m}\n`));
    const resolved = await resolveRunData(kernel, dataRepository(kernel), run);
    const groups = new Map<string, RunListItem[]>();
    const missing: Array<Record<string, unknown>> = [];
    for (const r of resolved) {
      if (!r.meta) {
        missing.push({ name: r.artifact.name, version: r.artifact.version, modelId: r.model.modelId, modelType: r.model.modelType });
        continue;
      }
      if (this.type !== undefined && r.meta.tags.type !== this.type) continue;
      const [item] = (dataListJson(r.model, [r.meta]) as { groups: Array<{ items: ListItemJson[] }> }).groups[0]?.items ?? [];
      if (!item) continue;
      const full: RunListItem = { ...item, modelId: r.model.modelId, modelName: r.model.modelName, modelType: r.model.modelType };
      if (r.jobName !== undefined) full.jobName = r.jobName;
      if (r.stepName !== undefined) full.stepName = r.stepName;
      const list = groups.get(item.type) ?? [];
      list.push(full);
      groups.set(item.type, list);
    }
    // The same group order and item order as the model listing.
    const outGroups = [...groups.keys()].sort(compareGroupTypes).map((type) => ({
      type,
      items: (groups.get(type) as RunListItem[]).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.modelName < b.modelName ? -1 : 1)),
    }));
    const total = outGroups.reduce((n, g) => n + g.items.length, 0);
    const out: Record<string, unknown> = { workflowId: run.workflowId, workflowName: run.workflowName, runId: run.id, runStatus: run.status, groups: outGroups, total };
    if (missing.length > 0) out.missing = missing;
    this.emit(out, () => {
      const lines = [`Data for workflow ${run.workflowName} (run ${run.id.slice(0, 8)})`, ""];
      if (total === 0) lines.push("No data.");
      for (const group of outGroups) {
        lines.push(`${group.type || "(untyped)"} (${group.items.length} ${group.items.length === 1 ? "item" : "items"}):`);
        const rows = group.items.map((item) => [
          item.name,
          `v${item.version}`,
          item.modelName,
          item.jobName !== undefined ? `${item.jobName}.${item.stepName}` : "(workflow)",
          item.size !== undefined ? formatBytes(item.size) : "-",
        ]);
        lines.push(table(rows, { indent: "  ", flex: 0 }), "");
      }
      for (const m of missing) lines.push(`missing: ${String(m.name)} v${String(m.version)} (garbage-collected or deleted)`);
      return lines.join("\n").replace(/\n+$/, "");
    });
  }
}

type RunListItem = ListItemJson & { modelId: string; modelName: string; modelType: string; jobName?: string; stepName?: string };
