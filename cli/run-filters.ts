/**
 * The check and report filters every command that runs methods takes (`model method run`,
 * `workflow run`): one set of flags, handed to each method run as they are.
 */
import { Option } from "clipanion";
import type { CheckFlags } from "../kernel/models/checks.js";
import type { ReportFlags } from "../kernel/models/reports.js";
import { SwampCommand } from "./base.js";

export abstract class MethodRunningCommand extends SwampCommand {
  skipChecks = Option.Boolean("--skip-checks", false, { description: "Skip pre-flight checks (required ones still run)" });
  skipCheck = Option.Array("--skip-check", [], { description: "Skip one check by name" });
  skipCheckLabel = Option.Array("--skip-check-label", [], { description: "Skip checks with this label" });
  skipReports = Option.Boolean("--skip-reports", false, { description: "Run no reports" });
  skipReport = Option.Array("--skip-report", [], { description: "Skip one report by name" });
  skipReportLabel = Option.Array("--skip-report-label", [], { description: "Skip reports with this label" });
  report = Option.Array("--report", [], { description: "Only run these reports" });
  reportLabel = Option.Array("--report-label", [], { description: "Only run reports with this label" });

  protected runFilters(): CheckFlags & ReportFlags {
    return {
      skipChecks: this.skipChecks,
      skipCheck: this.skipCheck,
      skipCheckLabel: this.skipCheckLabel,
      skipReports: this.skipReports,
      skipReport: this.skipReport,
      skipReportLabel: this.skipReportLabel,
      report: this.report,
      reportLabel: this.reportLabel,
    };
  }
}
