import { Command, Option } from "clipanion";
import { rm } from "node:fs/promises";
import { ErrorCode, SwampError } from "../../../kernel/contract/errors.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";
import { workflowRepository } from "../../../kernel/workflows/service.js";
import { isDeleted } from "../../../kernel/data/metadata.js";
import { dataRepository, definitionRepository, displayPath, outputRepository } from "../../../kernel/models/service.js";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";

export default class ModelDeleteCommand extends SwampCommand {
  static override paths = [["model", "delete"]];
  static override usage = Command.Usage({
    description: "Delete a model definition, its run records and (with --force) its data",
    examples: [["Delete a model and all its data", "swamp model delete hello-world --force --yes"]],
  });

  ref = Option.String({ name: "model_id_or_name" });
  force = Option.Boolean("-f,--force", false, { description: "Also delete the model's data, without asking" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });

  async run(): Promise<number> {
    const kernel = await this.kernel();
    const repo = definitionRepository(kernel);
    const stored = await repo.require(this.ref);
    const d = stored.definition;
    const type = d.type ?? "";
    const referencing = await workflowsReferencing(kernel, d.id, d.name);
    if (referencing.length) {
      throw new SwampError(
        ErrorCode.conflict,
        `Model '${d.name}' is referenced by workflow(s): ${referencing.join(", ")}. Remove those steps (or the workflows) first.`,
        { details: { model: d.name, workflows: referencing } },
      );
    }
    const data = dataRepository(kernel);
    const live = (await data.list(type, d.id)).filter((m) => !isDeleted(m));
    if (live.length && !this.force) {
      throw new SwampError("has_data", `Model '${d.name}' has ${live.length} associated data artifact(s). Delete the data first, or use --force to delete all.`);
    }
    if (!(await confirm(this.context, `Delete model ${d.name} (${type})${live.length ? ` and ${live.length} data artifact(s)` : ""}?`, { json: this.json, yes: this.yes || this.force, destructive: true, what: "delete the model" }))) {
      this.emit({ cancelled: true }, () => "Delete cancelled.");
      return 0;
    }
    const result = await kernel.locks.withModelLocks([{ modelType: type, modelId: d.id }], async () => {
      let dataDeleted = 0;
      for (const item of await data.list(type, d.id)) {
        await data.delete(type, d.id, item.name);
        dataDeleted++;
      }
      const outputs = outputRepository(kernel);
      let outputsDeleted = 0;
      for (const record of await outputs.list()) {
        if (record.definitionId !== d.id) continue;
        await kernel.markDirty?.(record.path);
        await kernel.markDirty?.(record.logFile);
        await rm(record.path, { force: true });
        await rm(record.logFile, { force: true });
        outputsDeleted++;
      }
      const evaluated = kernel.paths.resolve("definitions-evaluated", ...type.split("/"), `${d.id}.yaml`);
      await kernel.markDirty?.(evaluated);
      await rm(evaluated, { force: true });
      await repo.delete(stored);
      return { dataDeleted, outputsDeleted };
    });
    this.emit(
      { deleted: { id: d.id, name: d.name, type, inputPath: displayPath(kernel, stored.path) }, ...result },
      () => `Deleted ${d.name} (${type}): ${result.dataDeleted} data item(s), ${result.outputsDeleted} run record(s)`,
    );
    return 0;
  }
}

/** Names of the workflows with a step calling this model (by name or id). */
async function workflowsReferencing(kernel: Kernel, id: string, name: string): Promise<string[]> {
  const { workflows } = await workflowRepository(kernel).list();
  return workflows
    .filter(({ workflow }) =>
      workflow.jobs.some((job) =>
        job.steps.some((step) => {
          const task = step.task as { type: string; modelIdOrName?: unknown; modelName?: unknown };
          if (task.type !== "model_method") return false;
          const ref = typeof task.modelIdOrName === "string" ? task.modelIdOrName : task.modelName;
          return typeof ref === "string" && (ref === name || ref.toLowerCase() === id.toLowerCase());
        }),
      ),
    )
    .map(({ workflow }) => workflow.name)
    .sort();
}
