import { Command, Option } from "clipanion";
import { parse } from "yaml";
import { toYaml } from "../../../kernel/runtime/yaml.js";
import { SwampError } from "../../../kernel/contract/errors.js";
import { contentChanged, normalizeModelType, orderedDefinition, parseDefinition } from "../../../kernel/models/definition.js";
import { definitionRepository, displayPath, saveWithUniqueName } from "../../../kernel/models/service.js";
import { readInputStream } from "../../../kernel/runtime/user-input.js";
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

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const repo = definitionRepository(kernel);
    const stored = await repo.require(this.ref);
    let text: string;
    let editor: string | undefined;
    if (!process.stdin.isTTY) {
      text = await readInputStream(process.stdin, "The definition on stdin");
    } else {
      const session = await editInEditor(toYaml(orderedDefinition(stored.definition)), `${stored.definition.name}.yaml`, "The edited definition");
      await session.discard();
      ({ text, editor } = session);
    }
    let data: unknown;
    try {
      data = parse(text);
    } catch (err) {
      throw new SwampError("validation_failed", `Invalid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) throw new SwampError("validation_failed", "The definition must be a YAML mapping");
    const record: Record<string, unknown> = { ...(data as Record<string, unknown>), id: stored.definition.id };
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
