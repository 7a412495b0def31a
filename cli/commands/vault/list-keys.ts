import { Command, Option } from "clipanion";
import { SwampCommand } from "../../base.js";
import { openVaults } from "./shared.js";

export default class VaultListKeysCommand extends SwampCommand {
  static override paths = [["vault", "list-keys"]];
  static override usage = Command.Usage({
    description: "List the secret keys of a vault (names only, never values)",
    examples: [["Keys of a vault", "swamp vault list-keys dev-secrets"]],
  });

  vault = Option.String({ name: "vault" });

  async run(): Promise<void> {
    const { vaults } = await openVaults(this);
    const open = await vaults.vault(this.vault);
    const secretKeys = await vaults.listKeys(this.vault);
    this.emit({ vaultName: open.stored.config.name, vaultType: open.stored.config.type, secretKeys, count: secretKeys.length }, () =>
      [`Vault ${open.stored.config.name} (${open.stored.config.type}): ${secretKeys.length} key(s)`, ...secretKeys.map((k) => `  - ${k}`)].join("\n"),
    );
  }
}
