/**
 * Editing text in the user's `$VISUAL` / `$EDITOR`, for the `… edit` commands: the text goes
 * to a temporary copy, the editor runs on it, and the edited text comes back. The caller
 * removes the copy once it has used the result, or leaves it (and says where) when the edit
 * cannot be saved, so no typing is lost.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export async function editInEditor(initial: string, fileName: string, what: string): Promise<EditorSession> {
  const editor = process.env.VISUAL || process.env.EDITOR;
  if (!editor) throw new UsageError("No editor: set $EDITOR, or pipe the new YAML on stdin");
  const dir = await mkdtemp(join(tmpdir(), "swamp-edit-"));
  const discard = () => rm(dir, { recursive: true, force: true });
  const file = join(dir, fileName);
  try {
    await writeFile(file, initial);
    const r = spawnSync(editor, [file], { stdio: "inherit", shell: true });
    if (r.status !== 0) throw new SwampError("editor_failed", `Editor exited with code ${r.status}; nothing saved`);
    return { text: await readInputFile(file, what), editor, file, discard };
  } catch (err) {
    await discard();
    throw err;
  }
}
