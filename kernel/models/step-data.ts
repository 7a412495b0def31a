/**
 * What a workflow step adds to the data its method writes (workflows spec §1.11, §2.10):
 * per-spec overrides merged field by field, vary suffixes, the workflow tag layer, and the
 * owner's workflow ids. Pure: the method runner applies the results to every write.
 */
import { SwampError, ErrorCode } from "../contract/errors.js";
import type { OwnerDefinition } from "../data/metadata.js";
import { validateGcPolicy, validateLifetime, type GarbageCollectionPolicy } from "../data/lifetime.js";
import { encodeVaryValue } from "../data/vary.js";
import type { DataOutputOverride, WorkflowStepContext } from "../workflows/types.js";
import type { Definition } from "./definition.js";

/** The effective settings of one output spec, from the step and the definition together. */
export interface SpecOverride {
  lifetime?: string;
  garbageCollection?: GarbageCollectionPolicy;
  vaultName?: string;
  /** Tag layer 9 (step overrides only). */
  tags?: Record<string, string>;
  /** Input keys whose values suffix every instance name written under the spec. */
  vary?: string[];
}

/**
 * Per spec: the step's overrides over the definition's `resources:` overrides, field by field
 * (a step override that sets only `vary` or `tags` keeps the definition's lifetime). Several
 * step entries for one spec merge in order. Lifetimes and gc policies are checked here, so a
 * bad one fails the step before its method runs.
 */
export function mergeSpecOverrides(
  definitionResources: Definition["resources"] | undefined,
  stepOverrides: readonly DataOutputOverride[] | undefined,
): Map<string, SpecOverride> {
  const merged = new Map<string, SpecOverride>();
  const entry = (spec: string): SpecOverride => {
    let found = merged.get(spec);
    if (!found) merged.set(spec, (found = {}));
    return found;
  };
  for (const [spec, o] of Object.entries(definitionResources ?? {})) {
    const e = entry(spec);
    if (o.lifetime !== undefined) e.lifetime = o.lifetime;
    if (o.garbageCollection !== undefined) e.garbageCollection = o.garbageCollection;
    if (o.vaultName !== undefined) e.vaultName = o.vaultName;
  }
  for (const o of stepOverrides ?? []) {
    const e = entry(o.specName);
    if (o.lifetime !== undefined) e.lifetime = validateLifetime(o.lifetime);
    if (o.garbageCollection !== undefined) e.garbageCollection = validateGcPolicy(o.garbageCollection);
    if (o.vaultName !== undefined) e.vaultName = o.vaultName;
    if (o.tags !== undefined) e.tags = { ...e.tags, ...stringTags(o.tags) };
    if (o.vary !== undefined) e.vary = [...o.vary];
  }
  return merged;
}

function stringTags(tags: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) out[k] = String(v);
  return out;
}

/**
 * The encoded vary values of each spec that has a `vary`, read from the step's inputs. A
 * missing or null key, or a value no data name can hold, fails before the method runs.
 */
export function varySuffixes(overrides: ReadonlyMap<string, SpecOverride>, stepInputs: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [spec, o] of overrides) {
    if (!o.vary || o.vary.length === 0) continue;
    out.set(
      spec,
      o.vary.map((key) => {
        const value = Object.hasOwn(stepInputs, key) ? stepInputs[key] : undefined;
        if (value === undefined || value === null) {
          throw new SwampError(ErrorCode.validation, `Vary dimension '${key}' not found in step inputs for spec '${spec}'`, { details: { spec, key } });
        }
        return encodeVaryValue(value, `of vary dimension '${key}' for spec '${spec}'`);
      }),
    );
  }
  return out;
}

/**
 * Tag layer 7: the workflow file's tags, then the step's provenance (`source`, not `type`, so
 * the data type survives).
 */
export function workflowTagLayer(step: WorkflowStepContext): Record<string, string> {
  return {
    ...stringTags(step.workflowTags ?? {}),
    source: "step-output",
    workflow: step.workflowName,
    workflowId: step.workflowId,
    workflowRunId: step.workflowRunId,
    job: step.jobName,
    step: step.stepName,
    ...(step.initiatedBy ? { initiatedBy: step.initiatedBy } : {}),
  };
}

/**
 * The owner of a step's writes: the same `model-method` owner a standalone run writes (so a
 * name stays writable from both), plus the run's ids, which `workflow`/`job` lifetimes and
 * run-scoped reads need. Taken from the step itself, never from tags a user can override.
 */
export function stepOwner(definitionId: string, step: WorkflowStepContext): OwnerDefinition {
  return {
    ownerType: "model-method",
    ownerRef: definitionId,
    workflowId: step.workflowId,
    workflowRunId: step.workflowRunId,
    workflowName: step.workflowName,
    jobName: step.jobName,
    stepName: step.stepName,
    source: "step-output",
  };
}

/**
 * A step's inputs for the definition: its declared inputs come from the step inputs
 * (workflow inputs overlaid with the step's own); workflow inputs it does not declare are
 * not its business. The step's own keys that are not declared inputs stay method-argument
 * overrides (checked by the caller, as for `--input`).
 */
export function stepDeclaredInputs(declared: readonly string[], stepInputs: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const all = { ...stepInputs, ...own };
  const out: Record<string, unknown> = {};
  for (const key of declared) if (Object.hasOwn(all, key) && all[key] !== undefined) out[key] = all[key];
  return out;
}
