import { Command, Option } from "clipanion";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";
import { Caller, openVaults, parseConfigFlag, warnFor } from "./shared.js";

export default class VaultMigrateCommand extends SwampCommand {
  static override paths = [["vault", "migrate"]];
  static override usage = Command.Usage({
    description: "Move a vault to another vault type, keeping its name, id, secrets, annotations and refresh hooks",
    details:
      "The target type's config (--config, else its default) is checked and its provider built before anything is " +
      "copied. Every secret is then copied with its annotation and refresh hook, and the vault's config is switched " +
      "over only when all of them are in the target: a failure leaves the vault as it was. The secrets stay in the old " +
      "backend too; remove them there yourself once you no longer need them. --dry-run shows what would be migrated.",
    examples: [
      ["Preview", "swamp vault migrate dev-secrets --to-type @acme/secrets-manager --dry-run"],
      ["Migrate", `swamp vault migrate dev-secrets --to-type @acme/secrets-manager --config '{"region":"eu-west-1"}' -y`],
    ],
  });

  vault = Option.String({ name: "vault" });
  toType = Option.String("--to-type", { required: true, description: "The vault type to move to" });
  config = Option.String("--config", { description: "The target type's config as a JSON object (default: its default config)" });
  dryRun = Option.Boolean("--dry-run", false, { description: "Show what would be migrated; change nothing" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  force = Option.Boolean("-f,--force", false, { description: "Same as --yes" });

  async run(): Promise<number> {
    const config = parseConfigFlag(this.config);
    const { kernel, vaults } = await openVaults(this);
    const { planMigration, runMigration } = await import("../../../kernel/vaults/migrate.js");
    const source = await vaults.vault(this.vault);
    const name = source.stored.config.name;
    const lock = kernel.locks.lock(`.locks/vault-names/${encodeURIComponent(name)}.lock`);
    return lock.withLock(async () => {
      const plan = await planMigration(vaults, name, this.toType, config);
      const preview = {
        vaultName: name,
        currentType: plan.source.stored.config.type,
        currentTypeName: plan.source.plugin.name,
        targetType: plan.target.plugin.type,
        targetTypeName: plan.target.plugin.name,
        secretCount: plan.keys.length,
      };
      const describe = () =>
        `Vault '${name}': ${preview.currentTypeName} (${preview.currentType}) → ${preview.targetTypeName} (${preview.targetType}), ${preview.secretCount} secret(s)`;
      if (this.dryRun) {
        this.emit(preview, () => `${describe()}\nDry run: nothing was changed.`);
        return 0;
      }
      if (!this.json) this.context.stderr.write(`${describe()}\n`);
      if (!(await confirm(this.context, `Migrate vault '${name}' to '${preview.targetType}'?`, { json: this.json, yes: this.yes || this.force }))) {
        this.emit({ cancelled: true }, () => "Cancelled.");
        return 0;
      }
      const result = await runMigration(vaults, plan, Caller.migrate, (i, n, key) => {
        if (!this.json) this.context.stderr.write(`Copying secret ${i}/${n}: ${key}\n`);
      });
      for (const w of result.warnings) warnFor(this)(w);
      this.emit(
        {
          vaultName: name,
          previousType: preview.currentType,
          newType: preview.targetType,
          newTypeName: preview.targetTypeName,
          secretsMigrated: result.secretsMigrated,
          timestamp: new Date().toISOString(),
        },
        () => `Migrated vault '${name}' to ${preview.targetTypeName} (${preview.targetType}): ${result.secretsMigrated} secret(s). The old backend still holds them.`,
      );
      return 0;
    });
  }
}
