import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import type { StoredVault } from "../../../kernel/vaults/config.js";
import { shortName } from "../../../kernel/contract/untrusted.js";
import { vaultNotFound } from "../../../kernel/vaults/errors.js";
import type { VaultService } from "../../../kernel/vaults/service.js";
import { SwampCommand } from "../../base.js";
import { openVaults } from "./shared.js";

/** A vault by name or id, optionally of one type. */
export async function findVault(vaults: VaultService, nameOrId: string, type: string | undefined): Promise<StoredVault> {
  const found = await vaults.configs.find(nameOrId);
  if (!found) throw vaultNotFound(nameOrId, await vaults.configs.names());
  if (type !== undefined && found.config.type.toLowerCase() !== type.toLowerCase()) {
    throw new SwampError("vault_not_found", `Vault '${nameOrId}' is of type '${found.config.type}', not '${type}'`, { details: { vault: nameOrId, type: found.config.type } });
  }
  return found;
}

export default class VaultGetCommand extends SwampCommand {
  static override paths = [["vault", "get"]];
  static override usage = Command.Usage({
    description: "Show a vault's configuration (never its secrets; see 'swamp vault read-secret')",
    examples: [["A vault by name", "swamp vault get dev-secrets"]],
  });

  ref = Option.String({ name: "name_or_id" });
  type = Option.String("-t,--type", { description: "Only a vault of this type" });
  extra = Option.String({ required: false, name: "key" });

  async run(): Promise<void> {
    if (this.extra !== undefined) {
      throw new UsageError(`'swamp vault get' shows a vault's configuration and takes one argument. To read a secret use: swamp vault read-secret ${shortName(this.ref)} ${shortName(this.extra)}`);
    }
    const { kernel, vaults } = await openVaults(this);
    const { config: v, path } = await findVault(vaults, this.ref, this.type);
    const storagePath = vaults.configs.displayPath(path, kernel.repoDir);
    this.emit({ id: v.id, name: v.name, type: v.type, config: v.config, createdAt: v.createdAt, storagePath }, () =>
      [
        `Vault: ${v.name}`,
        `Type: ${v.type}`,
        `ID: ${v.id}`,
        `Created: ${v.createdAt}`,
        ...(v.auditReads ? ["Audit reads: yes"] : []),
        `Config: ${JSON.stringify(v.config)}`,
        `Path: ${storagePath}`,
      ].join("\n"),
    );
  }
}
