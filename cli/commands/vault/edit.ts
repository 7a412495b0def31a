import { Command, Option } from "clipanion";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parse } from "yaml";
import { errorCode, errorMessage, oneLine, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { VaultConfigSchema } from "../../../kernel/contract/ports/vault.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";
import { atomicWriteFile } from "../../../kernel/runtime/atomic-write.js";
import type { StoredVault } from "../../../kernel/vaults/config.js";
import { VaultErrorCode } from "../../../kernel/vaults/errors.js";
import { validateVaultConfig, type VaultService } from "../../../kernel/vaults/service.js";
import { SwampCommand } from "../../base.js";
import { editInEditor } from "../../editor.js";
import { findVault } from "./get.js";
import { askLine } from "../../prompt.js";
import { openVaults } from "./shared.js";

/** Tried in this order when $EDITOR is not set (the GUI editors told to wait for the file to close). */
const FALLBACK_EDITORS = ["code --wait", "zed --wait", "nvim", "vim", "nano", "emacs"];

function invalid(message: string): SwampError {
  return new SwampError(VaultErrorCode.configInvalid, message);
}

/** Checks an edited config the way the loader and `vault create` would; the id, name and type stay. */
async function checkEdited(kernel: Kernel, found: StoredVault, text: string): Promise<void> {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw invalid(`Invalid YAML: ${oneLine(errorMessage(err)).slice(0, 200)}`);
  }
  const parsed = VaultConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`Invalid vault config: ${issue?.path.map(String).join(".") || "config"}: ${issue?.message ?? "invalid"}`);
  }
  const before = found.config;
  const after = parsed.data;
  if (after.id !== before.id) throw invalid(`The id cannot change (${before.id})`);
  if (after.type !== before.type) throw invalid(`The type cannot change here (${before.type} → ${after.type}); use: swamp vault migrate ${before.name} --to-type ${after.type}`);
  if (after.name !== before.name) throw invalid(`The name cannot change (${before.name}): the vault's secrets are stored under it`);
  validateVaultConfig(await kernel.registry.load("vault", after.type), after.name, after.config);
}

export default class VaultEditCommand extends SwampCommand {
  static override paths = [["vault", "edit"]];
  static override usage = Command.Usage({
    description: "Edit a vault's config file (vaults/<type>/<id>.yaml) in your editor",
    details:
      "Uses $VISUAL or $EDITOR, else the first installed of code, zed, nvim, vim, nano, emacs. You edit a copy; it is " +
      "checked (YAML, the type's config schema; the id, name and type stay) and then replaces the file in one step. " +
      "An edit that does not pass is kept, and the message says where. To change the type, use 'swamp vault migrate'. " +
      "Without an argument, a terminal offers a choice of vaults.",
    examples: [["Edit a vault's config", "swamp vault edit dev-secrets"]],
  });

  ref = Option.String({ required: false, name: "name_or_id" });
  type = Option.String("-t,--type", { description: "Only a vault of this type" });

  async run(): Promise<void> {
    const { kernel, vaults } = await openVaults(this);
    const ref = this.ref ?? (await this.pick(vaults));
    const found = await findVault(vaults, ref, this.type);
    const path = vaults.configs.displayPath(found.path, kernel.repoDir);
    const before = await readFile(found.path, "utf8");
    const session = await editInEditor(before, basename(found.path), "The edited vault config", { fallbacks: FALLBACK_EDITORS, stdoutToStderr: this.json });
    const changed = session.text !== before;
    try {
      if (changed) {
        await checkEdited(kernel, found, session.text);
        if ((await readFile(found.path, "utf8")) !== before) throw new SwampError("conflict", `${path} was changed by someone else while you edited it`);
        await atomicWriteFile(found.path, session.text);
      }
    } catch (err) {
      // Keep what the user typed: the message says where.
      throw new SwampError(errorCode(err) ?? VaultErrorCode.configInvalid, `${oneLine(errorMessage(err))} (your edit is kept in ${session.file})`);
    }
    await session.discard();
    this.emit({ path, editor: session.editor, status: "opened", name: found.config.name, type: found.config.type, changed }, () =>
      changed ? `Updated ${path} (vault ${found.config.name})` : `No changes to ${path}`,
    );
  }

  /** A vault chosen in the terminal; without one, a name is required. */
  private async pick(vaults: VaultService): Promise<string> {
    const stdin = this.context.stdin as NodeJS.ReadStream;
    if (this.json || !stdin.isTTY) throw new UsageError("A vault name is required in non-interactive mode. Usage: swamp vault edit <name_or_id>");
    const list = await vaults.configs.list();
    if (list.length === 0) throw new SwampError(VaultErrorCode.vaultNotFound, "No vaults are configured. Create one with: swamp vault create <type> <name>");
    list.forEach((v, i) => this.context.stderr.write(`  ${i + 1}) ${v.config.name} (${v.config.type})\n`));
    const answer = ((await askLine(this.context, "Vault to edit (number or name): ")) ?? "").trim();
    const n = Number(answer);
    return Number.isInteger(n) && n >= 1 && n <= list.length ? list[n - 1]!.config.name : answer;
  }
}
