import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { integrityWarning } from "../../../kernel/data/integrity.js";
import { dataGetJson } from "../../../kernel/data/json.js";
import { revealVaultReferences } from "../../../kernel/vaults/lazy.js";
import { SwampCommand } from "../../base.js";
import { formatBytes } from "../../output.js";
import { checkNoConflict, dataRepository, parseCount, pick, repoRelative, requireDataName, resolveModel } from "./shared.js";

export default class DataGetCommand extends SwampCommand {
  static override paths = [["data", "get"]];
  static override usage = Command.Usage({
    description: "Show one version of a data item (the latest by default) with its content",
    details:
      "Without --version the latest version is shown, following rename forward references. " +
      "Use --no-content for metadata only (binary content is printed as UTF-8 otherwise).",
    examples: [
      ["The latest result", "swamp data get hello-world result"],
      ["A specific version as JSON", "swamp data get hello-world result --version 1 --json"],
      ["Metadata only", "swamp data get --model hello-world --name log --no-content"],
    ],
  });

  modelArg = Option.String({ required: false, name: "model" });
  nameArg = Option.String({ required: false, name: "data_name" });
  model = Option.String("--model", { description: "Model name or id (instead of the first positional)" });
  name = Option.String("--name", { description: "Data name (instead of the second positional)" });
  version = Option.String("--version", { description: "Show this version number" });
  content = Option.Boolean("--content", true, { description: "Include the content (--no-content: metadata only)" });
  reveal = Option.Boolean("--reveal", false, {
    description: "Resolve vault references in the content and print the secrets (by default they stay references)",
  });

  async run(): Promise<void> {
    checkNoConflict(this.modelArg, this.model, "--model");
    checkNoConflict(this.nameArg, this.name, "--name");
    const ref = pick(this.modelArg, this.model);
    const name = pick(this.nameArg, this.name);
    if (ref === undefined) throw new UsageError("A model name is required. Usage: swamp data get <model> <data_name>");
    if (name === undefined) throw new UsageError("A data name is required. Usage: swamp data get <model> <data_name>");
    const version = parseCount(this.version, "--version", 1);
    requireDataName(name);

    const kernel = await this.kernel();
    const model = await resolveModel(kernel, ref);
    const repo = dataRepository(kernel);
    const meta = await repo.get(model.modelType, model.modelId, name, version);
    if (!meta) {
      throw new SwampError("not_found", `Data not found: "${name}" for model "${ref}"${version !== undefined ? ` (version ${version})` : ""}`, {
        details: { model: ref, name, ...(version !== undefined ? { version } : {}) },
      });
    }
    const abs = repo.contentPath(model.modelType, model.modelId, meta.name, meta.version);
    const contentPath = repoRelative(kernel, abs);
    const raw = this.content ? await repo.getContent(model.modelType, model.modelId, meta.name, meta.version) : null;
    const out = dataGetJson(meta, model, contentPath, raw);
    // Served as it is, but never silently: bytes that changed since they were written are flagged.
    const integrity = await integrityWarning(meta, raw ?? abs);
    if (integrity) {
      out.integrityWarning = integrity;
      this.context.stderr.write(`Warning: ${integrity}\n`);
    }
    if (this.reveal && out.content !== undefined) out.content = await revealVaultReferences(kernel, out.content, "cli:data get --reveal");

    this.emit(out, () => {
      const lines = [
        `Data: ${meta.name} (v${meta.version})`,
        `Model: ${model.modelName} (${model.modelType})`,
        `Content: ${meta.contentType}, ${meta.size !== undefined ? formatBytes(meta.size) : "unknown"}`,
        `Lifetime: ${meta.lifetime} | GC: ${meta.garbageCollection}`,
      ];
      const tags = Object.entries(meta.tags);
      if (tags.length > 0) lines.push(`Tags: ${tags.map(([k, v]) => `${k}=${v}`).join(", ")}`);
      lines.push(`Owner: ${meta.ownerDefinition.ownerType} (${meta.ownerDefinition.ownerRef})`);
      if (meta.lifecycle === "deleted") lines.push(meta.renamedTo !== undefined ? `Lifecycle: deleted (renamed to ${meta.renamedTo})` : "Lifecycle: deleted");
      lines.push(`Created: ${meta.createdAt}`, `Path: ${contentPath}`);
      if ("content" in out) {
        const content = out.content;
        lines.push("", typeof content === "string" ? content.replace(/\n$/, "") : JSON.stringify(content, null, 2));
      }
      return lines.join("\n");
    });
  }
}
