/**
 * The versioned data repository on a local directory (the datastore's `data/` tree):
 *
 *   <dataRoot>/<normalized-type...>/<model-id>/<name>/<N>/{raw,metadata.yaml}
 *   <dataRoot>/<normalized-type...>/<model-id>/<name>/latest      ("N", no newline)
 *
 * Writing one version (crash-safe order):
 *   1. validate everything (name, type, id, tags, lifetime, gc) — bad input writes nothing;
 *   2. markDirty(<name dir>); ownership check against the current latest (following renames);
 *   3. claim the version: exclusive, non-recursive mkdir of `<name>/<max+1>` (EEXIST → next);
 *   4. write `raw` (atomic for whole content; streamed writes go straight into the claimed
 *      directory and are hashed as they are written);
 *   5. append a `pending` journal line, then write `metadata.yaml` atomically — its presence is
 *      the commit point: a version directory without it does not exist for any reader;
 *   6. append the index journal `put` line (see index.ts);
 *   7. move `latest` forward, never backwards (written only when greater than its value).
 *
 * "Latest" has one definition, used by every reader: the highest committed version, which is
 * at or above the `latest` pointer (the pointer may lag when a writer was killed after step 5;
 * it never runs ahead of a committed version, and a pointer naming a removed version is
 * ignored). Point reads list the name directory; the index knows the same version because of
 * the `pending` line of step 5.
 *
 * Locking is the caller's job: the kernel holds the per-model lock around writes, deletes and
 * renames of one model and the global lock around gc. Without a lock, concurrent writers still
 * get distinct versions and `latest` still ends at the highest committed version; journal
 * compaction (after deletes) is the one step that needs the lock to be safe.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DataHandle } from "../contract/ports/model-type.js";
import { handleFor } from "./handle.js";
import { SwampError } from "../contract/errors.js";
import { atomicWriteFile, writeUnpublishedFile } from "../runtime/atomic-write.js";
import { fsWriteError } from "../runtime/fs-errors.js";
import { createLimiter } from "../runtime/pool.js";
import type { Limiter } from "../runtime/pool.js";
import { safeJoin } from "../runtime/safe-path.js";
import { conflict, DataErrorCode, invalid, isErrno, notFound } from "./errors.js";
import { DataIndex, LATEST_FILE, METADATA_FILE, RAW_FILE } from "./index.js";
import { readLatestPointer } from "./reconcile.js";
import type { JournalOp } from "./index.js";
import { validateGcPolicy, validateLifetime } from "./lifetime.js";
import type { GarbageCollectionPolicy } from "./lifetime.js";
import { isRenamed, parseMetadata, serializeMetadata } from "./metadata.js";
import type { DataMetadata, OwnerDefinition } from "./metadata.js";
import { dataNameProblem, modelTypePath, parseVersionDir, validateDataName, validateModelId } from "./names.js";
import { validateTags } from "./tags.js";
import { FileDataWriter } from "./writer.js";
import type { ModelTip } from "./tip.js";

export { handleFor, readLatestPointer };

/** Lookups by name follow rename forward references this many hops; one more gives null. */
export const MAX_RENAME_HOPS = 5;

export interface DataLogger {
  warn(message: string): void;
}

export interface DataRepositoryOptions {
  /** Absolute path of the data root, e.g. `<repo>/.swamp/data`. */
  dataRoot: string;
  /**
   * Called before every mutation: with the data-name directory for writes, the version
   * directory for single-version deletes, and no path for bulk changes (rename, gc).
   */
  markDirty?(absPath?: string): Promise<void>;
  /**
   * Called right before every commit point (writing a version's metadata.yaml) with the model
   * written; a throw aborts the write and nothing becomes visible. The kernel checks here that
   * the writer still holds its lock (fencing).
   */
  beforeCommit?(modelType: string, modelId: string): Promise<void>;
  logger?: DataLogger;
  /** Clock (tests). */
  now?(): Date;
  /** Share one index between repositories of the same root. */
  index?: DataIndex;
  /**
   * `.swamp.yaml` `autoGc: true`: each write of an item with a numeric garbageCollection
   * policy removes its oldest versions beyond that count (data.md §3.5). Off by default:
   * without it retention is only enforced by `swamp data gc`.
   */
  autoGc?: boolean;
  /**
   * swamp's query catalog in this repo (`.swamp/data/_catalog.db`, data.md §1.6). swamp trusts
   * it once populated and only its own writes update it, so after every change we make it is
   * removed (with its `-wal`/`-shm`) and swamp rebuilds it from the files. Never read.
   */
  foreignCatalog?: string;
}

/** Everything a new version needs besides its content. */
export interface WriteSpec {
  modelType: string;
  modelId: string;
  name: string;
  contentType: string;
  lifetime: string;
  garbageCollection: GarbageCollectionPolicy;
  streaming?: boolean;
  /** Must hold `type`. */
  tags: Record<string, string>;
  ownerDefinition: OwnerDefinition;
  /** Spec name reported in the DataHandle (default: tags.specName or ""). */
  specName?: string;
  /** The version's `id` (default: a fresh UUID). */
  dataId?: string;
}

