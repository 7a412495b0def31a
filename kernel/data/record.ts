/**
 * DataRecord: the read shape used by `data query`, the CEL `data.*` functions and extensions.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { safeJoin } from "../runtime/safe-path.js";
import { RAW_FILE } from "./index.js";
import type { DataMetadata } from "./metadata.js";

export interface DataRecord {
  id: string;
  name: string;
  version: number;
  /** True for the highest committed version of the name (renames are not followed). */
  isLatest: boolean;
  createdAt: string;
  /** The repo's namespace ("" in solo mode); `ns` in CEL. */
  namespace: string;
  /** Parsed JSON content of JSON records when loaded; otherwise {}. */
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
  modelName: string;
  modelId: string;
  modelType: string;
  specName: string;
  dataType: string;
  contentType: string;
  lifetime: string;
  ownerType: string;
  streaming: boolean;
  size: number;
  /** JSON: the same object as `attributes`; text types: the string; otherwise "". */
  content: unknown;
  ownerRef: string;
  workflowRunId: string;
  workflowName: string;
  jobName: string;
  stepName: string;
  source: string;
}

/** Every field of a DataRecord, in the documented order: the one list the query and expression layers derive theirs from. */
export const DATA_RECORD_FIELDS = [
  "id", "name", "version", "isLatest", "createdAt", "namespace", "attributes", "tags", "modelName", "modelId",
  "modelType", "specName", "dataType", "contentType", "lifetime", "ownerType", "streaming", "size", "content",
  "ownerRef", "workflowRunId", "workflowName", "jobName", "stepName", "source",
] as const satisfies ReadonlyArray<keyof DataRecord>;

export function toDataRecord(modelType: string, modelId: string, meta: DataMetadata, isLatest: boolean, namespace = ""): DataRecord {
  const owner = meta.ownerDefinition;
  return {
    id: meta.id,
    name: meta.name,
    version: meta.version,
    isLatest,
    createdAt: meta.createdAt,
    namespace,
    attributes: {},
    tags: meta.tags,
    modelName: meta.tags.modelName ?? "",
    modelId,
    modelType,
    specName: meta.tags.specName ?? "",
    dataType: meta.tags.type ?? "",
    contentType: meta.contentType,
    lifetime: meta.lifetime,
    ownerType: owner.ownerType,
    streaming: meta.streaming,
    size: meta.size ?? 0,
    content: "",
    ownerRef: owner.ownerRef,
    workflowRunId: owner.workflowRunId ?? "",
    workflowName: owner.workflowName ?? "",
    jobName: owner.jobName ?? "",
    stepName: owner.stepName ?? "",
    source: owner.source ?? "",
  };
}

const TEXT_TYPES = new Set(["application/json", "application/yaml", "application/x-yaml"]);

export function isJsonContentType(contentType: string): boolean {
  return contentType.split(";")[0]?.trim().toLowerCase() === "application/json";
}

export function isTextContentType(contentType: string): boolean {
  const base = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return base.startsWith("text/") || TEXT_TYPES.has(base);
}

export interface LoadedContent {
  attributes: Record<string, unknown>;
  content: unknown;
}

/** Interprets raw bytes per content type: JSON → parsed (attributes = content when an object), text → string, else "". */
export function interpretContent(contentType: string, raw: Buffer | null): LoadedContent {
  if (raw === null) return { attributes: {}, content: "" };
  if (isJsonContentType(contentType)) {
    const text = raw.toString("utf8");
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        return { attributes: parsed as Record<string, unknown>, content: parsed };
      }
      return { attributes: {}, content: parsed };
    } catch {
      return { attributes: {}, content: text };
    }
  }
  if (isTextContentType(contentType)) return { attributes: {}, content: raw.toString("utf8") };
  return { attributes: {}, content: "" };
}

/** Reads and interprets one version's raw content (missing → empty). */
export async function loadContent(dataRoot: string, modelType: string, modelId: string, name: string, version: number, contentType: string): Promise<LoadedContent> {
  let raw: Buffer | null = null;
  try {
    raw = await readFile(join(safeJoin(dataRoot, modelType, modelId, name), String(version), RAW_FILE));
  } catch {
    raw = null;
  }
  return interpretContent(contentType, raw);
}
