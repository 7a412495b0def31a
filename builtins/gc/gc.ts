/**
 * `swamp data gc`: garbage collection of versioned data, in two phases computed together by
 * planGc() and carried out by applyGc() — a dry run and a real run share the same plan.
 *
 *   Phase 1, expiry: every name whose latest version has expired (lifetime elapsed since the
 *   latest createdAt, or its workflow run is gone for job/workflow lifetimes) loses all its
 *   versions. Tombstones and deletion markers never expire; names whose latest version is a
 *   rename tombstone are left alone entirely.
 *   Phase 2, version pruning: for every other name, versions outside the latest version's
 *   `garbageCollection` policy go — the oldest beyond N for a count, those created before
 *   now − d for a duration — never the highest version, never one inside the policy. A name
 *   expired in phase 1 is not counted again here.
 *
 * Bytes are the size of each version's `raw` (stat). The caller holds the global datastore lock
 * around applyGc (journal compaction rewrites index files).
 */
import { existsSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createLimiter, mapLimited } from "../../kernel/runtime/pool.js";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { safeJoin } from "../../kernel/runtime/safe-path.js";
import type { DataRepository } from "../../kernel/data/repository.js";
import { RAW_FILE } from "../../kernel/data/index.js";
import { expiryReason, parseDuration } from "../../kernel/data/lifetime.js";
import type { ExpiryReason, GarbageCollectionPolicy, WorkflowRunExists } from "../../kernel/data/lifetime.js";
import type { DataMetadata } from "../../kernel/data/metadata.js";
import { isRenamed } from "../../kernel/data/metadata.js";

export interface GcPlanOptions {
  /** Reference time (default: now). */
  now?: Date | number;
  /** Whether a workflow run record still exists (job/workflow lifetimes). Without it they never expire. */
  workflowRunExists?: WorkflowRunExists;
  onWarning?(message: string): void;
}

export interface GcVersion {
  version: number;
  bytes: number;
}

export interface GcExpiredItem {
  type: string;
  modelId: string;
  dataName: string;
  reason: ExpiryReason;
  versions: GcVersion[];
}

export interface GcPrunedItem {
  type: string;
  modelId: string;
  dataName: string;
  policy: GarbageCollectionPolicy;
  versions: GcVersion[];
}

export interface GcPlan {
  now: string;
  expired: GcExpiredItem[];
  pruned: GcPrunedItem[];
  dataEntriesExpired: number;
  versionsDeleted: number;
  bytesReclaimed: number;
  /** A previous gc was interrupted: applying also sweeps its leftovers from every model. */
  resume: boolean;
}

export interface GcExpiredEntry {
  type: string;
  modelId: string;
  dataName: string;
  reason: ExpiryReason;
  versionCount: number;
}

/** The `data gc --json` shape. `errors` appears only when some deletions failed. */
export interface GcResult {
  dataEntriesExpired: number;
  versionsDeleted: number;
  bytesReclaimed: number;
  dryRun: boolean;
  expiredEntries: GcExpiredEntry[];
  errors?: string[];
}

export interface GcApplyOptions {
  /** Called after each data item is processed. */
  onProgress?(done: number, total: number): void;
}

function rawBytes(nameDir: string, version: number): number {
  try {
    return statSync(join(nameDir, String(version), RAW_FILE)).size;
  } catch {
    return 0;
  }
}

/** Versions of one name outside its policy (oldest first). Never the highest one. */
export function versionsOutsidePolicy(versions: DataMetadata[], policy: GarbageCollectionPolicy, nowMs: number): DataMetadata[] {
  if (versions.length <= 1) return [];
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  if (typeof policy === "number") {
    if (!Number.isSafeInteger(policy) || policy < 1) return [];
    return sorted.slice(0, Math.max(0, sorted.length - policy));
  }
  const ms = parseDuration(policy);
  if (ms === null || ms <= 0) return [];
  const cutoff = nowMs - ms;
  const highest = sorted[sorted.length - 1] as DataMetadata;
  return sorted.filter((meta) => meta !== highest && Date.parse(meta.createdAt) < cutoff);
}