/** A validated WriteSpec. @internal */
export interface PreparedWrite {
  type: string;
  modelId: string;
  name: string;
  specName: string;
  template: Omit<DataMetadata, "version" | "createdAt" | "size" | "checksum">;
}

/** A claimed, not yet committed version directory. @internal */
export interface Claim {
  version: number;
  dir: string;
  rawPath: string;
}

export interface VersionSummary {
  version: number;
  createdAt: string;
  size?: number;
  checksum?: string;
  isLatest: boolean;
  /** Only on deletion markers and rename tombstones (beyond swamp's shape, so they can be told apart). */
  lifecycle?: "deleted";
  renamedTo?: string;
}

export interface RenameResult {
  oldName: string;
  newName: string;
  copiedVersion: number;
  newVersion: number;
}

/** One entry of `removeBulk`: some versions of a name, or (no `versions`) the whole name. */
export interface BulkRemoval {
  name: string;
  versions?: number[];
}

export interface BulkRemovalResult {
  name: string;
  /** Versions moved aside and deleted (for a version removal). */
  removed: number[];
  error?: Error;
}

/** Filesystem calls in flight for one removal (a single delete); gc passes its own limiter. */
const REMOVE_CONCURRENCY = 32;

export interface DeleteResult {
  versionsDeleted: number;
}

export function renameWarning(oldName: string, newName: string): string {
  return `Any workflows or models that produce data under "${oldName}" will overwrite the forward reference. Update them to use "${newName}" instead.`;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function toBytes(content: Uint8Array | string): Uint8Array {
  return typeof content === "string" ? Buffer.from(content, "utf8") : content;
}

/** More dels than this from a tip read from disk are checked against the journal first (heal). */
const MAX_UNCHECKED_DELS = 64;

/** Numeric version directories of a name directory (claimed ones included), unsorted. */
function versionDirs(nameDir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync(nameDir);
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return [];
    throw err;
  }
  const out: number[] = [];
  for (const entry of entries) {
    const v = parseVersionDir(entry);
    if (v !== null) out.push(v);
  }
  return out;
}

function maxOf(values: number[]): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/**
 * Versioned data of one data root. Thread of control: one instance per process and data root
 * (it caches index folds in memory and re-validates them by stat on every call).
 *
 * Locking is the caller's job: hold the per-model lock (`modelLockKey(type, id)`) around
 * save/createWriter…finalize/delete/rename/writeDeletionMarker of that model, and the global
 * lock around gc (builtins/gc). Reads (get, getContent, versions, list, query, search) take no
 * lock. Without locks concurrent writers still claim distinct versions and `latest` still
 * converges on the highest committed version; journal compaction after deletes is the step
 * that needs the lock.
 */
export class DataRepository {
  readonly dataRoot: string;
  readonly index: DataIndex;
  private readonly dirtyHook: ((absPath?: string) => Promise<void>) | undefined;
  private readonly beforeCommit: ((modelType: string, modelId: string) => Promise<void>) | undefined;
  private readonly logger: DataLogger | undefined;
  private readonly clock: () => Date;
  private readonly foreignCatalog: string | undefined;
  private readonly autoGc: boolean;

  constructor(options: DataRepositoryOptions) {
    this.dataRoot = options.dataRoot;
    this.dirtyHook = options.markDirty;
    this.beforeCommit = options.beforeCommit;
    this.logger = options.logger;
    this.clock = options.now ?? (() => new Date());
    this.foreignCatalog = options.foreignCatalog;
    this.autoGc = options.autoGc === true;
    this.index = options.index ?? new DataIndex(options.dataRoot, options.logger ? { logger: options.logger } : {});
  }

  /** Current time as the ISO string stored in createdAt. */
  nowIso(): string {
    return this.clock().toISOString();
  }

  /**
   * Called once a change is complete on disk: removes swamp's catalog when there is one (one
   * existence check; it is swamp's derived state, so a failure only warns). The WAL goes first:
   * a WAL left behind without its database could be replayed into the rebuilt one.
   */
  private dropForeignCatalog(): void {
    const db = this.foreignCatalog;
    if (db === undefined || !existsSync(db)) return;
    try {
      for (const suffix of ["-wal", "-shm", ""]) rmSync(db + suffix, { force: true });
    } catch (err) {
      this.logger?.warn(`Could not remove swamp's query catalog ${db} (it may miss our changes): ${(err as Error).message}`);
    }
  }

  /** Fires the markDirty hook (no path = bulk change). */
  async markDirty(absPath?: string): Promise<void> {
    if (this.dirtyHook) await this.dirtyHook(absPath);
  }

  // ---- paths ----

  modelDir(modelType: string, modelId: string): string {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    return safeJoin(this.dataRoot, type, modelId);
  }

