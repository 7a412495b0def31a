/**
 * Reports after a method run: which run (the builtin method summary, the type's reports, and
 * the definition's `reports.require`, minus skips and CLI filters), and how their output is
 * kept: two data artifacts under the model, `report-<name>` (markdown) and `report-<name>-json`.
 */
import type { ReportContext, ReportOutput, ReportPlugin } from "../contract/ports/report.js";
import type { OwnerDefinition } from "../data/metadata.js";
import type { DataRepository } from "../data/repository.js";
import type { PluginRegistry } from "../runtime/registry.js";
import type { Redactor } from "../runtime/redact.js";
import type { Definition } from "./definition.js";

export const METHOD_SUMMARY = "@swamp/method-summary";

export interface ReportFlags {
  skipReports?: boolean;
  skipReport?: readonly string[];
  skipReportLabel?: readonly string[];
  report?: readonly string[];
  reportLabel?: readonly string[];
}

/** `@swamp/method-summary` → `swamp-method-summary`. */
export function sanitizeReportName(name: string): string {
  return name.replace(/@/g, "").replace(/[/\\]/g, "-").replace(/\.\./g, ".").replace(/\0/g, "");
}

interface Candidate {
  name: string;
  required: boolean;
}

function candidates(definition: Definition, typeReports: readonly string[], method: string): Candidate[] {
  const out = new Map<string, Candidate>();
  out.set(METHOD_SUMMARY, { name: METHOD_SUMMARY, required: false });
  for (const name of typeReports) out.set(name, { name, required: false });
  for (const ref of definition.reports?.require ?? []) {
    const name = typeof ref === "string" ? ref : ref.name;
    const methods = typeof ref === "string" ? undefined : ref.methods;
    if (methods && !methods.includes(method)) continue;
    out.set(name, { name, required: true });
  }
  return [...out.values()];
}

/**
 * Why a required report is skipped: no installed report has its name (`hint`: why it could not
 * be installed, when known). Validation shows it as a warning and a run reports it the same
 * way, without failing (`reports.require` may name a report from an extension not pulled yet).
 */
export function missingReportWarning(name: string, hint?: string): string {
  const why = hint ? `${hint.replace(/\.\s*$/, "")}, so it is skipped` : "No installed report has this name, so it is skipped";
  return `Required report not found: ${name}. ${why}; pull the extension that provides it, or remove it from reports.require.`;
}

/**
 * The definition's `reports.require` names (any method) that no report provides, after the
 * same resolution a run makes; `hint` says why one could not be installed, when known.
 */
export async function missingRequiredReports(registry: PluginRegistry, definition: Definition): Promise<Array<{ name: string; hint?: string }>> {
  const skipped = new Set(definition.reports?.skip ?? []);
  const names = [...new Set((definition.reports?.require ?? []).map((ref) => (typeof ref === "string" ? ref : ref.name)))];
  const missing: Array<{ name: string; hint?: string }> = [];
  for (const name of names) {
    if (skipped.has(name) || (await registry.ensure("report", name))) continue;
    const hint = registry.unresolvedHint("report", name);
    missing.push({ name, ...(hint ? { hint } : {}) });
  }
  return missing;
}

export interface SelectedReport {
  name: string;
  plugin: ReportPlugin | null;
  required: boolean;
  /** Why a missing report is missing (e.g. its collective is not trusted), when known. */
  hint?: string;
}

export async function selectReports(
  registry: PluginRegistry,
  definition: Definition,
  typeReports: readonly string[],
  method: string,
  flags: ReportFlags = {},
): Promise<SelectedReport[]> {
  if (flags.skipReports) return [];
  const skipped = new Set(definition.reports?.skip ?? []);
  const selected: SelectedReport[] = [];
  for (const c of candidates(definition, typeReports, method)) {
    if (skipped.has(c.name)) continue;
    const entry = await registry.ensure("report", c.name);
    const plugin = entry ? await registry.load("report", c.name) : null;
    if (plugin && plugin.scope !== "method" && plugin.scope !== "model") continue;
    if (!c.required) {
      if (flags.skipReport?.includes(c.name)) continue;
      if (plugin && flags.skipReportLabel?.some((l) => plugin.labels?.includes(l))) continue;
      if (flags.report?.length && !flags.report.includes(c.name)) continue;
      if (flags.reportLabel?.length && !(plugin && flags.reportLabel.some((l) => plugin.labels?.includes(l)))) continue;
    }
    if (!plugin && !c.required) continue;
    const hint = plugin ? undefined : registry.unresolvedHint("report", c.name);
    selected.push({ name: c.name, plugin, required: c.required, ...(hint ? { hint } : {}) });
  }
  return selected;
}

export interface ReportRun {
  name: string;
  scope: string;
  success: boolean;
  markdown?: string;
  json?: Record<string, unknown>;
  error?: string;
  /** Set when the report did not run for a reason that does not fail the run. */
  warning?: string;
}

export interface ReportOwner {
  modelType: string;
  modelId: string;
  modelName: string;
  /** A workflow step's marks: its reports are its data too (workflow tags, the run's ids). */
  step?: { tags: Record<string, string>; owner: OwnerDefinition };
}

/** Runs the selected reports one after another and stores each non-empty result. */
export async function runReports(
  data: DataRepository,
  owner: ReportOwner,
  selected: SelectedReport[],
  context: ReportContext,
  redactor: Pick<Redactor, "redact" | "redactValue">,
): Promise<ReportRun[]> {
  const runs: ReportRun[] = [];
  for (const s of selected) {
    if (!s.plugin) {
      runs.push({ name: s.name, scope: "method", success: true, warning: missingReportWarning(s.name, s.hint) });
      continue;
    }
    let output: ReportOutput;
    let success = true;
    let error: string | undefined;
    try {
      output = await s.plugin.execute({ ...context, scope: s.plugin.scope });
    } catch (err) {
      success = false;
      error = (err as Error).message ?? String(err);
      output = {
        markdown: `# Report Error: ${s.name}\n\n${error}\n`,
        json: { error: true, reportName: s.name, scope: s.plugin.scope, message: error },
      };
    }
    if (output.markdown.trim() === "") {
      runs.push({ name: s.name, scope: s.plugin.scope, success });
      continue;
    }
    // Markdown is text for people; the JSON is data, so only its string values are redacted.
    const markdown = redactor.redact(output.markdown);
    const json = redactor.redactValue(output.json);
    const base = `report-${sanitizeReportName(s.name)}`;
    const common = {
      modelType: owner.modelType,
      modelId: owner.modelId,
      lifetime: "30d",
      garbageCollection: 5,
      tags: { type: "report", reportName: s.name, reportScope: s.plugin.scope, specName: "report", modelName: owner.modelName, ...owner.step?.tags },
      ownerDefinition: owner.step?.owner ?? { ownerType: "model-method", ownerRef: owner.modelId },
      specName: "report",
    };
    await data.save({ ...common, name: base, contentType: "text/markdown" }, markdown);
    await data.save({ ...common, name: `${base}-json`, contentType: "application/json" }, JSON.stringify(json, null, 2));
    runs.push({ name: s.name, scope: s.plugin.scope, success, markdown, json, ...(error ? { error } : {}) });
  }
  return runs;
}
