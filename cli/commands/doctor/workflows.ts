import { Command } from "clipanion";
import { SwampCommand } from "../../base.js";
import { paint } from "../../colour.js";
import { readOnlyWorkflowRepository } from "../workflow/shared.js";

export interface DoctorWorkflowsReport {
  overallStatus: "pass" | "fail";
  workflows: Array<{ file: string; name: string | null; status: "pass" | "fail"; line?: number; error?: string }>;
  totalPassed: number;
  totalFailed: number;
}

export default class DoctorWorkflowsCommand extends SwampCommand {
  static override paths = [["doctor", "workflows"]];
  static override usage = Command.Usage({
    description: "Load every workflow file and report the ones that fail (file, line, reason); exit 1 when one does",
    examples: [["Check workflow files", "swamp doctor workflows --json"]],
  });

  async run(): Promise<number> {
    const repo = await readOnlyWorkflowRepository(this.resolvedRepoDir());
    const { workflows, broken } = await repo.list();
    const rows: DoctorWorkflowsReport["workflows"] = [
      ...workflows.map((s) => ({ file: repo.displayPath(s.path), name: s.workflow.name, status: "pass" as const })),
      ...broken.map((b) => ({ file: repo.displayPath(b.path), name: b.name, status: "fail" as const, ...(b.line ? { line: b.line } : {}), error: b.error })),
    ].sort((a, b) => a.file.localeCompare(b.file));
    const report: DoctorWorkflowsReport = {
      overallStatus: broken.length ? "fail" : "pass",
      workflows: rows,
      totalPassed: workflows.length,
      totalFailed: broken.length,
    };
    this.emit(report, () => {
      const out = this.context.stdout;
      const lines = [`Workflows: ${report.overallStatus === "pass" ? paint(out, "ok", "pass") : paint(out, "fail", "fail")} (${report.totalPassed} loaded, ${report.totalFailed} broken)`];
      for (const r of rows) {
        lines.push(`  ${r.status === "pass" ? paint(out, "ok", "✓") : paint(out, "fail", "✗")} ${r.file}${r.line ? `:${r.line}` : ""}${r.name ? ` (${r.name})` : ""}`);
        if (r.error) for (const l of r.error.split("\n")) lines.push(`      ${l}`);
      }
      return lines.join("\n");
    });
    return report.overallStatus === "fail" ? 1 : 0;
  }
}