  nameDir(modelType: string, modelId: string, name: string): string {
    validateDataName(name);
    return safeJoin(this.modelDir(modelType, modelId), name);
  }

  /** Absolute path of a version's `raw` file (whether or not it exists). */
  contentPath(modelType: string, modelId: string, name: string, version: number): string {
    return join(this.nameDir(modelType, modelId, name), String(version), RAW_FILE);
  }

  // ---- writing ----

  /** Validates a write spec; throws `validation_failed` before anything touches the disk. @internal */
  prepare(spec: WriteSpec): PreparedWrite {
    const type = modelTypePath(spec.modelType);
    validateModelId(spec.modelId);
    validateDataName(spec.name);
    if (typeof spec.contentType !== "string" || spec.contentType.length === 0) throw invalid("contentType must be a non-empty string");
    const lifetime = validateLifetime(spec.lifetime);
    const garbageCollection = validateGcPolicy(spec.garbageCollection);
    const tags = { ...validateTags(spec.tags) };
    const owner = spec.ownerDefinition;
    if (!owner || typeof owner.ownerType !== "string" || owner.ownerType.length === 0 || typeof owner.ownerRef !== "string" || owner.ownerRef.length === 0) {
      throw invalid("ownerDefinition needs a non-empty ownerType and ownerRef");
    }
    const ownerDefinition: OwnerDefinition = { ownerType: owner.ownerType, ownerRef: owner.ownerRef };
    for (const [key, value] of Object.entries(owner)) {
      if (key === "ownerType" || key === "ownerRef" || value === undefined || value === null || value === "") continue;
      (ownerDefinition as unknown as Record<string, string>)[key] = String(value);
    }
    const id = spec.dataId ?? randomUUID();
    return {
      type,
      modelId: spec.modelId,
      name: spec.name,
      specName: spec.specName ?? tags.specName ?? "",
      template: {
        id,
        name: spec.name,
        contentType: spec.contentType,
        lifetime,
        garbageCollection,
        streaming: spec.streaming === true,
        tags,
        ownerDefinition,
      },
    };
  }

  /** Writes one complete version. Returns its metadata. */
  async save(spec: WriteSpec, content: Uint8Array | string): Promise<DataMetadata> {
    return this.saveInternal(this.prepare(spec), toBytes(content), {});
  }

  /** Writes a JSON resource (compact JSON, `application/json`) and returns its DataHandle. */
  async saveResource(spec: Omit<WriteSpec, "contentType"> & { contentType?: string }, attributes: Record<string, unknown>): Promise<DataHandle> {
    const prepared = this.prepare({ ...spec, contentType: "application/json" });
    const meta = await this.saveInternal(prepared, Buffer.from(JSON.stringify(attributes), "utf8"), {});
    return handleFor(meta, prepared.specName, attributes);
  }

  /** A single-use writer for one new version (writeAll/writeText/writeLine/writeStream/getFilePath). */
  createWriter(spec: WriteSpec): FileDataWriter {
    return new FileDataWriter(this, this.prepare(spec));
  }

  private async saveInternal(
    prepared: PreparedWrite,
    bytes: Uint8Array,
    extra: { lifecycle?: "deleted"; renamedTo?: string; noSizeChecksum?: boolean },
  ): Promise<DataMetadata> {
    const claim = await this.claim(prepared);
    try {
      // The claimed directory is invisible until metadata.yaml is committed, so raw needs no
      // temp file and rename; the commit's directory fsync makes its entry durable.
      await writeUnpublishedFile(claim.rawPath, bytes);
      const sums = extra.noSizeChecksum ? {} : { size: bytes.byteLength, checksum: sha256(bytes) };
      return await this.commit(prepared, claim, sums, extra);
    } catch (err) {
      await this.abort(claim);
      throw err;
    }
  }

  /**
   * markDirty, ownership check, model registration, version claim and journal heal.
   * @internal (used by FileDataWriter)
   */
  async claim(prepared: PreparedWrite): Promise<Claim> {
    try {
      return await this.claimVersion(prepared);
    } catch (err) {
      throw fsWriteError(err);
    }
  }

  private async claimVersion(prepared: PreparedWrite): Promise<Claim> {
    const { type, modelId, name } = prepared;
    const nameDir = safeJoin(this.dataRoot, type, modelId, name);
    await this.markDirty(nameDir);
    // The journal is read before the directory is listed, so every version it knows was
    // committed before the listing, and one the listing lacks is really gone (see heal).
    const tip = await this.index.tip(type, modelId);
    mkdirSync(nameDir, { recursive: true });
    const existing = versionDirs(nameDir);
    await this.checkOwnership(prepared, existing);
    let next = maxOf(existing) + 1;
    let claimed: number | null = null;
    for (let attempt = 0; attempt < 100; attempt++, next++) {
      try {
        mkdirSync(join(nameDir, String(next)));
        claimed = next;
        break;
      } catch (err) {
        if (!isErrno(err, "EEXIST")) throw err;
      }
    }
    if (claimed === null) throw new SwampError(DataErrorCode.conflict, `Failed to allocate version for "${name}" after 100 retries`);
    await this.heal(prepared, nameDir, existing, tip);
    const dir = join(nameDir, String(claimed));
    return { version: claimed, dir, rawPath: join(dir, RAW_FILE) };
  }

