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
