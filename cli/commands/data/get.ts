import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { once } from "node:events";
import type { FileHandle } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { ContentVerifier, integrityWarning } from "../../../kernel/data/integrity.js";
import { isJsonContentType } from "../../../kernel/data/record.js";
import { dataGetJson } from "../../../kernel/data/json.js";
import { revealVaultReferences } from "../../../kernel/vaults/lazy.js";
import type { ModelIdentity } from "../../../kernel/data/json.js";
import type { DataMetadata } from "../../../kernel/data/metadata.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";
import { SwampCommand } from "../../base.js";
import { formatBytes } from "../../output.js";
import { checkNoConflict, dataRepository, parseCount, pick, repoRelative, requireDataName, resolveModel } from "./shared.js";
import { warningLine } from "../../colour.js";

function headerLines(meta: DataMetadata, model: ModelIdentity, contentPath: string): string[] {
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
  return lines;
}

export default class DataGetCommand extends SwampCommand {
  static override paths = [["data", "get"]];
  static override usage = Command.Usage({
    description: "Show one version of a data item (the latest by default) with its content",
    details:
      "Without --version the latest version is shown, following rename forward references. " +
      "Use --no-content for metadata only (binary content is printed as UTF-8 otherwise). Content that is not JSON is " +
      "streamed, so a large file output needs little memory; its checksum is verified as it goes out, and a mismatch is " +
      "reported after the content (a warning on stderr, `integrityWarning` in --json; the exit code stays 0).",
    examples: [
      ["The latest result", "swamp data get hello-world result"],
      ["What the latest run of a workflow recorded", "swamp data get --workflow nightly result"],
      ["What one run recorded, of one model", "swamp data get scanner result --workflow nightly --run 7c9e"],
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

  workflow = Option.String("--workflow", { description: "Data a run of this workflow recorded (name or id)" });
  runId = Option.String("--run", { description: "With --workflow: the run (id, unique prefix or latest; default latest)" });

  async run(): Promise<void> {
    const version = parseCount(this.version, "--version", 1);
    if (this.runId !== undefined && this.workflow === undefined) throw new UsageError("--run needs --workflow <name>");
    const kernel = await this.kernel();
    const repo = dataRepository(kernel);
    const { model, meta } = this.workflow !== undefined ? await this.fromRun(kernel, this.workflow, version) : await this.fromModel(kernel, version);
    const abs = repo.contentPath(model.modelType, model.modelId, meta.name, meta.version);
    const contentPath = repoRelative(kernel, abs);
    // Content shown as text is streamed (memory stays flat whatever its size); JSON content is
    // parsed to be shown and vault references need the whole text, so those are read whole.
    if (this.content && !this.reveal && !isJsonContentType(meta.contentType)) {
      const handle = await repo.openContent(model.modelType, model.modelId, meta.name, meta.version);
      if (handle) return this.stream(meta, model, contentPath, handle);
    }
    const raw = this.content ? await repo.getContent(model.modelType, model.modelId, meta.name, meta.version) : null;
    const out = dataGetJson(meta, model, contentPath, raw);
    // Served as it is, but never silently: bytes that changed since they were written are flagged.
    const integrity = await integrityWarning(meta, raw ?? abs);
    if (integrity) {
      out.integrityWarning = integrity;
      this.context.stderr.write(warningLine(this.context.stderr, integrity));
    }
    if (this.reveal && out.content !== undefined) out.content = await revealVaultReferences(kernel, out.content, "cli:data get --reveal");

    this.emit(out, () => {
      const lines = headerLines(meta, model, contentPath);
      if ("content" in out) {
        const content = out.content;
        lines.push("", typeof content === "string" ? content.replace(/\n$/, "") : JSON.stringify(content, null, 2));
      }
      return lines.join("\n");
    });
  }

  /**
   * Prints a version with its content streamed from the raw file, exactly as the buffered form
   * would print it (UTF-8 text; in --json the `content` string). The bytes are hashed as they
   * go out. A mismatch with the recorded checksum is known only after the last byte is written,
   * so it is reported then, as for any `data get`: the content has been served, one warning line
   * goes to stderr, --json ends with `integrityWarning`, and the exit code stays 0.
   */
  private async stream(meta: DataMetadata, model: ModelIdentity, contentPath: string, handle: FileHandle): Promise<void> {
    const stdout = this.context.stdout;
    const put = async (text: string) => {
      if (text !== "" && !stdout.write(text)) await once(stdout, "drain");
    };
    const decoder = new StringDecoder("utf8");
    const verifier = new ContentVerifier(meta);
    const SENTINEL = `\u0000content-${process.pid}\u0000`;
    const doc = (warning: string | null) => {
      const out = dataGetJson(meta, model, contentPath, null);
      out.content = SENTINEL;
      if (warning) out.integrityWarning = warning;
      const text = `${JSON.stringify(out, null, 2)}\n`;
      const at = text.indexOf(JSON.stringify(SENTINEL));
      return { before: text.slice(0, at + 1), after: text.slice(at + JSON.stringify(SENTINEL).length - 1) };
    };
    const emitBytes = (bytes: Uint8Array) => {
      const text = decoder.write(bytes as Buffer);
      return put(this.json ? JSON.stringify(text).slice(1, -1) : text);
    };
    // Text output drops one trailing newline of the content and ends with exactly one: the last
    // two bytes are held back until the end to decide that.
    let held: Buffer = Buffer.alloc(0);
    try {
      await put(this.json ? doc(null).before : `${headerLines(meta, model, contentPath).join("\n")}\n\n`);
      // Chunks under V8's large-object size: the strings made of each stay in the young generation,
      // which is collected at once, so peak memory stays flat (1 MiB chunks let ~40 MiB pile up).
      for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 16, autoClose: false })) {
        const bytes = chunk as Buffer;
        verifier.update(bytes);
        if (this.json) {
          await emitBytes(bytes);
          continue;
        }
        if (bytes.length >= 2) {
          await emitBytes(held);
          await emitBytes(bytes.subarray(0, bytes.length - 2));
          held = Buffer.from(bytes.subarray(bytes.length - 2));
        } else {
          const joined = Buffer.concat([held, bytes]);
          await emitBytes(joined.subarray(0, Math.max(0, joined.length - 2)));
          held = joined.subarray(Math.max(0, joined.length - 2));
        }
      }
    } finally {
      await handle.close();
    }
    const warning = verifier.warning();
    if (this.json) {
      await put(JSON.stringify(decoder.end()).slice(1, -1));
      await put(doc(warning).after);
    } else {
      const tail = held.length > 0 && held[held.length - 1] === 0x0a ? held.subarray(0, held.length - 1) : held;
      await emitBytes(tail);
      await put(decoder.end());
      await put(tail.length > 0 && tail[tail.length - 1] !== 0x0a ? "\n" : "");
    }
    if (warning) this.context.stderr.write(warningLine(this.context.stderr, warning));
  }