  /**
   * Appends journal lines for committed versions the journal misses, and dels for vanished ones.
   * A tip read from disk that would have many versions deleted is checked against a full fold
   * of the journal first: the tip is only a saving, and the journal decides.
   */
  private async heal(prepared: PreparedWrite, nameDir: string, onDisk: number[], tip: ModelTip): Promise<void> {
    const name = prepared.name;
    const known = tip.known.get(name);
    const unknown = known ? onDisk.filter((version) => !known.has(version)) : onDisk;
    let onDiskSet: Set<number> | undefined;
    const present = (version: number) => (onDiskSet ??= new Set(onDisk)).has(version);
    const vanished: number[] = [];
    // Known versions are missing from the directory only when fewer of them are on it.
    if (known && onDisk.length - unknown.length < known.size) for (const version of known) if (!present(version)) vanished.push(version);
    if (vanished.length > MAX_UNCHECKED_DELS && !tip.verified) {
      return this.heal(prepared, nameDir, onDisk, await this.index.tip(prepared.type, prepared.modelId, { full: true }));
    }
    const ops: JournalOp[] = [];
    // Announced versions whose directory is gone (aborted claims): settle them.
    for (const version of tip.pending.get(name) ?? []) if (!present(version)) ops.push({ op: "del", name, version });
    for (const version of unknown) {
      const meta = this.readMetadataFile(join(nameDir, String(version), METADATA_FILE));
      if (meta) ops.push({ op: "put", ...meta, name, version });
    }
    for (const version of vanished) ops.push({ op: "del", name, version });
    if (ops.length > 0) {
      try {
        await this.index.append(prepared.type, prepared.modelId, ops);
      } catch (err) {
        this.logger?.warn(`Could not heal the index of ${prepared.type}/${prepared.modelId}: ${(err as Error).message}`);
      }
    }
  }

  /** Writes metadata.yaml (the commit point), appends the journal line, moves `latest`. @internal */
  async commit(
    prepared: PreparedWrite,
    claim: Claim,
    sums: { size?: number; checksum?: string },
    extra: { lifecycle?: "deleted"; renamedTo?: string } = {},
  ): Promise<DataMetadata> {
    const meta: DataMetadata = {
      ...prepared.template,
      version: claim.version,
      createdAt: this.nowIso(),
    };
    if (sums.size !== undefined) meta.size = sums.size;
    if (sums.checksum !== undefined) meta.checksum = sums.checksum;
    if (extra.lifecycle === "deleted") meta.lifecycle = "deleted";
    if (extra.renamedTo !== undefined) meta.renamedTo = extra.renamedTo;
    await this.beforeCommit?.(prepared.type, prepared.modelId);
    // Announce the commit, so the index can find it even if we die before the `put` line.
    try {
      await this.index.append(prepared.type, prepared.modelId, [{ op: "pending", name: prepared.name, version: claim.version }]);
    } catch (err) {
      this.logger?.warn(`Could not append to the index journal of ${prepared.type}/${prepared.modelId}: ${(err as Error).message}`);
    }
    await atomicWriteFile(join(claim.dir, METADATA_FILE), serializeMetadata(meta), { mkdirs: false });
    // Committed. What follows is derived state; a failure is repaired later, not reported.
    try {
      await this.index.append(prepared.type, prepared.modelId, [{ op: "put", ...meta }]);
    } catch (err) {
      this.logger?.warn(`Could not append to the index journal of ${prepared.type}/${prepared.modelId}: ${(err as Error).message}`);
    }
    try {
      await this.advanceLatest(join(claim.dir, ".."), claim.version);
    } catch (err) {
      this.logger?.warn(`Could not update latest for "${prepared.name}": ${(err as Error).message}`);
    }
    this.dropForeignCatalog();
    if (this.autoGc) await this.pruneBeyondPolicy(prepared.type, prepared.modelId, meta);
    return meta;
  }

  /** Write-time pruning (`autoGc`): keeps the newest `garbageCollection` versions, this one included. */
  private async pruneBeyondPolicy(type: string, modelId: string, written: DataMetadata): Promise<void> {
    const cap = written.garbageCollection;
    if (typeof cap !== "number" || written.lifecycle === "deleted") return;
    try {
      const versions = (await this.index.model(type, modelId))?.versionsOf(written.name) ?? [];
      const excess = versions.length - cap;
      if (excess <= 0) return;
      const oldest = versions.slice(0, excess).map((m) => m.version).filter((v) => v !== written.version);
      await this.markDirty();
      await this.removeVersions(type, modelId, written.name, oldest);
    } catch (err) {
      this.logger?.warn(`autoGc could not prune "${written.name}": ${(err as Error).message}`);
    }
  }