/** Computes what gc would delete. Reads the index (all versions) and stats the raw files to delete. */
export async function planGc(repo: DataRepository, options: GcPlanOptions = {}): Promise<GcPlan> {
  const nowMs = options.now === undefined ? Date.now() : typeof options.now === "number" ? options.now : options.now.getTime();
  const snapshots = await repo.index.loadAll({ history: true });
  const expired: GcExpiredItem[] = [];
  const pruned: GcPrunedItem[] = [];
  for (const snap of snapshots) {
    const byName = new Map<string, DataMetadata[]>();
    for (const meta of snap.history ?? []) {
      let list = byName.get(meta.name);
      if (!list) {
        list = [];
        byName.set(meta.name, list);
      }
      list.push(meta);
    }
    const latestSorted = [...snap.latest].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const latest of latestSorted) {
      if (isRenamed(latest)) continue;
      const versions = [...(byName.get(latest.name) ?? []), latest];
      const nameDir = safeJoin(repo.dataRoot, snap.type, snap.id, latest.name);
      const expiryOptions: Parameters<typeof expiryReason>[1] = { now: nowMs };
      if (options.workflowRunExists) expiryOptions.workflowRunExists = options.workflowRunExists;
      if (options.onWarning) expiryOptions.onWarning = options.onWarning;
      const reason = await expiryReason(latest, expiryOptions);
      if (reason !== null) {
        versions.sort((a, b) => a.version - b.version);
        expired.push({
          type: snap.type,
          modelId: snap.id,
          dataName: latest.name,
          reason,
          versions: versions.map((meta) => ({ version: meta.version, bytes: rawBytes(nameDir, meta.version) })),
        });
        continue;
      }
      const outside = versionsOutsidePolicy(versions, latest.garbageCollection, nowMs);
      if (outside.length === 0) continue;
      pruned.push({
        type: snap.type,
        modelId: snap.id,
        dataName: latest.name,
        policy: latest.garbageCollection,
        versions: outside.map((meta) => ({ version: meta.version, bytes: rawBytes(nameDir, meta.version) })),
      });
    }
  }
  let versionsDeleted = 0;
  let bytesReclaimed = 0;
  for (const item of [...expired, ...pruned]) {
    versionsDeleted += item.versions.length;
    for (const v of item.versions) bytesReclaimed += v.bytes;
  }
  return {
    now: new Date(nowMs).toISOString(),
    expired,
    pruned,
    dataEntriesExpired: expired.length,
    versionsDeleted,
    bytesReclaimed,
    resume: existsSync(join(repo.dataRoot, GC_MARKER)),
  };
}

/** True when applying `plan` has nothing to do. */
export function planIsEmpty(plan: GcPlan): boolean {
  return plan.expired.length === 0 && plan.pruned.length === 0 && !plan.resume;
}

function expiredEntries(items: GcExpiredItem[]): GcExpiredEntry[] {
  return items.map((item) => ({
    type: item.type,
    modelId: item.modelId,
    dataName: item.dataName,
    reason: item.reason,
    versionCount: item.versions.length,
  }));
}

/** The result a plan describes (what a dry run reports). */
export function gcResultOf(plan: GcPlan, dryRun: boolean): GcResult {
  return {
    dataEntriesExpired: plan.dataEntriesExpired,
    versionsDeleted: plan.versionsDeleted,
    bytesReclaimed: plan.bytesReclaimed,
    dryRun,
    expiredEntries: expiredEntries(plan.expired),
  };
}

/**
 * Present while a gc applies its plan (written before the first removal, deleted after the
 * last sweep): a gc that finds it was preceded by an interrupted one and sweeps the hidden
 * leftovers of every model, not just the ones its own plan touches.
 */
export const GC_MARKER = ".gc-unfinished";

/** Filesystem calls in flight during a gc (renames, deletes), across all models. */
const GC_CONCURRENCY = 32;
/** Models worked on at once; each gets one journal append for all its removals. */
const GC_MODELS_IN_FLIGHT = 8;

type PlannedItem = { kind: "expired"; item: GcExpiredItem } | { kind: "pruned"; item: GcPrunedItem };

/**
 * Deletes exactly what `plan` lists. Caller holds the global lock. Works model by model (a few
 * at once, filesystem calls bounded by one limiter): each model's directories are moved aside,
 * its journal gets one append, then the moved directories are deleted (see
 * DataRepository.removeBulk for why a kill at any point leaves no torn version).
 */
