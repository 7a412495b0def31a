import { Command, Option } from "clipanion";
import { describeModelType, loadModelType } from "../../../../kernel/models/types.js";
import { SwampCommand } from "../../../base.js";

export default class ModelTypeDescribeCommand extends SwampCommand {
  static override paths = [["model", "type", "describe"], ["model", "type", "get"]];
  static override usage = Command.Usage({
    description: "Show a model type's arguments, methods and data outputs",
    examples: [
      ["The shell type", "swamp model type describe command/shell"],
    ],
  });

  type = Option.String({ name: "type" });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const d = describeModelType(await loadModelType(kernel.registry, this.type));
    this.emit(d, () => {
      const lines = [`Type: ${d.type.normalized} (version ${d.version})`, "", "Methods:"];
      for (const m of d.methods) {
        lines.push(`  ${m.name}  ${m.description}`);
        for (const [k, v] of Object.entries(m.arguments.properties ?? {})) {
          const req = (m.arguments.required ?? []).includes(k) ? " (required)" : "";
          lines.push(`    ${k}: ${String(v.type ?? "any")}${req}`);
        }
      }
      if (d.dataOutputSpecs.length) {
        lines.push("", "Data outputs:");
        for (const s of d.dataOutputSpecs) {
          // A file's content type follows its description (seed: `log [file] — Shell command output, text/plain`).
          const about = [s.description, s.kind === "file" ? s.contentType : undefined].filter(Boolean).join(", ");
          lines.push(`  ${s.specName} [${s.kind}]${about ? ` — ${about}` : ""} (${s.lifetime}${s.streaming ? ", streaming" : ""})`);
        }
      }
      return lines.join("\n");
    });
  }
}
