import { Command, Option } from "clipanion";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";
import { Caller, openVaults } from "./shared.js";

export default class VaultReadSecretCommand extends SwampCommand {
  static override paths = [["vault", "read-secret"]];
  static override usage = Command.Usage({
    description: "Print a secret's value (the only command that reveals one)",
    details:
      "Piped, the raw value is printed without a trailing newline (so `$(swamp vault read-secret v k)` and pipes get it " +
      "exactly). In a terminal swamp asks first unless -y/--yes or -f/--force is given. --json prints " +
      "{vaultName, secretKey, vaultType, value}.",
    examples: [["Into a variable", 'TOKEN="$(swamp vault read-secret dev-secrets api-token)"']],
  });

  vault = Option.String({ name: "vault" });
  key = Option.String({ name: "key" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask before printing on a terminal" });
  force = Option.Boolean("-f,--force", false, { description: "Same as --yes" });

  async run(): Promise<void> {
    const { vaults } = await openVaults(this);
    const open = await vaults.vault(this.vault);
    const stdout = this.context.stdout as NodeJS.WriteStream;
    const onTerminal = !this.json && stdout.isTTY === true;
    const question = `This will reveal the secret '${this.key}' from vault '${open.stored.config.name}'. Continue?`;
    if (onTerminal && !(await confirm(this.context, question, { json: false, yes: this.yes || this.force }))) {
      this.context.stderr.write("Cancelled.\n");
      return;
    }
    const value = await vaults.get(this.vault, this.key, Caller.readSecret);
    if (this.json) {
      this.emit({ vaultName: open.stored.config.name, secretKey: this.key, vaultType: open.stored.config.type, value }, () => "");
    } else {
      stdout.write(onTerminal ? `${value}\n` : value);
    }
  }
}
