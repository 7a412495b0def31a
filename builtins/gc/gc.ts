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
import { statSync } from "node:fs";
import { join } from "node:path";
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
  };
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

/** Deletes exactly what `plan` lists. Caller holds the global lock. */
export async function applyGc(repo: DataRepository, plan: GcPlan, options: GcApplyOptions = {}): Promise<GcResult> {
  await repo.markDirty();
  const total = plan.expired.length + plan.pruned.length;
  let done = 0;
  const errors: string[] = [];
  const touched = new Map<string, { type: string; modelId: string }>();
  const expiredDone: GcExpiredItem[] = [];
  let versionsDeleted = 0;
  let bytesReclaimed = 0;
  for (const item of plan.expired) {
    try {
      await repo.removeName(item.type, item.modelId, item.dataName);
      expiredDone.push(item);
      versionsDeleted += item.versions.length;
      for (const v of item.versions) bytesReclaimed += v.bytes;
      touched.set(`${item.type}/${item.modelId}`, { type: item.type, modelId: item.modelId });
    } catch (err) {
      errors.push(`${item.type}/${item.modelId}/${item.dataName}: ${(err as Error).message}`);
    }
    options.onProgress?.(++done, total);
  }
  for (const item of plan.pruned) {
    try {
      const removed = new Set(await repo.removeVersions(item.type, item.modelId, item.dataName, item.versions.map((v) => v.version)));
      for (const v of item.versions) {
        if (!removed.has(v.version)) continue;
        versionsDeleted++;
        bytesReclaimed += v.bytes;
      }
      touched.set(`${item.type}/${item.modelId}`, { type: item.type, modelId: item.modelId });
    } catch (err) {
      errors.push(`${item.type}/${item.modelId}/${item.dataName}: ${(err as Error).message}`);
    }
    options.onProgress?.(++done, total);
  }
  for (const { type, modelId } of touched.values()) {
    try {
      await repo.sweepTrash(type, modelId);
      await repo.index.compactIfNeeded(type, modelId);
    } catch (err) {
      errors.push(`${type}/${modelId}: index compaction failed: ${(err as Error).message}`);
    }
  }
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