  private async fromModel(kernel: Kernel, version: number | undefined): Promise<{ model: ModelIdentity; meta: DataMetadata }> {
    checkNoConflict(this.modelArg, this.model, "--model");
    checkNoConflict(this.nameArg, this.name, "--name");
    const ref = pick(this.modelArg, this.model);
    const name = pick(this.nameArg, this.name);
    if (ref === undefined) throw new UsageError("A model name is required. Usage: swamp data get <model> <data_name>");
    if (name === undefined) throw new UsageError("A data name is required. Usage: swamp data get <model> <data_name>");
    requireDataName(name);
    const model = await resolveModel(kernel, ref);
    const meta = await dataRepository(kernel).get(model.modelType, model.modelId, name, version);
    if (!meta) {
      throw new SwampError("not_found", `Data not found: "${name}" for model "${ref}"${version !== undefined ? ` (version ${version})` : ""}`, {
        details: { model: ref, name, ...(version !== undefined ? { version } : {}) },
      });
    }
    return { model, meta };
  }

  /**
   * `--workflow <wf> [--run <r>] [<model>] <name>`: the exact version the run recorded (the
   * highest one when a step wrote the name more than once), never today's latest.
   */
  private async fromRun(kernel: Kernel, workflow: string, version: number | undefined): Promise<{ model: ModelIdentity; meta: DataMetadata }> {
    // One positional is the data name (the reference's form); two are model and name.
    const twoPositionals = this.nameArg !== undefined;
    const ref = this.model ?? (twoPositionals ? this.modelArg : undefined);
    const name = this.name ?? (twoPositionals ? this.nameArg : this.modelArg);
    if (name === undefined) throw new UsageError("A data name is required. Usage: swamp data get --workflow <name> [<model>] <data_name>");
    requireDataName(name);
    const model = ref !== undefined ? await resolveModel(kernel, ref) : undefined;
    // Loaded only with --workflow: run records need the workflow modules and a YAML parser.
    const { resolveRunData, workflowRun } = await import("./workflow-scope.js");
    const run = await workflowRun(kernel, workflow, this.runId, (m) => this.context.stderr.write(`warning: ${m}\n`));
    const found = await resolveRunData(kernel, dataRepository(kernel), run, (rec) => rec.artifact.name === name && (version === undefined || rec.artifact.version === version));
    const matching = model ? found.filter((f) => f.model.modelId === model.modelId) : found;
    const where = `"${name}" in workflow "${workflow}" (run ${run.id})${version !== undefined ? ` (version ${version})` : ""}`;
    if (matching.length === 0) throw new SwampError("not_found", `Data not found: ${where}`, { details: { workflow, runId: run.id, name } });
    const models = [...new Set(matching.map((f) => f.model.modelId))];
    if (models.length > 1) {
      const names = [...new Set(matching.map((f) => f.model.modelName))].join(", ");
      throw new SwampError("validation_failed", `Data ${where} was written by several models (${names}); name the model: swamp data get <model> ${name} --workflow ${workflow}`, {
        details: { models: matching.map((f) => f.model) },
      });
    }
    const pickOne = matching.reduce((a, b) => (b.artifact.version > a.artifact.version ? b : a));
    if (!pickOne.meta) {
      throw new SwampError("not_found", `Data not found: ${where}: version ${pickOne.artifact.version} that the run recorded no longer exists (garbage-collected or deleted)`, {
        details: { workflow, runId: run.id, name, version: pickOne.artifact.version, modelId: pickOne.model.modelId },
      });
    }
    return { model: pickOne.model, meta: pickOne.meta };
  }
}
