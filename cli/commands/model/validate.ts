import { Command, Option } from "clipanion";
import { SwampError } from "../../../kernel/contract/errors.js";
import type { StoredDefinition } from "../../../kernel/models/repository.js";
import { definitionRepository, displayPath } from "../../../kernel/models/service.js";
import { namesakes, validateDefinition, type ModelValidation } from "../../../kernel/models/validate.js";
import { SwampCommand } from "../../base.js";

function render(v: ModelValidation): string[] {
  const lines = [`Validating: ${v.modelName}${v.type ? ` (${v.type})` : ""}`];
  for (const r of v.validations) {
    lines.push(`  ${r.passed ? "✓" : "✗"} ${r.name}`);
    if (!r.passed && r.error) for (const l of r.error.split("\n")) lines.push(`    → ${l}`);
  }
  for (const w of v.warnings) {
    lines.push(`  ⚠ ${w.name}`);
    for (const e of w.envVars ?? []) lines.push(`    ${e.path} uses ${e.envVar}`);
    lines.push(`    → ${w.message}`);
  }
  const passed = v.validations.filter((r) => r.passed).length;
  const warn = v.warnings.length ? `, ${v.warnings.length} warning(s)` : "";
  lines.push("", `Summary: ${passed}/${v.validations.length} validations passed${warn}`, `Result: ${v.passed ? "PASSED" : "FAILED"}`);
  return lines;
}

export default class ModelValidateCommand extends SwampCommand {
  static override paths = [["model", "validate"]];
  static override usage = Command.Usage({
    description: "Check model definitions against their types: arguments, expressions, checks",
    examples: [
      ["One model", "swamp model validate greeter"],
      ["Every model in models/", "swamp model validate"],
    ],
  });

  ref = Option.String({ required: false, name: "model_id_or_name" });
  method = Option.String("--method", { description: "Only run pre-flight checks that apply to this method" });
  label = Option.Array("--label", [], { description: "Only run pre-flight checks with this label" });

  async run(): Promise<number> {
    const kernel = await this.kernel();
    const repo = definitionRepository(kernel);
    const options = { ...(this.method ? { method: this.method } : {}), labels: this.label };
    if (this.ref) {
      const stored = await repo.require(this.ref);
      // A name may be held by one file only: the definitions index (kept current with the
      // files) names the others without parsing every definition.
      const { definitions: indexed } = await repo.summaries({ includeAuto: true });
      const others = indexed.filter((s) => s.path !== stored.path && s.name === stored.definition.name).map((s) => s.path);
      const result = await validateDefinition(kernel, repo, stored.definition, { ...options, namesakes: others });
      this.emit(result, () => render(result).join("\n"));
      return result.passed ? 0 : 1;
    }
    // Every definition (auto-definitions too) is read once: a name may be held by one file only.
    const all = await repo.list({ includeAuto: true });
    const byName = new Map<string, StoredDefinition[]>();
    for (const d of all.definitions) byName.set(d.definition.name, [...(byName.get(d.definition.name) ?? []), d]);
    const definitions = all.definitions.filter((d) => !d.auto);
    const broken = all.broken.filter((b) => !b.auto);
    if (definitions.length === 0 && broken.length === 0) throw new SwampError("not_found", "No models found");
    const models: ModelValidation[] = [];
    for (const stored of definitions) {
      models.push(await validateDefinition(kernel, repo, stored.definition, { ...options, namesakes: namesakes(stored, byName.get(stored.definition.name) ?? []) }));
    }
    for (const b of broken) {
      const path = displayPath(kernel, b.path);
      models.push({ modelId: "", modelName: path, type: "", validations: [{ name: "Definition schema", passed: false, error: b.error }], warnings: [], passed: false });
    }
    const totalPassed = models.filter((m) => m.passed).length;
    const out = {
      models,
      totalPassed,
      totalFailed: models.length - totalPassed,
      totalWarnings: models.reduce((n, m) => n + m.warnings.length, 0),
      passed: totalPassed === models.length,
    };
    this.emit(out, () =>
      [...models.flatMap((m) => [...render(m), ""]), `Summary: ${totalPassed}/${models.length} models passed`, `Overall: ${out.passed ? "PASSED" : "FAILED"}`].join("\n"),
    );
    return out.passed ? 0 : 1;
  }
}