export async function applyGc(repo: DataRepository, plan: GcPlan, options: GcApplyOptions = {}): Promise<GcResult> {
  await repo.markDirty();
  const marker = join(repo.dataRoot, GC_MARKER);
  await atomicWriteFile(marker, `${plan.now}\n`);
  const planned: PlannedItem[] = [
    ...plan.expired.map((item): PlannedItem => ({ kind: "expired", item })),
    ...plan.pruned.map((item): PlannedItem => ({ kind: "pruned", item })),
  ];
  const byModel = new Map<string, { type: string; modelId: string; items: number[] }>();
  planned.forEach(({ item }, i) => {
    const key = `${item.type}/${item.modelId}`;
    let group = byModel.get(key);
    if (!group) {
      group = { type: item.type, modelId: item.modelId, items: [] };
      byModel.set(key, group);
    }
    group.items.push(i);
  });

  const total = planned.length;
  let done = 0;
  // Outcomes per planned item, so the result lists them in plan order whatever finished first.
  const outcome: Array<{ removed: number[] | "all"; error?: string }> = planned.map(() => ({ removed: [] }));
  const compactionErrors: string[] = [];
  const limit = createLimiter(GC_CONCURRENCY);
  await mapLimited([...byModel.values()], GC_MODELS_IN_FLIGHT, async ({ type, modelId, items }) => {
    const label = (i: number) => `${type}/${modelId}/${(planned[i] as PlannedItem).item.dataName}`;
    try {
      const removals = items.map((i) => {
        const p = planned[i] as PlannedItem;
        return p.kind === "expired" ? { name: p.item.dataName } : { name: p.item.dataName, versions: p.item.versions.map((v) => v.version) };
      });
      const results = await repo.removeBulk(type, modelId, removals, limit);
      items.forEach((i, j) => {
        const r = results[j];
        const slot = outcome[i]!;
        slot.removed = (planned[i] as PlannedItem).kind === "expired" ? "all" : (r?.removed ?? []);
        if (r?.error) slot.error = `${label(i)}: ${r.error.message}`;
      });
    } catch (err) {
      for (const i of items) outcome[i] = { removed: [], error: `${label(i)}: ${(err as Error).message}` };
    }
    done += items.length;
    options.onProgress?.(done, total);
    try {
      await repo.sweepTrash(type, modelId);
      await repo.index.compactIfNeeded(type, modelId);
    } catch (err) {
      compactionErrors.push(`${type}/${modelId}: index compaction failed: ${(err as Error).message}`);
    }
  });

  if (plan.resume) {
    const sweep = (await repo.index.models()).filter(({ type, id }) => !byModel.has(`${type}/${id}`));
    await mapLimited(sweep, GC_MODELS_IN_FLIGHT, async ({ type, id }) => {
      try {
        await repo.sweepTrash(type, id);
      } catch (err) {
        compactionErrors.push(`${type}/${id}: removing leftovers failed: ${(err as Error).message}`);
      }
    });
  }

  const errors: string[] = [];
  const expiredDone: GcExpiredItem[] = [];
  let versionsDeleted = 0;
  let bytesReclaimed = 0;
  planned.forEach((p, i) => {
    const { removed, error } = outcome[i]!;
    if (error !== undefined) errors.push(error);
    if (p.kind === "expired") {
      // A whole name whose removal failed stays as it was.
      if (error !== undefined) return;
      expiredDone.push(p.item);
      versionsDeleted += p.item.versions.length;
      for (const v of p.item.versions) bytesReclaimed += v.bytes;
      return;
    }
    const gone = new Set(removed === "all" ? [] : removed);
    for (const v of p.item.versions) {
      if (!gone.has(v.version)) continue;
      versionsDeleted++;
      bytesReclaimed += v.bytes;
    }
  });
  errors.push(...compactionErrors);
  // Kept after a failure, so the next gc looks for leftovers everywhere again.
  if (errors.length === 0) await rm(marker, { force: true });
  const result: GcResult = {
    dataEntriesExpired: expiredDone.length,
    versionsDeleted,
    bytesReclaimed,
    dryRun: false,
    expiredEntries: expiredEntries(expiredDone),
  };
  if (errors.length > 0) result.errors = errors;
  return result;
}

/** Plans and, unless `dryRun`, applies garbage collection. */
export async function runGc(repo: DataRepository, options: GcPlanOptions & GcApplyOptions & { dryRun?: boolean } = {}): Promise<GcResult> {
  const plan = await planGc(repo, options);
  if (options.dryRun) return gcResultOf(plan, true);
  return applyGc(repo, plan, options);
}
