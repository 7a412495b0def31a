/**
 * The workflow side of `data get` and `data list` (not a command itself): the run a
 * `--workflow [--run]` pair names, and each datum it recorded resolved to that exact version.
 */
import { normalizeModelType } from "../../../kernel/data/names.js";
import type { DataMetadata } from "../../../kernel/data/metadata.js";
import type { ModelIdentity } from "../../../kernel/data/json.js";
import type { DataRepository } from "../../../kernel/data/repository.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";
import { recordedArtifacts, runOfWorkflow, type RecordedArtifact } from "../../../kernel/workflows/run-data.js";
import { RunStore } from "../../../kernel/workflows/runs.js";
import type { RunRecord } from "../../../kernel/workflows/types.js";
import { resolveModel } from "./shared.js";

export interface ResolvedArtifact extends RecordedArtifact {
  model: ModelIdentity;
  /** The recorded version's metadata; null when it no longer exists (garbage-collected or deleted). */
  meta: DataMetadata | null;
}

export async function workflowRun(kernel: Kernel, workflow: string, runArg: string | undefined, warn: (m: string) => void): Promise<RunRecord> {
  return runOfWorkflow(new RunStore(kernel, { onWarning: warn }), workflow, runArg);
}

/**
 * The model of a recorded datum: its own type and id (what we record), else — for records
 * written by the reference, which carry neither — the definition its `modelName` tag names.
 */
async function modelOf(kernel: Kernel, rec: RecordedArtifact): Promise<ModelIdentity | null> {
  const a = rec.artifact;
  const name = a.tags?.modelName ?? rec.stepModel;
  if (a.modelType && a.modelId) return { modelType: normalizeModelType(a.modelType), modelId: a.modelId, modelName: name ?? a.modelId };
  if (name === undefined) return null;
  try {
    const { ref: _ref, ...model } = await resolveModel(kernel, name);
    return model;
  } catch {
    return null;
  }
}

/** The run's recorded data (optionally only these names), each resolved to the version the run wrote. */
export async function resolveRunData(kernel: Kernel, repo: DataRepository, run: RunRecord, only?: (rec: RecordedArtifact) => boolean): Promise<ResolvedArtifact[]> {
  const out: ResolvedArtifact[] = [];
  for (const rec of recordedArtifacts(run)) {
    if (only && !only(rec)) continue;
    const model = await modelOf(kernel, rec);
    if (!model) continue;
    let meta: DataMetadata | null;
    try {
      meta = await repo.get(model.modelType, model.modelId, rec.artifact.name, rec.artifact.version);
    } catch {
      meta = null; // an id or name no datum can have (a damaged or foreign record)
    }
    out.push({ ...rec, model: { ...model, modelName: meta?.tags.modelName ?? model.modelName }, meta });
  }
  return out;
}
