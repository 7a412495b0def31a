import { Command, Option } from "clipanion";
import { errorMessage, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import type { DataRepository } from "../../../kernel/data/repository.js";
import { SwampCommand } from "../../base.js";
import { confirm, willAsk, type ConfirmOptions } from "../../prompt.js";
import { checkNoConflict, dataRepository, parseCount, pick, plural, requireDataName, resolveModel } from "./shared.js";
import type { ResolvedModel } from "./shared.js";
import { warningLine } from "../../colour.js";

interface BatchItem {
  name: string;
  versions: number;
}

/** Stored data names of a model matching a prefix (every name with `all`), with their version counts (names other programs wrote included). */
async function batchItems(repo: DataRepository, model: ResolvedModel, prefix: string | undefined): Promise<BatchItem[]> {
  const fold = await repo.index.freshModel(model.modelType, model.modelId);
  if (!fold) return [];
  const out: BatchItem[] = [];
  for (const [name, versions] of fold.names) {
    if (versions.size === 0) continue;
    if (prefix !== undefined && !name.startsWith(prefix)) continue;
    out.push({ name, versions: versions.size });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export default class DataDeleteCommand extends SwampCommand {
  static override paths = [["data", "delete"]];
  static override usage = Command.Usage({
    description: "Delete a data item (all versions or one), or every item matching a prefix",
    details:
      "Single mode deletes every version of <name>, or only --version <n>. Batch mode (--prefix or --all) deletes whole " +
      "data items; --dry-run shows what it would delete. Asks for confirmation in a terminal unless -y/--yes (or -f) is " +
      "given; with --json it never asks. Holds the model's lock.",
    examples: [
      ["Delete one version", "swamp data delete hello-world result --version 1 --yes"],
      ["Delete every version of an item", "swamp data delete hello-world log -y"],
      ["Preview a batch delete", "swamp data delete hello-world --prefix report- --dry-run"],
      ["Delete all data of a model", "swamp data delete hello-world --all --yes"],
    ],
  });

  modelArg = Option.String({ required: false, name: "model" });
  nameArg = Option.String({ required: false, name: "name" });
  model = Option.String("--model", { description: "Model name or id" });
  name = Option.String("--name", { description: "Data name" });
  version = Option.String("--version", { description: "Delete only this version" });
  prefix = Option.String("--prefix", { description: "Batch: delete every data item whose name starts with this" });
  all = Option.Boolean("--all", false, { description: "Batch: delete all data of the model" });
  dryRun = Option.Boolean("--dry-run", false, { description: "Batch only: show what would be deleted" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  force = Option.Boolean("-f,--force", false, { description: "Alias of --yes" });

  async run(): Promise<number | void> {
    checkNoConflict(this.modelArg, this.model, "--model");
    checkNoConflict(this.nameArg, this.name, "--name");
    const ref = pick(this.modelArg, this.model);
    const name = pick(this.nameArg, this.name);
    const batch = this.prefix !== undefined || this.all;
    if (batch) {
      if (ref === undefined) {
        throw new UsageError(
          "Model is required for batch delete. Use positional argument (swamp data delete <model> --prefix <prefix>) or flag (--model <model>).",
        );
      }
      if (name !== undefined) {
        throw new UsageError(
          "Cannot combine data name with --prefix or --all. Delete one item (swamp data delete <model> <name>) or a batch (swamp data delete <model> --prefix <prefix>).",
        );
      }
      if (this.version !== undefined) {
        throw new UsageError("Cannot combine --version with --prefix or --all. --version deletes one version of a single data item.");
      }
      if (this.prefix !== undefined && this.prefix === "") throw new UsageError("--prefix value cannot be empty. Use --all to delete all data.");
      if (this.prefix !== undefined && this.all) throw new UsageError("Cannot combine --prefix and --all. Use one or the other.");
      return this.runBatch(ref);
    }
    if (ref === undefined || name === undefined) {
      throw new UsageError(
        "Both model and data name are required. Use positional arguments (swamp data delete <model> <name>) or flags (--model <model> --name <name>).",
      );
    }
    if (this.dryRun) throw new UsageError("--dry-run is only supported with --prefix or --all.");
    const version = parseCount(this.version, "--version", 1);
    requireDataName(name);
    return this.runSingle(ref, name, version);
  }

  private get asking(): ConfirmOptions {
    return { json: this.json, yes: this.yes || this.force, destructive: true, what: "delete data" };
  }

  /** Asks `question` when the command asks at all; prints the declined result. */
  private async declined(question: string): Promise<boolean> {
    if (!willAsk(this.context, this.asking) || (await confirm(this.context, question, this.asking))) return false;
    this.emit({ cancelled: true }, () => "Delete cancelled.");
    return true;
  }

  private async runSingle(ref: string, name: string, version: number | undefined): Promise<number> {
    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const repo = dataRepository(kernel);

    // Checked before asking (and again under the lock by the repository).
    const existing = await repo.versions(model.modelType, model.modelId, name);
    if (existing.length === 0) {
      throw new SwampError("not_found", `No data named "${name}" exists for model ${model.modelName}`, { details: { name } });
    }
    if (version !== undefined && !existing.some((m) => m.version === version)) {
      const available = existing.map((m) => m.version).sort((a, b) => a - b).join(", ");
      throw new SwampError("not_found", `Version ${version} does not exist for "${name}" (available versions: ${available})`, {
        details: { name, version },
      });
    }
    const question =
      version !== undefined
        ? `About to delete version ${version} of "${name}" from ${model.modelName}. Proceed?`
        : `About to delete ${existing.length} version(s) of "${name}" from ${model.modelName}. Proceed?`;
    if (await this.declined(question)) return 0;

    const result = await kernel.locks.withModelLocks([{ modelType: model.modelType, modelId: model.modelId }], () =>
      repo.delete(model.modelType, model.modelId, name, version, { modelName: model.modelName }),
    );
    const out: Record<string, unknown> = {
      modelId: model.modelId,
      modelName: model.modelName,
      modelType: model.modelType,
      dataName: name,
      ...(version !== undefined ? { version } : {}),
      versionsDeleted: result.versionsDeleted,
    };
    this.emit(out, () =>
      version !== undefined
        ? `Deleted version ${version} of ${name} for ${model.modelName} (${model.modelType})`
        : `Deleted ${result.versionsDeleted} version(s) of ${name} for ${model.modelName} (${model.modelType})`,
    );
    return 0;
  }

  private async runBatch(ref: string): Promise<number> {
    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const repo = dataRepository(kernel);
    const prefix = this.prefix;
    const planned = await batchItems(repo, model, prefix);
    if (planned.length === 0) {
      const what = prefix !== undefined ? `No data matching prefix "${prefix}" found for model ${model.modelName}` : `No data found for model ${model.modelName}`;
      throw new SwampError("not_found", what, { details: prefix !== undefined ? { prefix } : {} });
    }
    const scope = prefix !== undefined ? `matching prefix "${prefix}" from ${model.modelName}` : `from ${model.modelName} (all data)`;
    const plannedVersions = planned.reduce((n, item) => n + item.versions, 0);
    const base = { modelId: model.modelId, modelName: model.modelName, modelType: model.modelType };

    if (this.dryRun) {
      const out = { ...base, totalDeleted: planned.length, totalVersionsDeleted: plannedVersions, failed: [], dryRun: true, dataNames: planned.map((i) => i.name) };
      this.emit(out, () =>
        [
          `Would delete ${plural(planned.length, "data artifact", "data artifacts")} (${plural(plannedVersions, "version", "versions")}) from ${model.modelName} (${model.modelType}):`,
          ...planned.map((item) => `  ${item.name}  ${plural(item.versions, "version", "versions")}`),
        ].join("\n"),
      );
      return 0;
    }

    if (await this.declined(`About to delete ${planned.length} data artifact(s) (${plannedVersions} version(s)) ${scope}. Proceed?`)) return 0;

    const failed: Array<{ dataName: string; error: string }> = [];
    const deleted: string[] = [];
    let versionsDeleted = 0;
    await kernel.locks.withModelLocks([{ modelType: model.modelType, modelId: model.modelId }], async () => {
      for (const item of planned) {
        try {
          const r = await repo.delete(model.modelType, model.modelId, item.name, undefined, { modelName: model.modelName });
          versionsDeleted += r.versionsDeleted;
          deleted.push(item.name);
        } catch (err) {
          failed.push({ dataName: item.name, error: errorMessage(err) });
        }
      }
    });
    const out = { ...base, totalDeleted: deleted.length, totalVersionsDeleted: versionsDeleted, failed, dryRun: false, dataNames: deleted };
    this.emit(out, () => `Deleted ${deleted.length} data artifact(s) (${versionsDeleted} version(s)) from ${model.modelName} (${model.modelType})`);
    if (!this.json) for (const f of failed) this.context.stderr.write(warningLine(this.context.stderr, `could not delete ${f.dataName}: ${f.error}`));
    return failed.length > 0 ? 1 : 0;
  }
}
