import { Command, Option } from "clipanion";
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { flattenMessage, VaultErrorCode } from "../../../kernel/vaults/errors.js";
import type { VaultService } from "../../../kernel/vaults/service.js";
import { SwampCommand } from "../../base.js";
import { findVault } from "./get.js";
import { askLine, openVaults, warnFor } from "./shared.js";

/** Tried in this order when $EDITOR is not set. */
const FALLBACK_EDITORS = ["code", "zed", "nvim", "vim", "nano", "emacs"];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A program name found on $PATH, or a path to an executable file. */
function installed(program: string): boolean {
  if (program.includes("/") || program.includes("\\")) return executable(program);
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && executable(join(dir, program)));
}

export function chooseEditor(env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.EDITOR?.trim();
  if (configured) return configured;
  return FALLBACK_EDITORS.find(installed) ?? null;
}

/** Runs the editor on `file` and waits for it. `$EDITOR` may carry arguments (`code --wait`). */
function runEditor(editor: string, file: string, stdoutFd: number | "inherit"): Promise<void> {
  return new Promise((resolve, reject) => {
    const child =
      process.platform === "win32"
        ? spawn(editor, [file], { stdio: ["inherit", stdoutFd, "inherit"], shell: true })
        : spawn("/bin/sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: ["inherit", stdoutFd, "inherit"] });
    child.on("error", (err) => reject(new SwampError(VaultErrorCode.editorFailed, `Editor '${editor}' could not be started: ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      if (code === 126 || code === 127) return reject(new SwampError(VaultErrorCode.editorFailed, `Editor '${editor}' could not be started (set $EDITOR to an installed editor)`));
      reject(new SwampError(VaultErrorCode.editorFailed, `Editor '${editor}' exited with ${signal ? `signal ${signal}` : `code ${code}`}`));
    });
  });
}

export default class VaultEditCommand extends SwampCommand {
  static override paths = [["vault", "edit"]];
  static override usage = Command.Usage({
    description: "Open a vault's config file (vaults/<type>/<id>.yaml) in your editor",
    details:
      "Uses $EDITOR, else the first installed of code, zed, nvim, vim, nano, emacs, and waits for it to close. The file " +
      "is checked afterwards and a warning says when it is no longer a valid vault config. Without an argument, a " +
      "terminal offers a choice of vaults.",
    examples: [["Edit a vault's config", "swamp vault edit dev-secrets"]],
  });

  ref = Option.String({ required: false, name: "name_or_id" });
  type = Option.String("-t,--type", { description: "Only a vault of this type" });

  async run(): Promise<void> {
    const { kernel, vaults } = await openVaults(this);
    const ref = this.ref ?? (await this.pick(vaults));
    const found = await findVault(vaults, ref, this.type);
    const editor = chooseEditor();
    if (!editor) throw new SwampError(VaultErrorCode.editorFailed, "No editor found: set $EDITOR (none of code, zed, nvim, vim, nano, emacs is installed)");
    // Checked here so a missing editor is one clear error, not a shell's complaint.
    const program = editor.split(/\s+/)[0] ?? editor;
    if (process.platform !== "win32" && !installed(program)) {
      throw new SwampError(VaultErrorCode.editorFailed, `Editor '${editor}' is not installed or not executable (set $EDITOR to an installed editor)`);
    }
    const path = vaults.configs.displayPath(found.path, kernel.repoDir);
    await runEditor(editor, found.path, this.json ? 2 : "inherit");

    try {
      const after = await vaults.configs.readFile(found.path);
      if (after.id !== found.config.id || after.type !== found.config.type) {
        warnFor(this)(`${path}: its id or type no longer matches where it is stored (vaults/<type>/<id>.yaml); lookups may not find it`);
      }
    } catch (err) {
      warnFor(this)(`${path} is no longer a valid vault config (${flattenMessage((err as Error).message)}); run 'swamp vault edit ${found.config.name}' again to fix it`);
    }
    this.emit({ path, editor, status: "opened", name: found.config.name, type: found.config.type }, () => `Edited ${path} (vault ${found.config.name})`);
  }

  /** A vault chosen in the terminal; without one, a name is required. */
  private async pick(vaults: VaultService): Promise<string> {
    const stdin = this.context.stdin as NodeJS.ReadStream;
    if (this.json || !stdin.isTTY) throw new UsageError("A vault name is required in non-interactive mode. Usage: swamp vault edit <name_or_id>");
    const list = await vaults.configs.list();
    if (list.length === 0) throw new SwampError("vault_not_found", "No vaults are configured. Create one with: swamp vault create <type> <name>");
    list.forEach((v, i) => this.context.stderr.write(`  ${i + 1}) ${v.config.name} (${v.config.type})\n`));
    const answer = (await askLine("Vault to edit (number or name): ", stdin, this.context.stderr)).trim();
    const n = Number(answer);
    return Number.isInteger(n) && n >= 1 && n <= list.length ? list[n - 1]!.config.name : answer;
  }
}