  /** Removes a claimed, uncommitted version directory. @internal */
  async abort(claim: Claim): Promise<void> {
    if (existsSync(join(claim.dir, METADATA_FILE))) return; // committed: never remove
    await rm(claim.dir, { recursive: true, force: true }).catch(() => {});
  }

  /** `listing`: the version directories of the name, just listed by the caller. */
  private async checkOwnership(prepared: PreparedWrite, listing: number[]): Promise<void> {
    const current = await this.resolveLatest(prepared.type, prepared.modelId, prepared.name, true, listing);
    if (!current) return;
    const have = current.ownerDefinition;
    const want = prepared.template.ownerDefinition;
    if (have.ownerType !== want.ownerType || have.ownerRef !== want.ownerRef) {
      throw new SwampError(
        DataErrorCode.ownershipMismatch,
        `Ownership validation failed for "${prepared.name}": existing owner "${have.ownerType}:${have.ownerRef}" does not match new owner "${want.ownerType}:${want.ownerRef}"`,
        { details: { name: prepared.name, existingOwner: have, newOwner: want } },
      );
    }
  }

  /**
   * Moves `latest` to `version` unless it already names a higher version, then makes sure no
   * higher committed version appeared meanwhile (so racing writers converge on the maximum).
   */
  private async advanceLatest(nameDir: string, version: number): Promise<void> {
    let target = version;
    for (let round = 0; round < 16; round++) {
      const current = readLatestPointer(nameDir);
      if (current === null || current < target) await this.writeLatest(nameDir, target);
      let higher: number | null = null;
      for (let v = target + 1; existsSync(join(nameDir, String(v))); v++) {
        if (existsSync(join(nameDir, String(v), METADATA_FILE))) higher = v;
      }
      if (higher === null) return;
      target = higher;
    }
  }

  private async writeLatest(nameDir: string, version: number): Promise<void> {
    await atomicWriteFile(join(nameDir, LATEST_FILE), String(version), { durable: false, mkdirs: false });
  }

  // ---- reading ----

