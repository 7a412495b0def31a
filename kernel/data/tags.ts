/**
 * The tag resolution chain (seed "Tag Resolution Chain"): nine layers, later ones win. Pure.
 */
import { invalid } from "./errors.js";

export interface TagLayers {
  /** 1. `type` auto-tag: "resource" or "file" (reports pass "report"). */
  kind: string;
  /** 2. Tags of the model definition. */
  definitionTags?: Record<string, string> | undefined;
  /** 3. Tags declared on the output spec. */
  specTags?: Record<string, string> | undefined;
  /** 4. Tags the method passed when writing. */
  writeTags?: Record<string, string> | undefined;
  /** 5. Output spec name (always injected). */
  specName: string;
  /** 6. Definition name (injected when known). */
  modelName?: string | undefined;
  /** 7. Tags from the workflow step context (source, workflow, workflowId, workflowRunId, job, step, initiatedBy, …). */
  workflowTags?: Record<string, string> | undefined;
  /** 8. `--tag K=V` runtime tags. */
  runtimeTags?: Record<string, string> | undefined;
  /** 9. `dataOutputOverrides[spec].tags`. */
  outputOverrideTags?: Record<string, string> | undefined;
}

export function resolveTags(layers: TagLayers): Record<string, string> {
  const tags: Record<string, string> = { type: layers.kind };
  const merge = (layer: Record<string, string> | undefined) => {
    if (!layer) return;
    for (const [key, value] of Object.entries(layer)) tags[key] = String(value);
  };
  merge(layers.definitionTags);
  merge(layers.specTags);
  merge(layers.writeTags);
  tags.specName = layers.specName;
  if (layers.modelName !== undefined && layers.modelName !== "") tags.modelName = layers.modelName;
  merge(layers.workflowTags);
  merge(layers.runtimeTags);
  merge(layers.outputOverrideTags);
  return tags;
}

/** Tags must be a string→string map holding a non-empty `type`. */
export function validateTags(tags: unknown): Record<string, string> {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) throw invalid("Tags must be a map of strings");
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string") throw invalid(`Tag ${JSON.stringify(key)} must have a string value`, { tag: key });
  }
  const type = (tags as Record<string, string>).type;
  if (typeof type !== "string" || type.length === 0) throw invalid('Tags must include a "type" tag (resource, file or report)');
  return tags as Record<string, string>;
}

/** Parses `--tag KEY=VALUE` (split at the first `=`). */
export function parseTag(text: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw invalid(`Invalid tag format: "${text}". Expected KEY=VALUE`);
  return [text.slice(0, at), text.slice(at + 1)];
}
