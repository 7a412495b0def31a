/**
 * Report port: summaries produced after a method (or model, or workflow) run, persisted as a
 * markdown and a JSON data artifact under the model.
 */
import * as z from "zod";
import type { DataHandle } from "./model-type.js";

export type ReportScope = "method" | "model" | "workflow";

export interface ReportContext {
  scope: ReportScope;
  repoDir: string;
  modelType: string;
  modelId: string;
  definition: { id: string; name: string; version: number; tags: Record<string, string> };
  methodName: string;
  /** Arguments as written, before vault resolution: expressions stay as text. */
  globalArgs: Record<string, unknown>;
  methodArgs: Record<string, unknown>;
  executionStatus: "succeeded" | "failed";
  errorMessage?: string;
  dataHandles: DataHandle[];
  /** Short git sha of the repository, when it is a git checkout. */
  swampSha?: string;
  /** The model type's declared outputs (schemas as JSON Schema). */
  outputSpecs?: ReportOutputSpec[];
  /** Replaces values of argument fields the type marks sensitive with `"***"`. */
  redactSensitiveArgs?(args: Record<string, unknown>, which: "global" | "method"): Record<string, unknown>;
}

export interface ReportOutputSpec {
  specName: string;
  kind: "resource" | "file";
  description?: string;
  /** JSON Schema of a resource spec. */
  schema?: Record<string, unknown>;
  /** Content type of a file spec. */
  contentType?: string;
}

export interface ReportOutput {
  markdown: string;
  json: Record<string, unknown>;
}

export interface ReportPlugin {
  /** `@collective/name[/more]` or `collective/name`. */
  name: string;
  description: string;
  scope: ReportScope;
  labels?: string[];
  execute(context: ReportContext): Promise<ReportOutput>;
}

export const ReportOutputSchema = z.object({
  markdown: z.string(),
  json: z.record(z.string(), z.unknown()),
});