  private readMetadataFile(path: string): DataMetadata | null {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return null;
      throw err;
    }
    return parseMetadata(text, path);
  }

  /** Committed versions on disk (metadata.yaml present), highest first. */
  private committedOnDisk(nameDir: string): number[] {
    const dirs = versionDirs(nameDir);
    dirs.sort((a, b) => b - a);
    const out: number[] = [];
    for (const v of dirs) if (existsSync(join(nameDir, String(v), METADATA_FILE))) out.push(v);
    return out;
  }

  /** `listing`: the name's version directories when the caller has just listed them. */
  private maxCommittedOnDisk(nameDir: string, listing = versionDirs(nameDir)): number | null {
    // Almost always the highest directory is committed: sort only when it is not.
    const highest = maxOf(listing);
    if (highest > 0 && existsSync(join(nameDir, String(highest), METADATA_FILE))) return highest;
    const dirs = listing.filter((v) => v !== highest).sort((a, b) => b - a);
    for (const v of dirs) if (existsSync(join(nameDir, String(v), METADATA_FILE))) return v;
    return null;
  }

  /**
   * The version "latest" means: the highest committed one. The `latest` pointer is only a lower
   * bound (it lags after a kill between commit and pointer update), so it is not consulted.
   */
  private latestVersion(nameDir: string, listing?: number[]): number | null {
    return this.maxCommittedOnDisk(nameDir, listing);
  }

  private safeNameDir(type: string, modelId: string, name: string): string | null {
    if (dataNameProblem(name) !== null) return null;
    try {
      return safeJoin(this.dataRoot, type, modelId, name);
    } catch {
      return null;
    }
  }

  /** Latest version of `name` (normalized type), optionally following rename tombstones. */
  private async resolveLatest(type: string, modelId: string, name: string, follow: boolean, listing?: number[]): Promise<DataMetadata | null> {
    let current = name;
    for (let hops = 0; ; hops++) {
      const nameDir = this.safeNameDir(type, modelId, current);
      if (!nameDir) return null;
      const version = this.latestVersion(nameDir, hops === 0 ? listing : undefined);
      if (version === null) return null;
      const meta = this.readMetadataFile(join(nameDir, String(version), METADATA_FILE));
      if (!meta) return null;
      if (!follow || !isRenamed(meta)) return meta;
      if (hops >= MAX_RENAME_HOPS) {
        this.logger?.warn(`Rename chain depth exceeded for ${name} (model ${modelId}). Data exists but is unreachable — simplify the rename chain.`);
        return null;
      }
      current = meta.renamedTo as string;
    }
  }

  /**
   * One version's metadata. Without `version`: the latest, following rename forward
   * references up to 5 hops (null past that, with a warning). With `version`: exactly that
   * version of `name`, never forwarded. Null when it does not exist (or is not committed).
   */
  async get(modelType: string, modelId: string, name: string, version?: number): Promise<DataMetadata | null> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    if (version === undefined) return this.resolveLatest(type, modelId, name, true);
    const nameDir = this.safeNameDir(type, modelId, name);
    if (!nameDir || !Number.isSafeInteger(version) || version < 1) return null;
    return this.readMetadataFile(join(nameDir, String(version), METADATA_FILE));
  }

  /** Latest version of `name` itself (tombstones returned as they are). */
  async getLatestNoFollow(modelType: string, modelId: string, name: string): Promise<DataMetadata | null> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    return this.resolveLatest(type, modelId, name, false);
  }

  /** Raw bytes of one committed version, or null. */
  async getContent(modelType: string, modelId: string, name: string, version: number): Promise<Buffer | null> {
    const raw = this.committedRawPath(modelType, modelId, name, version);
    if (!raw) return null;
    try {
      return await readFile(raw);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return null;
      throw err;
    }
  }

  /** The raw file of a committed version (one with its metadata.yaml), or null. */
  private committedRawPath(modelType: string, modelId: string, name: string, version: number): string | null {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    const nameDir = this.safeNameDir(type, modelId, name);
    if (!nameDir) return null;
    const dir = join(nameDir, String(version));
    return existsSync(join(dir, METADATA_FILE)) ? join(dir, RAW_FILE) : null;
  }

  /** The raw file of one committed version, opened for reading (the caller closes it), or null. */
  async openContent(modelType: string, modelId: string, name: string, version: number): Promise<FileHandle | null> {
    const raw = this.committedRawPath(modelType, modelId, name, version);
    if (!raw) return null;
    try {
      return await open(raw, "r");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return null;
      throw err;
    }
  }

  /**
   * A resource's attributes: the latest version (following renames) or an explicit version,
   * parsed as a JSON object. Null when missing or not a JSON object.
   */
  async readResource(modelType: string, modelId: string, name: string, version?: number): Promise<Record<string, unknown> | null> {
    const meta = await this.get(modelType, modelId, name, version);
    if (!meta) return null;
    const raw = await this.getContent(modelType, modelId, meta.name, meta.version);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw.toString("utf8")) as unknown;
      return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /**
   * Every committed version of `name` (no forwarding), newest first, from the model's index
   * after comparing it with the name's directory (versions another program wrote).
   */
  async versions(modelType: string, modelId: string, name: string): Promise<DataMetadata[]> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    if (dataNameProblem(name) !== null) return [];
    const fold = await this.index.freshModel(type, modelId, name);
    if (!fold) return [];
    return fold.versionsOf(name).reverse();
  }

  /** `versions()` as the `data versions` summaries (isLatest = highest version). */
  async versionSummaries(modelType: string, modelId: string, name: string): Promise<VersionSummary[]> {
    const list = await this.versions(modelType, modelId, name);
    return list.map((meta, i) => ({
      version: meta.version,
      createdAt: meta.createdAt,
      ...(meta.size !== undefined ? { size: meta.size } : {}),
      ...(meta.checksum !== undefined ? { checksum: meta.checksum } : {}),
      isLatest: i === 0,
      ...(meta.lifecycle === "deleted" ? { lifecycle: "deleted" as const } : {}),
      ...(meta.renamedTo !== undefined ? { renamedTo: meta.renamedTo } : {}),
    }));
  }

  /**
   * The latest version of every data item of one model (`data list`): rename tombstones
   * resolve to their target (up to 5 hops) and de-duplicate, deletion markers are included.
   * Sorted by name. Reads only this model's index journal and directory (names and `latest`
   * pointers another program changed are reconciled first).
   */
  async list(modelType: string, modelId: string): Promise<DataMetadata[]> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    // From the model's tip when the directory agrees with it; else the folded, reconciled journal.
    let latest = await this.index.latestRecords(type, modelId);
    if (!latest) {
      const fold = await this.index.freshModel(type, modelId);
      if (!fold) return [];
      latest = new Map();
      for (const name of fold.names.keys()) latest.set(name, fold.latestOf(name)!);
    }
    const seen = new Map<string, DataMetadata>();
    for (const name of latest.keys()) {
      let meta = latest.get(name);
      let hops = 0;
      while (meta && isRenamed(meta)) {
        if (hops >= MAX_RENAME_HOPS) {
          this.logger?.warn(`Rename chain depth exceeded for ${name} (model ${modelId}). Data exists but is unreachable — simplify the rename chain.`);
          meta = undefined;
          break;
        }
        hops++;
        meta = latest.get(meta.renamedTo as string);
      }
      if (meta && !seen.has(meta.name)) seen.set(meta.name, meta);
    }
    return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- deletion ----

  /**
   * Deletes one version (then `latest` moves to the highest remaining one; the name directory
   * goes when none remain) or, without `version`, every version of `name`.
   */
  async delete(modelType: string, modelId: string, name: string, version?: number, options: { modelName?: string } = {}): Promise<DeleteResult> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    const nameDir = this.safeNameDir(type, modelId, name);
    const committed = nameDir ? this.committedOnDisk(nameDir) : [];
    if (!nameDir || committed.length === 0) {
      throw notFound(`No data named "${name}" exists for model ${options.modelName ?? modelId}`, { name });
    }
    if (version === undefined) {
      await this.markDirty(nameDir);
      await this.removeName(type, modelId, name);
      await this.index.compactIfNeeded(type, modelId);
      return { versionsDeleted: committed.length };
    }
    if (!committed.includes(version)) {
      const available = [...committed].sort((a, b) => a - b).join(", ");
      throw notFound(`Version ${version} does not exist for "${name}" (available versions: ${available})`, { name, version });
    }
    await this.markDirty(join(nameDir, String(version)));
    await this.removeVersions(type, modelId, name, [version]);
    await this.index.compactIfNeeded(type, modelId);
    return { versionsDeleted: 1 };
  }

  /**
   * Removes versions of one name (no markDirty, no checks: delete calls it). `latest` is
   * repaired; the name directory goes when no committed version remains. Returns the versions
   * that were removed. @internal
   */
  async removeVersions(type: string, modelId: string, name: string, versions: number[]): Promise<number[]> {
    const [result] = await this.removeBulk(type, modelId, [{ name, versions }], createLimiter(REMOVE_CONCURRENCY));
    if (result?.error) throw result.error;
    return result?.removed ?? [];
  }

  /** Removes a whole name directory (rename aside, journal `drop`, then delete). @internal */
  async removeName(type: string, modelId: string, name: string): Promise<void> {
    const [result] = await this.removeBulk(type, modelId, [{ name }], createLimiter(REMOVE_CONCURRENCY));
    if (result?.error) throw result.error;
  }

  /**
   * Removes names and versions of one model (gc, delete; no markDirty, no checks). Crash-safe
   * order: every directory is first renamed aside (`.<v>.deleting-…`, atomic: a version is
   * either whole or gone for every reader), then the model's journal gets one append with a
   * `del`/`drop` line per removal (a version already gone gets its `del` too, so a run after an
   * interrupted one settles the index), then the renamed directories are deleted. A kill at any
   * point leaves only hidden leftovers that `sweepTrash` deletes, and at worst journal records
   * of vanished versions, which the next removal or write settles. `limit` bounds the
   * filesystem calls in flight (shared across models by gc). A failure is reported per entry;
   * what was moved aside before it is still recorded. @internal
   */
  async removeBulk(type: string, modelId: string, removals: BulkRemoval[], limit: Limiter): Promise<BulkRemovalResult[]> {
    const modelDir = safeJoin(this.dataRoot, type, modelId);
    const trash: Array<{ dir: string; owner: BulkRemovalResult }> = [];
    const ops: JournalOp[] = [];
    const moveAside = async (owner: BulkRemovalResult, dir: string, trashName: string): Promise<boolean> => {
      const target = join(dirname(dir), `.${trashName}.deleting-${randomUUID().slice(0, 8)}`);
      try {
        await limit(() => rename(dir, target));
      } catch (err) {
        if (isErrno(err, "ENOENT")) return false;
        throw err;
      }
      trash.push({ dir: target, owner });
      return true;
    };
    const results = await Promise.all(
      removals.map(async ({ name, versions }): Promise<BulkRemovalResult> => {
        const nameDir = safeJoin(modelDir, name);
        const result: BulkRemovalResult = { name, removed: [] };
        try {
          if (versions === undefined) {
            await moveAside(result, nameDir, name);
            ops.push({ op: "drop", name });
            return result;
          }
          const gone: number[] = [];
          let failure: unknown;
          await Promise.all(
            versions.map(async (version) => {
              try {
                if (await moveAside(result, join(nameDir, String(version)), String(version))) result.removed.push(version);
                else gone.push(version);
              } catch (err) {
                failure ??= err;
              }
            }),
          );
          result.removed.sort((a, b) => a - b);
          const remaining = this.committedOnDisk(nameDir);
          if (remaining.length === 0 && failure === undefined) {
            await moveAside(result, nameDir, name);
            ops.push({ op: "drop", name });
            return result;
          }
          for (const version of [...result.removed, ...gone]) ops.push({ op: "del", name, version });
          if (failure !== undefined) throw failure;
          const pointer = readLatestPointer(nameDir);
          const max = remaining[0] as number;
          if (pointer === null || pointer !== max) await limit(() => this.writeLatest(nameDir, max));
        } catch (err) {
          result.error = err as Error;
        }
        return result;
      }),
    );
    await this.index.append(type, modelId, ops);
    if (trash.length > 0) this.dropForeignCatalog();
    // A directory that cannot be deleted now is already gone for readers; sweepTrash retries it.
    await Promise.all(
      trash.map(({ dir, owner }) =>
        limit(() => rm(dir, { recursive: true, force: true })).catch((err: Error) => {
          owner.error ??= err;
        }),
      ),
    );
    return results;
  }

  /** Deletes leftovers of interrupted deletions (`.*.deleting-*`) in one model directory. */
  async sweepTrash(modelType: string, modelId: string): Promise<number> {
    const modelDir = this.modelDir(modelType, modelId);
    let swept = 0;
    const sweep = async (dir: string) => {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.startsWith(".") && entry.includes(".deleting-")) {
          await rm(join(dir, entry), { recursive: true, force: true });
          swept++;
        } else if (!entry.startsWith(".") && dir === modelDir) {
          await sweep(join(dir, entry));
        }
      }
    };
    await sweep(modelDir);
    return swept;
  }

  // ---- tombstones ----

  /**
   * Renames a data item: copies the old name's latest version to the new name (fresh id),
   * then writes a tombstone with a forward reference under the old name. If the tombstone
   * cannot be written, the copy is rolled back.
   */
  async rename(modelType: string, modelId: string, oldName: string, newName: string): Promise<RenameResult> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    if (oldName === newName) throw invalid("Old name and new name must be different.");
    const problem = dataNameProblem(newName);
    if (problem !== null) throw invalid(`Invalid new name "${newName}": ${problem}`, { newName });
    const old = await this.resolveLatest(type, modelId, oldName, false);
    if (!old) throw notFound(`Data "${oldName}" not found`, { name: oldName });
    if (old.lifecycle === "deleted") throw conflict(`Data "${oldName}" is already deleted or renamed`, { name: oldName });
    const target = await this.resolveLatest(type, modelId, newName, false);
    if (target && target.lifecycle !== "deleted") throw conflict(`Data "${newName}" already exists`, { name: newName });
    const content = await this.getContent(type, modelId, oldName, old.version);
    if (!content) throw notFound(`Content not found for "${oldName}" version ${old.version}`, { name: oldName, version: old.version });

    await this.markDirty();
    const base: WriteSpec = {
      modelType: type,
      modelId,
      name: newName,
      contentType: old.contentType,
      lifetime: old.lifetime,
      garbageCollection: old.garbageCollection,
      streaming: old.streaming,
      tags: old.tags,
      ownerDefinition: old.ownerDefinition,
    };
    const copied = await this.saveInternal(this.prepare(base), content, {});
    try {
      const tombstone = this.prepare({ ...base, name: oldName, dataId: old.id, contentType: "application/json", streaming: false });
      const renamedAt = this.nowIso();
      await this.saveInternal(tombstone, Buffer.from(JSON.stringify({ renamedTo: newName, renamedAt }), "utf8"), {
        lifecycle: "deleted",
        renamedTo: newName,
        noSizeChecksum: true,
      });
    } catch (err) {
      try {
        await this.removeVersions(type, modelId, newName, [copied.version]);
      } catch (rollbackErr) {
        this.logger?.warn(`Rename rollback failed for "${newName}" version ${copied.version}: ${(rollbackErr as Error).message}`);
      }
      throw err;
    }
    return { oldName, newName, copiedVersion: old.version, newVersion: copied.version };
  }

  /**
   * Writes a deletion marker (after a successful `delete` method): a new version with
   * `lifecycle: deleted`, JSON content = the last attributes + deletedAt + deletedByMethod.
   */
  async writeDeletionMarker(
    modelType: string,
    modelId: string,
    name: string,
    options: { deletedByMethod: string; deletedAt?: string },
  ): Promise<DataHandle> {
    const type = modelTypePath(modelType);
    validateModelId(modelId);
    const last = await this.resolveLatest(type, modelId, name, false);
    if (!last) throw notFound(`Data "${name}" not found`, { name });
    if (last.lifecycle === "deleted") throw conflict(`Data "${name}" is already deleted or renamed`, { name });
    let attributes: Record<string, unknown> = {};
    const raw = await this.getContent(type, modelId, name, last.version);
    if (raw && last.contentType === "application/json") {
      try {
        const parsed = JSON.parse(raw.toString("utf8")) as unknown;
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) attributes = parsed as Record<string, unknown>;
      } catch {
        // not JSON: keep no attributes
      }
    }
    const content = { ...attributes, deletedAt: options.deletedAt ?? this.nowIso(), deletedByMethod: options.deletedByMethod };
    const prepared = this.prepare({
      modelType: type,
      modelId,
      name,
      contentType: "application/json",
      lifetime: last.lifetime,
      garbageCollection: last.garbageCollection,
      streaming: false,
      tags: last.tags,
      ownerDefinition: last.ownerDefinition,
      dataId: last.id,
    });
    const meta = await this.saveInternal(prepared, Buffer.from(JSON.stringify(content), "utf8"), { lifecycle: "deleted" });
    return handleFor(meta, prepared.specName, content);
  }

  /** Size of a version's raw file in bytes (0 when missing). */
  async rawSize(type: string, modelId: string, name: string, version: number): Promise<number> {
    try {
      return (await stat(join(safeJoin(this.dataRoot, type, modelId, name), String(version), RAW_FILE))).size;
    } catch {
      return 0;
    }
  }
}
