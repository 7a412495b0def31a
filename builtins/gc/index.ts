/**
 * Builtin: data garbage collection (`swamp data gc`). Not a port plugin — the CLI calls it
 * directly with the kernel's DataRepository while holding the global datastore lock (a dry
 * run takes no lock).
 */
import { applyGc, gcResultOf, planGc, runGc } from "./gc.js";

export { applyGc, gcResultOf, GC_MARKER, planGc, planIsEmpty, runGc, versionsOutsidePolicy } from "./gc.js";
export type { GcApplyOptions, GcExpiredEntry, GcExpiredItem, GcPlan, GcPlanOptions, GcPrunedItem, GcResult, GcVersion } from "./gc.js";

export const gc = {
  name: "gc",
  description: "Deletes expired data and prunes versions beyond their garbage-collection policy",
  plan: planGc,
  apply: applyGc,
  run: runGc,
  resultOf: gcResultOf,
} as const;
