import { Command, Option } from "clipanion";
import { SwampCommand } from "../../base.js";
import { describeAnnotation } from "./annotate.js";
import { Caller, openVaults } from "./shared.js";

export default class VaultInspectCommand extends SwampCommand {
  static override paths = [["vault", "inspect"]];
  static override usage = Command.Usage({
    description: "Show what is known about a secret without revealing it: size, shape, annotation, refresh hook",
    details: "The value is read only to measure it; the read is recorded in the audit trail when the vault audits reads.",
    examples: [["Inspect a secret", "swamp vault inspect dev-secrets api-token"]],
  });

  vault = Option.String({ name: "vault" });
  key = Option.String({ name: "key" });

  async run(): Promise<void> {
    const { vaults } = await openVaults(this);
    const open = await vaults.vault(this.vault);
    const i = await vaults.inspect(open.stored.config.name, this.key, Caller.inspect);
    const result = { vaultName: open.stored.config.name, secretKey: this.key, vaultType: open.stored.config.type, ...i };
    this.emit(result, () => {
      const hook = i.refreshHook;
      return [
        `Secret '${this.key}' in vault '${result.vaultName}' (${result.vaultType})`,
        `  Size: ${i.sizeBytes} bytes, ${i.sizeChars} characters (${i.valueType})`,
        !i.supportsAnnotations ? "  Annotation: not supported by this vault" : i.annotation ? "  Annotation:" : "  Annotation: none",
        ...describeAnnotation(i.annotation).map((l) => `  ${l}`),
        !i.supportsRefreshHooks
          ? "  Refresh hook: not supported by this vault"
          : hook
            ? `  Refresh hook: every ${hook.ttl} by: ${hook.command} (last run ${hook.lastRefreshedAt ?? "never"})`
            : "  Refresh hook: none",
      ].join("\n");
    });
  }
}
