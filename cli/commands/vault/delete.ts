import { Command, Option } from "clipanion";
import { SwampError } from "../../../kernel/contract/errors.js";
import { assertSecretKeyValid, VaultErrorCode } from "../../../kernel/vaults/errors.js";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";
import { Caller, openVaults } from "./shared.js";

export default class VaultDeleteCommand extends SwampCommand {
  static override paths = [["vault", "delete"]];
  static override usage = Command.Usage({
    description: "Delete a secret from a vault",
    details: "Asks in a terminal unless -y/--yes or -f/--force is given. -f also succeeds when the key does not exist.",
    examples: [["Delete a secret", "swamp vault delete dev-secrets api-token -y"]],
  });

  vault = Option.String({ name: "vault" });
  key = Option.String({ name: "key" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  force = Option.Boolean("-f,--force", false, { description: "Do not ask, and ignore a missing key" });

  async run(): Promise<number> {
    assertSecretKeyValid(this.vault, this.key); // such a key can never exist, --force or not
    const { vaults } = await openVaults(this);
    const open = await vaults.vault(this.vault);
    const exists = await vaults.has(this.vault, this.key);
    if (!exists && !this.force) {
      throw new SwampError(VaultErrorCode.secretNotFound, `Secret '${this.key}' not found in vault '${this.vault}'`, { details: { vault: this.vault, key: this.key } });
    }
    if (exists && !(await confirm(this.context, `Delete secret '${this.key}' from vault '${this.vault}'?`, { json: this.json, yes: this.yes || this.force, destructive: true, what: "delete the secret" }))) {
      this.emit({ cancelled: true }, () => "Cancelled.");
      return 0;
    }
    if (exists) await vaults.delete(this.vault, this.key, Caller.delete);
    const result = {
      vaultName: open.stored.config.name,
      secretKey: this.key,
      vaultType: open.stored.config.type,
      timestamp: new Date().toISOString(),
      ...(exists ? {} : { noOp: true }),
    };
    this.emit(result, () => (exists ? `Deleted secret '${this.key}' from vault '${result.vaultName}'` : `Secret ${this.key} does not exist in vault ${result.vaultName}, skipping`));
    return 0;
  }
}
