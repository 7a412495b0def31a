/**
 * Editing text in the user's `$VISUAL` / `$EDITOR`, for the `… edit` commands: the text goes
 * to a temporary copy, the editor runs on it, and the edited text comes back. The caller
 * removes the copy once it has used the result, or leaves it (and says where) when the edit
 * cannot be saved, so no typing is lost.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { SwampError, UsageError } from "../kernel/contract/errors.js";
import { readInputFile } from "../kernel/runtime/user-input.js";

export interface EditorSession {
  text: string;
  editor: string;
  /** The temporary copy the editor changed. */
  file: string;
  /** Removes the temporary copy. */
  discard(): Promise<void>;
}

export interface EditorOptions {
  /** Editor commands tried in order when neither $VISUAL nor $EDITOR is set. */
  fallbacks?: readonly string[];
  /** Send the editor's stdout to stderr (under --json, stdout holds only the JSON). */
  stdoutToStderr?: boolean;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the program an editor command starts with exists (a path, or a name on $PATH). */
export function editorInstalled(command: string): boolean {
  if (process.platform === "win32") return true; // PATHEXT lookups: let the shell decide
  const program = command.trim().split(/\s+/)[0] ?? "";
  if (program.includes("/")) return executable(program);
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && executable(join(dir, program)));
}

export function chooseEditor(env: NodeJS.ProcessEnv, fallbacks: readonly string[] = []): string | null {
  const configured = (env.VISUAL || env.EDITOR)?.trim();
  if (configured) return configured;
  return fallbacks.find(editorInstalled) ?? null;
}

export async function editInEditor(initial: string, fileName: string, what: string, options: EditorOptions = {}): Promise<EditorSession> {
  const editor = chooseEditor(process.env, options.fallbacks);
  if (!editor) {
    throw new UsageError(
      options.fallbacks?.length
        ? `No editor found: set $EDITOR (none of ${options.fallbacks.map((f) => f.split(" ")[0]).join(", ")} is installed)`
        : "No editor: set $EDITOR, or pipe the new YAML on stdin",
    );
  }
  // Checked first, so a missing editor is one clear error rather than a shell's complaint.
  if (!editorInstalled(editor)) throw new SwampError("editor_failed", `Editor '${editor}' is not installed or not executable; set $EDITOR to an installed editor`);
  const dir = await mkdtemp(join(tmpdir(), "swamp-edit-"));
  const discard = () => rm(dir, { recursive: true, force: true });
  const file = join(dir, fileName);
  try {
    await writeFile(file, initial);
    const r = spawnSync(editor, [file], { stdio: ["inherit", options.stdoutToStderr ? 2 : "inherit", "inherit"], shell: true });
    if (r.status !== 0) throw new SwampError("editor_failed", `Editor exited with code ${r.status}; nothing saved`);
    return { text: await readInputFile(file, what), editor, file, discard };
  } catch (err) {
    await discard();
    throw err;
  }
}
