import { Command, Option } from "clipanion";
import { parse } from "yaml";
import { toYaml } from "../../../kernel/runtime/yaml.js";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { contentChanged, normalizeModelType, orderedDefinition, parseDefinition } from "../../../kernel/models/definition.js";
import { definitionRepository, displayPath, saveWithUniqueName } from "../../../kernel/models/service.js";
import { readInputFile, STDIN_PATH } from "../../../kernel/runtime/user-input.js";
import { loadModelType } from "../../../kernel/models/types.js";
import { validateGlobalArguments, validateMethodArguments } from "../../../kernel/models/arguments.js";
import { SwampCommand } from "../../base.js";
import { editInEditor } from "../../editor.js";

export default class ModelEditCommand extends SwampCommand {
  static override paths = [["model", "edit"]];
  static override usage = Command.Usage({
    description: "Edit a model definition (from piped YAML, or in $EDITOR)",
    details: "The id cannot change. The definition is validated before it is saved, and its version goes up when its content changed.",
    examples: [["Replace from a file", "swamp model edit hello-world < hello-world.yaml"]],
  });

  ref = Option.String({ name: "model_id_or_name" });
  file = Option.String({ required: false, name: "file" });

  async run(): Promise<void> {
    // Where the new YAML comes from: `model edit -` (the document names its model), `model edit
    // <model> <file|->`, piped stdin; else the editor.
    const fromStdin = this.ref === STDIN_PATH;
    if (fromStdin && this.file !== undefined) throw new UsageError("Give the model or `-`, then at most one file: swamp model edit <model> [file|-]");
    const source = fromStdin ? STDIN_PATH : (this.file ?? (process.stdin.isTTY ? undefined : STDIN_PATH));
    const kernel = await this.kernel();
    const repo = definitionRepository(kernel);
    // A named model is found before anything is read; `-` is found from what was read.
    const named = fromStdin ? undefined : await repo.require(this.ref);
    let data = source === undefined ? undefined : parseMapping(await readInputFile(source, source === STDIN_PATH ? "The definition on stdin" : `The definition in ${source}`));
    const stored = named ?? (await repo.require(modelNamedIn(data!)));
    let editor: string | undefined;
    if (data === undefined) {
      const session = await editInEditor(toYaml(orderedDefinition(stored.definition)), `${stored.definition.name}.yaml`, "The edited definition");
      await session.discard();
      editor = session.editor;
      data = parseMapping(session.text);
    }
    const record: Record<string, unknown> = { ...data, id: stored.definition.id };
    record.type ??= stored.definition.type;
    // Omitted, the recorded type version stays: only the user moves a definition to a newer one.
    if (stored.definition.typeVersion) record.typeVersion ??= stored.definition.typeVersion;
    const parsed = parseDefinition(record, "edited definition");
    // Types compare in their normalized form (`AWS::EC2::VPC` is `aws/ec2/vpc`), and are stored so.
    const edited = { ...parsed, type: normalizeModelType(parsed.type ?? "") };
    if (edited.type !== stored.definition.type) {
      throw new SwampError("validation_failed", `The type cannot change (${stored.definition.type} → ${edited.type}); create a new model instead`);
    }
    const plugin = await loadModelType(kernel.registry, edited.type ?? "");
    validateGlobalArguments(plugin, edited.globalArguments, { partial: true });
    for (const [method, body] of Object.entries(edited.methods)) validateMethodArguments(plugin, method, body.arguments ?? {}, { partial: true });
    const changed = contentChanged(stored.definition, edited);
    const next = { ...edited, version: changed ? stored.definition.version + 1 : stored.definition.version };
    const path = await saveWithUniqueName(kernel, repo, next, { auto: stored.auto, previousPath: stored.path, previousName: stored.definition.name });
    const out = { path: displayPath(kernel, path), ...(editor ? { editor } : {}), status: changed ? "updated" : "unchanged", name: next.name, type: next.type, version: next.version, editType: "definition" };
    this.emit(out, () => (changed ? `Updated ${next.name} (${next.type}) to version ${next.version}` : `No changes to ${next.name}`));
  }
}

function parseMapping(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new SwampError("validation_failed", `Invalid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new SwampError("validation_failed", "The definition must be a YAML mapping");
  return data as Record<string, unknown>;
}

/** The model a definition read from stdin replaces: its id, else its name. */
function modelNamedIn(data: Record<string, unknown>): string {
  for (const key of ["id", "name"]) {
    const value = data[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  throw new UsageError("The definition on stdin has no id or name to say which model it replaces; name the model: swamp model edit <model> -");
}
