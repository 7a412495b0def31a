import { Command, Option } from "clipanion";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parse } from "yaml";
import { ErrorCode, errorCode, errorMessage, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { readInputFile, STDIN_PATH } from "../../../kernel/runtime/user-input.js";
import type { BrokenWorkflow } from "../../../kernel/workflows/repository.js";
import { serializeWorkflow } from "../../../kernel/workflows/repository.js";
import { parseWorkflow } from "../../../kernel/workflows/schema.js";
import { workflowRepository } from "../../../kernel/workflows/service.js";
import type { StoredWorkflow, Workflow } from "../../../kernel/workflows/types.js";
import { SwampCommand } from "../../base.js";
import { editInEditor } from "../../editor.js";

function parseMapping(text: string, what: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new SwampError(ErrorCode.workflowInvalid, `${what}: invalid YAML: ${errorMessage(err).split("\n")[0]}`);
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new SwampError(ErrorCode.workflowInvalid, `${what}: a workflow must be a YAML mapping`);
  return data as Record<string, unknown>;
}

/** The edited document as a workflow, keeping the original id (runs and data are keyed by it). */
function parseEdited(record: Record<string, unknown>, id: string | null, what: string): Workflow {
  try {
    return parseWorkflow(id ? { ...record, id } : record);
  } catch (err) {
    throw new SwampError(ErrorCode.workflowInvalid, `${what}: ${errorMessage(err)}`);
  }
}

/** The workflow a document read from stdin replaces: its id, else its name. */
function workflowNamedIn(record: Record<string, unknown>): string {
  for (const key of ["id", "name"]) {
    const value = record[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  throw new UsageError("The workflow on stdin has no id or name to say which workflow it replaces; name it: swamp workflow edit <workflow> -");
}

export default class WorkflowEditCommand extends SwampCommand {
  static override paths = [["workflow", "edit"]];
  static override usage = Command.Usage({
    description: "Edit a workflow file (from piped YAML, or in $EDITOR)",
    details:
      "The id cannot change. New YAML (a file, `-` or piped stdin) replaces the file after it is validated; a rename moves the file to " +
      "workflow-<new name>.yaml. With `-` alone the document names the workflow it replaces (its id, else its name). " +
      "A file that does not load can only be fixed in the editor.",
    examples: [
      ["Replace from a file", "swamp workflow edit deploy-pipeline deploy.yaml"],
      ["Replace from stdin; the document names the workflow", "swamp workflow edit - < deploy.yaml"],
    ],
  });

  ref = Option.String({ required: false, name: "workflow_id_or_name" });
  file = Option.String({ required: false, name: "file" });

  async run(): Promise<void> {
    if (!this.ref) throw new UsageError("Name the workflow to edit: swamp workflow edit <workflow> [file|-], or swamp workflow edit - < file");
    // Where the new YAML comes from: `workflow edit -` (the document names its workflow),
    // `workflow edit <workflow> <file|->`, piped stdin; else the editor.
    const fromStdin = this.ref === STDIN_PATH;
    if (fromStdin && this.file !== undefined) throw new UsageError("Give the workflow or `-`, then at most one file: swamp workflow edit <workflow> [file|-]");
    const source = fromStdin ? STDIN_PATH : (this.file ?? (process.stdin.isTTY ? undefined : STDIN_PATH));
    const what = source === STDIN_PATH ? "Invalid workflow YAML from stdin" : `Invalid workflow YAML in ${source}`;
    const kernel = await this.kernel();
    const repo = workflowRepository(kernel);
    // A named workflow is found before anything is read; `-` is found from what was read.
    const document = fromStdin ? parseMapping(await readInputFile(STDIN_PATH, "The workflow on stdin"), what) : undefined;
    const ref = document ? workflowNamedIn(document) : this.ref;
    let stored: StoredWorkflow | undefined;
    let broken: BrokenWorkflow | undefined;
    try {
      stored = await repo.require(ref);
    } catch (err) {
      broken = errorCode(err) === ErrorCode.workflowLoadFailed ? await repo.brokenFor(ref) : undefined;
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
    if (source !== undefined) {
      if (broken) {
        throw new SwampError(
          ErrorCode.workflowLoadFailed,
          `Cannot update workflow from ${source === STDIN_PATH ? "stdin" : source}: the workflow's YAML is broken and must be fixed in an editor first`,
          { details: { file: repo.displayPath(path) } },
        );
      }
      const text = document ? undefined : await readInputFile(source, source === STDIN_PATH ? "The workflow on stdin" : `The workflow in ${source}`);
      edited = parseEdited(document ?? parseMapping(text!, what), id, what);
      savedPath = await repo.update(edited, previous);
    } else {
      const session = await editInEditor(before, basename(path), "The edited workflow");
      editor = session.editor;
      try {
        edited = parseEdited(parseMapping(session.text, "Invalid workflow YAML"), id, "Invalid workflow YAML");
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
