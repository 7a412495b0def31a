import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { shortName } from "../../../kernel/contract/untrusted.js";
import { RENAMED_VAULT_TYPES, vaultNameProblem } from "../../../kernel/vaults/config.js";
import { VaultErrorCode } from "../../../kernel/vaults/errors.js";
import { buildProvider, validateVaultConfig } from "../../../kernel/vaults/service.js";
import { SwampCommand } from "../../base.js";
import { askLine } from "../../prompt.js";
import { openVaults, parseConfigFlag } from "./shared.js";


export default class VaultCreateCommand extends SwampCommand {
  static override paths = [["vault", "create"]];
  static override usage = Command.Usage({
    description: "Create a vault: a named secret store of a vault type, configured in vaults/<type>/<id>.yaml",
    details:
      "Vaults are NOT configured in .swamp.yaml. The built-in type is local_encryption (AES-256-GCM files under " +
      ".swamp/secrets, key auto-generated). --config replaces the type's default config; --audit-reads records every " +
      "read in the audit trail (writes and deletes are always recorded).",
    examples: [
      ["A local encrypted vault", "swamp vault create local_encryption dev-secrets"],
      ["Keyed by an SSH key", `swamp vault create local_encryption ops --config '{"ssh_key_path":"~/.ssh/id_ed25519"}'`],
    ],
  });

  type = Option.String({ name: "type" });
  name = Option.String({ required: false, name: "name" });
  config = Option.String("--config", { description: "Vault config as a JSON object" });
  auditReads = Option.Boolean("--audit-reads", false, { description: "Record secret reads in the audit trail" });

  async run(): Promise<void> {
    const renamed = RENAMED_VAULT_TYPES[this.type];
    if (renamed) throw new UsageError(`The type '${this.type}' has been renamed to '${renamed}'. Use: swamp vault create ${renamed} ${this.name ?? "<name>"}`);
    const name = this.name ?? (await this.askName());
    const problem = vaultNameProblem(name);
    if (problem) throw new SwampError(VaultErrorCode.invalidName, problem, { details: { name: shortName(name) } });
    const given = parseConfigFlag(this.config);

    const { kernel, vaults } = await openVaults(this);
    const plugin = await kernel.registry.load("vault", this.type);
    const config: Record<string, unknown> = { ...(given ?? plugin.defaultConfig ?? {}) };
    // The repository is given to providers at load; an absolute path to it would only go stale in git.
    if (typeof config.base_dir === "string" && resolve(kernel.repoDir, config.base_dir) === kernel.repoDir) delete config.base_dir;
    const validated = validateVaultConfig(plugin, name, config);
    await buildProvider(plugin, name, validated, kernel.repoDir);

    const lock = kernel.locks.lock(`.locks/vault-names/${encodeURIComponent(name)}.lock`);
    const created = await lock.withLock(() =>
      vaults.configs.create({ name, type: plugin.type, config: validated, ...(this.auditReads ? { auditReads: true } : {}) }),
    );
    this.emit(
      { id: created.config.id, name: created.config.name, type: created.config.type, typeName: plugin.name, config: created.config.config },
      () => `Created vault: ${created.config.name} (${plugin.name})`,
    );
  }

  /** The name, asked for in a terminal; without one (or under --json) it is required. */
  private async askName(): Promise<string> {
    const stdin = this.context.stdin as NodeJS.ReadStream;
    if (this.json || !stdin.isTTY) {
      throw new UsageError(`Vault name is required in non-interactive mode. Usage: swamp vault create ${this.type} <name>`);
    }
    return ((await askLine(this.context, "Vault name: ")) ?? "").trim();
  }
}
