import { Command, Option } from "clipanion";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parse } from "yaml";
import { ErrorCode, errorCode, errorMessage, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { readInputStream } from "../../../kernel/runtime/user-input.js";
import type { BrokenWorkflow } from "../../../kernel/workflows/repository.js";
import { serializeWorkflow } from "../../../kernel/workflows/repository.js";
import { parseWorkflow } from "../../../kernel/workflows/schema.js";
import { workflowRepository } from "../../../kernel/workflows/service.js";
import type { StoredWorkflow, Workflow } from "../../../kernel/workflows/types.js";
import { SwampCommand } from "../../base.js";
import { editInEditor } from "../../editor.js";

/** The edited text as a workflow, keeping the original id (runs and data are keyed by it). */
function parseEdited(text: string, id: string | null, what: string): Workflow {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new SwampError(ErrorCode.workflowInvalid, `${what}: invalid YAML: ${errorMessage(err).split("\n")[0]}`);
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new SwampError(ErrorCode.workflowInvalid, `${what}: a workflow must be a YAML mapping`);
  const record = data as Record<string, unknown>;
  try {
    return parseWorkflow(id ? { ...record, id } : record);
  } catch (err) {
    throw new SwampError(ErrorCode.workflowInvalid, `${what}: ${errorMessage(err)}`);
  }
}

export default class WorkflowEditCommand extends SwampCommand {
  static override paths = [["workflow", "edit"]];
  static override usage = Command.Usage({
    description: "Edit a workflow file (from piped YAML, or in $EDITOR)",
    details:
      "The id cannot change. Piped YAML replaces the file after it is validated; a rename moves the file to workflow-<new name>.yaml. " +
      "A file that does not load can only be fixed in the editor.",
    examples: [["Replace from a file", "swamp workflow edit deploy-pipeline < deploy.yaml"]],
  });

  ref = Option.String({ required: false, name: "workflow_id_or_name" });

  async run(): Promise<void> {
    if (!this.ref) throw new UsageError("Name the workflow to edit: swamp workflow edit <workflow>");
    const kernel = await this.kernel();
    const repo = workflowRepository(kernel);
    let stored: StoredWorkflow | undefined;
    let broken: BrokenWorkflow | undefined;
    try {
      stored = await repo.require(this.ref);
    } catch (err) {
      broken = errorCode(err) === ErrorCode.workflowLoadFailed ? await repo.brokenFor(this.ref) : undefined;
      if (!broken) throw err;
    }
    const readOnly = repo.readOnlyError((stored ?? broken)!, "edit");
    if (readOnly) throw readOnly;
    const path = stored?.path ?? broken!.path;
    const id = stored?.workflow.id ?? broken?.id ?? null;
    const previous: StoredWorkflow = stored ?? { workflow: { name: broken!.name ?? "" } as Workflow, path };
    const before = await readFile(path, "utf8");

    let edited: Workflow;
    let editor: string | undefined;
    let savedPath: string;
    if (!process.stdin.isTTY) {
      if (broken) {
        throw new SwampError(
          ErrorCode.workflowLoadFailed,
          "Cannot update workflow from stdin: the workflow's YAML is broken and must be fixed in an editor first",
          { details: { file: repo.displayPath(path) } },
        );
      }
      edited = parseEdited(await readInputStream(process.stdin, "The workflow on stdin"), id, "Invalid workflow YAML from stdin");
      savedPath = await repo.update(edited, previous);
    } else {
      const session = await editInEditor(before, basename(path), "The edited workflow");
      editor = session.editor;
      try {
        edited = parseEdited(session.text, id, "Invalid workflow YAML");
        savedPath = await repo.update(edited, previous);
      } catch (err) {
        // Keep what the user typed: the message says where.
        throw new SwampError(errorCode(err) ?? ErrorCode.workflowInvalid, `${errorMessage(err)} (your edit is kept in ${session.file})`);
      }
      await session.discard();
    }
    const changed = savedPath !== path || serializeWorkflow(edited) !== before;
    const out = { path: repo.displayPath(savedPath), ...(editor ? { editor } : {}), status: changed ? "updated" : "unchanged", name: edited.name, id: edited.id };
    this.emit(out, () => (changed ? `Updated workflow ${edited.name}\n  at ${out.path}` : `No changes to ${edited.name}`));
  }
}
