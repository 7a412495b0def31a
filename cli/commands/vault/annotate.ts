import { Command, Option } from "clipanion";
import { UsageError } from "../../../kernel/contract/errors.js";
import type { VaultAnnotation } from "../../../kernel/contract/ports/vault.js";
import type { AnnotationChange } from "../../../kernel/vaults/service.js";
import { SwampCommand } from "../../base.js";
import { Caller, openVaults, parseLabels } from "./shared.js";

export default class VaultAnnotateCommand extends SwampCommand {
  static override paths = [["vault", "annotate"]];
  static override usage = Command.Usage({
    description: "Describe a secret: a URL, notes and labels kept beside it (never its value)",
    details:
      "Fields merge into the existing annotation: --url and --notes replace theirs, --label key=value adds or replaces " +
      "a label, --remove-label key removes one. --clear removes the whole annotation and cannot be combined with the " +
      "other flags. The secret must exist.",
    examples: [
      ["Where to rotate it", "swamp vault annotate dev-secrets api-token --url https://example.com/tokens --notes 'rotates monthly'"],
      ["Label it", "swamp vault annotate dev-secrets api-token --label env=prod --remove-label stage"],
      ["Remove the annotation", "swamp vault annotate dev-secrets api-token --clear"],
    ],
  });

  vault = Option.String({ name: "vault" });
  key = Option.String({ name: "key" });
  url = Option.String("--url", { description: "Where the secret comes from or is rotated" });
  notes = Option.String("--notes", { description: "Free text about the secret" });
  label = Option.Array("--label", [], { description: "key=value label to add or replace; repeatable" });
  removeLabel = Option.Array("--remove-label", [], { description: "Label key to remove; repeatable" });
  clear = Option.Boolean("--clear", false, { description: "Remove the whole annotation" });

  async run(): Promise<void> {
    const fieldsUpdated: string[] = [];
    if (this.url !== undefined) fieldsUpdated.push("url");
    if (this.notes !== undefined) fieldsUpdated.push("notes");
    if (this.label.length > 0 || this.removeLabel.length > 0) fieldsUpdated.push("labels");
    if (this.clear && fieldsUpdated.length > 0) throw new UsageError("--clear cannot be combined with --url, --notes, --label or --remove-label");
    if (!this.clear && fieldsUpdated.length === 0) {
      throw new UsageError("No annotation fields specified. Use --url, --notes, --label key=value, --remove-label key, or --clear");
    }
    const change: AnnotationChange | "clear" = this.clear
      ? "clear"
      : {
          ...(this.url !== undefined ? { url: this.url } : {}),
          ...(this.notes !== undefined ? { notes: this.notes } : {}),
          labels: parseLabels(this.label),
          removeLabels: [...this.removeLabel],
        };

    const { vaults } = await openVaults(this);
    const open = await vaults.vault(this.vault);
    const annotation = await vaults.annotate(open.stored.config.name, this.key, change, Caller.annotate);
    const result = {
      vaultName: open.stored.config.name,
      secretKey: this.key,
      vaultType: open.stored.config.type,
      fieldsUpdated,
      cleared: this.clear,
      timestamp: new Date().toISOString(),
      annotation,
    };
    this.emit(result, () =>
      this.clear
        ? `Cleared the annotation of secret '${this.key}' in vault '${result.vaultName}'`
        : [`Annotated secret '${this.key}' in vault '${result.vaultName}'`, ...describeAnnotation(annotation)].join("\n"),
    );
  }
}

/** Indented lines for people. */
export function describeAnnotation(a: VaultAnnotation | null): string[] {
  if (!a) return [];
  const labels = Object.entries(a.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    ...(a.url !== undefined ? [`  URL:     ${a.url}`] : []),
    ...(a.notes !== undefined ? [`  Notes:   ${a.notes}`] : []),
    ...(labels.length ? [`  Labels:  ${labels.join(", ")}`] : []),
    `  Updated: ${a.updatedAt}`,
  ];
}
