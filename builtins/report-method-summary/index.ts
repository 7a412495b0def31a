/**
 * The built-in `@swamp/method-summary` report (scope method, label "summary"): what ran, how it
 * ended, with which arguments, and the data it produced with the command to fetch each item.
 *
 * The host persists the two outputs like any report (`report-swamp-method-summary`,
 * text/markdown, and `report-swamp-method-summary-json`, application/json); naming is the
 * host's. Arguments pass through `context.redactSensitiveArgs` when the host provides it.
 */
import type { DataHandle, ReportContext, ReportOutput, ReportPlugin } from "../../kernel/contract/index.js";

export const METHOD_SUMMARY_REPORT = "@swamp/method-summary";

function retrievalCommand(definitionName: string, handle: DataHandle): string {
  return `swamp data get ${definitionName} ${handle.name} --version ${handle.version}`;
}

/** "1 resource (result), 2 files (log)": handles grouped by spec name, in order of appearance. */
function describeOutputs(handles: DataHandle[]): string {
  const groups = new Map<string, { kind: string; count: number }>();
  for (const handle of handles) {
    const group = groups.get(handle.specName);
    if (group) group.count++;
    else groups.set(handle.specName, { kind: handle.kind, count: 1 });
  }
  return [...groups]
    .map(([specName, { kind, count }]) => `${count} ${kind}${count === 1 ? "" : "s"} (${specName})`)
    .join(", ");
}

export function methodSummaryNarrative(context: ReportContext): string {
  const subject = `${context.methodName} on ${context.definition.name} (${context.modelType})`;
  if (context.executionStatus === "failed") {
    return `${subject} failed${context.errorMessage ? `: ${context.errorMessage}` : ""}`;
  }
  if (context.dataHandles.length === 0) return `${subject} succeeded with no data output.`;
  return `${subject} succeeded, producing ${describeOutputs(context.dataHandles)}.`;
}

function jsonBlock(value: Record<string, unknown>): string {
  return "```json\n" + JSON.stringify(value, null, 2) + "\n```";
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

export function buildMethodSummary(context: ReportContext): ReportOutput {
  const redact = (args: Record<string, unknown>, which: "global" | "method") =>
    context.redactSensitiveArgs ? context.redactSensitiveArgs(args, which) : args;
  const globalArgs = redact(context.globalArgs ?? {}, "global");
  const methodArgs = redact(context.methodArgs ?? {}, "method");
  const name = context.definition.name;
  const failed = context.executionStatus === "failed";
  const narrative = methodSummaryNarrative(context);

  const sections: string[] = [
    `# ${name} (${context.modelType}) → ${context.methodName}: ${context.executionStatus}` +
      (context.swampSha ? ` | git sha: ${context.swampSha}` : ""),
    narrative,
  ];
  if (failed && context.errorMessage) sections.push("## Error", context.errorMessage);
  sections.push("## Arguments");
  const hasGlobal = Object.keys(globalArgs).length > 0;
  const hasMethod = Object.keys(methodArgs).length > 0;
  if (!hasGlobal && !hasMethod) sections.push("No arguments.");
  if (hasGlobal) sections.push("**Global Arguments**", jsonBlock(globalArgs));
  if (hasMethod) sections.push("**Method Arguments**", jsonBlock(methodArgs));
  if (context.dataHandles.length > 0) {
    const rows = context.dataHandles.map(
      (h) => `| **${cell(h.name)}** | ${h.kind} | \`${cell(retrievalCommand(name, h))}\` |`,
    );
    sections.push("## Data Output", ["| Name | Kind | Retrieval Command |", "| ---- | ---- | ----------------- |", ...rows].join("\n"));
  }

  const json: Record<string, unknown> = { status: context.executionStatus };
  if (failed && context.errorMessage) json["error"] = context.errorMessage;
  json["modelId"] = context.modelId;
  json["modelName"] = name;
  json["modelType"] = context.modelType;
  json["methodName"] = context.methodName;
  if (context.swampSha) json["swampSha"] = context.swampSha;
  json["narrative"] = narrative;
  json["globalArgs"] = globalArgs;
  json["methodArgs"] = methodArgs;
  if (context.outputSpecs && context.outputSpecs.length > 0) json["outputSpecs"] = context.outputSpecs;
  json["dataProduced"] = context.dataHandles.map((h) => ({
    name: h.name,
    kind: h.kind,
    specName: h.specName,
    version: h.version,
    retrievalCommand: retrievalCommand(name, h),
  }));

  return { markdown: sections.join("\n\n") + "\n", json };
}

export const report: ReportPlugin = {
  name: METHOD_SUMMARY_REPORT,
  description: "Summary of a method run: status, arguments and the data it produced",
  scope: "method",
  labels: ["summary"],
  async execute(context) {
    return buildMethodSummary(context);
  },
};
