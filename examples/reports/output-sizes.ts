/**
 * Example report: after a method runs, lists the data it produced with versions and sizes,
 * and totals them — a quick way to spot a method whose output suddenly grew.
 *
 * Reports run only for model types that list them (`reports: ["@examples/output-sizes"]` in a
 * model type) or definitions that require them:
 *
 *   # models/<type>/<id>.yaml
 *   reports:
 *     require:
 *       - "@examples/output-sizes"
 *
 * `swamp model method run … --json` then carries the report under
 * `reports["@examples/output-sizes"]`, and its markdown and JSON are stored as data of the
 * model (`report-examples-output-sizes`, `report-examples-output-sizes-json`).
 *
 * A report returns `{ markdown, json }`: markdown for people (empty means "nothing to say";
 * nothing is stored), JSON for scripts. It must not change the context it is given.
 *
 * Install: copy this file to `extensions/reports/output-sizes.ts`.
 */
import { defineReport, type DataHandle } from "@swamp-ts/sdk";

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Markdown table cells must not break the table. */
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export const report = defineReport({
  name: "@examples/output-sizes",
  description: "Data produced by the run, with versions, sizes and a total",
  scope: "method",
  labels: ["data", "size"],
  execute: async (context) => {
    const handles: DataHandle[] = context.dataHandles;
    const totalBytes = handles.reduce((sum, h) => sum + h.size, 0);
    const title = `# ${context.definition.name} → ${context.methodName}: ${context.executionStatus}`;

    const lines = [title, ""];
    if (context.executionStatus === "failed") lines.push(`The run failed${context.errorMessage ? `: ${context.errorMessage}` : ""}.`, "");
    if (handles.length === 0) {
      lines.push("No data was produced.");
    } else {
      lines.push("| Name | Kind | Spec | Version | Size |", "| ---- | ---- | ---- | ------: | ---: |");
      for (const h of handles) lines.push(`| ${cell(h.name)} | ${h.kind} | ${cell(h.specName)} | ${h.version} | ${humanSize(h.size)} |`);
      lines.push("", `**Total:** ${humanSize(totalBytes)} in ${handles.length} item${handles.length === 1 ? "" : "s"}.`);
    }

    return {
      markdown: lines.join("\n") + "\n",
      json: {
        model: context.definition.name,
        modelType: context.modelType,
        method: context.methodName,
        status: context.executionStatus,
        totalBytes,
        items: handles.map((h) => ({ name: h.name, kind: h.kind, specName: h.specName, version: h.version, size: h.size })),
      },
    };
  },
});
