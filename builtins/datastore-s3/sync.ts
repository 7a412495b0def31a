/**
 * S3SyncService: moves files between the local cache and the bucket (see manifest.ts for the
 * remote index, local-state.ts for what the cache remembers).
 *
 * Costs. A pull that finds nothing new is one conditional GET of the root (304). A push with
 * nothing dirty makes no request. A change costs requests proportional to what changed: the
 * objects themselves, one conditional PUT per touched shard, one for the root — a one-file
 * write is three requests when nobody else wrote meanwhile, independent of bucket size.
 *
 * Rules that keep data safe:
 *  - "Present" is recorded per path when this cache downloads or uploads it. A push deletes
 *    (tombstones) only paths it recorded as present that are now gone, and only under paths
 *    marked dirty (a bulk mark uploads, it never deletes). A pull never re-downloads a file this
 *    cache deleted itself, and never overwrites a file with a pending local change.
 *  - Every index write is a compare-and-swap; a 412 re-reads and merges. Versions under data/
 *    are created with If-None-Match: *, so a version written elsewhere is never overwritten.
 *  - Fast-path fingerprints come from the very response whose content was applied.
 *  - Downloads go to a hidden temp file (fsynced) renamed into place, and are hashed (sha256).
 *  - An index entry whose object is gone (404) is skipped and reported, not fatal. A missing
 *    index is rebuilt from a complete bucket listing; a failed listing fails the pull.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SwampError } from "../../kernel/contract/errors.js";
import { retry, TryAgain } from "../../kernel/contract/retry.js";
import type { DatastoreSyncOptions, DatastoreSyncService, SyncCapabilities, SyncContext } from "../../kernel/contract/ports/datastore.js";
import { normalizeModelType } from "../../kernel/data/names.js";
import { DEFAULT_DATASTORE_SUBDIRS } from "../../kernel/runtime/paths.js";
import { settleLimited } from "../../kernel/runtime/pool.js";
import { PreconditionFailedError, type S3Transport } from "./client.js";
import {
  announce,
  emptyRoot,
  emptyShard,
  INDEX_DIR,
  INDEX_FORMAT,
  INDEX_VERSION,
  groupOf,
  isSyncable,
  isVersionFile,
  parseRoot,
  parseShard,
  ROOT_KEY,
  shardKey,
  shardOf,
  shardOfGroup,
  TOMBSTONE_RETENTION_MS,
  type IndexEntry,
  type RootDoc,
  type ShardDoc,
} from "./manifest.js";
import {
  DirtyLog,
  fileStat,
  type FileStat,
  localEntry,
  md5File,
  recordStillValid,
  sha256File,
  StateStore,
  withCacheMutex,
  type Replica,
  type SyncState,
} from "./local-state.js";

/** More dirty paths than this: one walk of the whole cache is cheaper than many small ones. */
export const FULL_WALK_THRESHOLD = 1000;
/** Files uploaded and committed to the index per batch (progress survives an interruption). */
const COMMIT_BATCH = 500;
/** Files up to this size are read into memory (hash and upload the same bytes). */
const IN_MEMORY_LIMIT = 16 * 1024 * 1024;
/**
 * A compare-and-swap that lost re-reads and merges, then tries again: at once after the first
 * conflict, then after a fully jittered wait growing from 40 ms to 1 s.
 */
const CAS_RETRY = { attempts: 25, baseMs: 40, maxMs: 1000, jitter: "full" } as const;
const SHARD_FETCH_CONCURRENCY = 16;

export interface SyncReport {
  /** Paths downloaded (pull) or uploaded (push). */
  changed: string[];
  /** Paths deleted locally (pull) or tombstoned remotely (push). */
  deleted: string[];
  /** Paths kept local because they conflict with the remote (reported, never overwritten). */
  conflicts: string[];
  /** Index entries whose object was missing. */
  dangling: string[];
  warnings: string[];
}

function newReport(): SyncReport {
  return { changed: [], deleted: [], conflicts: [], dangling: [], warnings: [] };
}

type Change =
  | { kind: "put"; rel: string; id: string; hash: string; size: number; create: boolean; st?: FileStat | null }
  | { kind: "del"; rel: string; id: string; expect: string };

interface CasResult {
  doc: ShardDoc;
  etag: string;
  merged: boolean;
}

function gen(): string {
  return randomBytes(8).toString("hex");
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function abortReason(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  return err;
}

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}


function summarize(verb: string, errors: unknown[]): Error {
  const abort = errors.find((e) => (e as { name?: string })?.name === "AbortError" || (e as { code?: string })?.code === "sync_timeout");
  if (abort) return abort as Error;
  const shown = errors.slice(0, 3).map((e) => (e instanceof Error ? e.message : String(e)));
  return new SwampError("sync_failed", `Failed to ${verb} ${errors.length} file(s): ${shown.join("; ")}${errors.length > 3 ? "; …" : ""}`, {
    cause: errors[0],
  });
}

/** The directory of a path (the version directory for version files). */
function groupDirOf(rel: string): string {
  return dirname(rel);
}

function entryId(e: IndexEntry): string {
  return e.h ?? `etag:${e.e ?? ""}`;
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

export class S3SyncService implements DatastoreSyncService {
  readonly store: StateStore;
  private readonly dirty: DirtyLog;
  private readonly directories: ReadonlySet<string>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly session = new Set<string>();
  private sessionBulk = false;
  private report: SyncReport = newReport();
  /** The running pull's or push's progress callback (one runs at a time). */
  private onProgress: DatastoreSyncOptions["onProgress"];

  constructor(
    private readonly transport: S3Transport,
    readonly cachePath: string,
    directories: readonly string[] = DEFAULT_DATASTORE_SUBDIRS,
  ) {
    this.directories = new Set(directories);
    this.store = new StateStore(cachePath, `${transport.config.endpoint ?? "aws"}|${transport.config.bucket}|${transport.config.prefix}`);
    this.dirty = new DirtyLog(this.store.dir);
  }

  capabilities(): SyncCapabilities {
    return { scopedSync: true };
  }

  /** What the last pull or push did (paths changed, deleted, conflicts, dangling entries). */
  lastReport(): SyncReport {
    return this.report;
  }

  private abs(rel: string): string {
    return join(this.cachePath, ...rel.split("/"));
  }

  private key(rel: string): string {
    return this.transport.key(rel);
  }

  /** One operation at a time in this process, and one per cache across processes. */
  private exclusive<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => withCacheMutex(this.store.dir, signal, fn));
    this.queue = run.catch(() => {});
    return run;
  }

  async markDirty(options: DatastoreSyncOptions = {}): Promise<void> {
    const raw = options.relPath;
    const rel = raw === undefined ? "" : raw.replace(/\\/g, "/").replace(/^\/+|\/+$/g, "").replace(/\/{2,}/g, "/");
    if (rel === "" || rel.split("/").some((s) => s === ".." || s === ".")) {
      if (this.sessionBulk) return;
      this.sessionBulk = true;
      await this.dirty.append({ b: 1 });
      return;
    }
    if (this.session.has(rel)) return;
    this.session.add(rel);
    await this.dirty.append({ p: rel });
  }

  /** True when a push has something to examine: marks in the dirty log or in this process. */
  async hasPendingChanges(): Promise<boolean> {
    if (this.session.size > 0 || this.sessionBulk) return true;
    const marks = await this.dirty.peek();
    return marks.bulk || marks.paths.size > 0;
  }

  /** Runs `op` with the caller's progress callback in place. */
  private async reporting<T>(options: DatastoreSyncOptions, op: () => Promise<T>): Promise<T> {
    this.onProgress = options.onProgress;
    try {
      return await op();
    } finally {
      this.onProgress = undefined;
    }
  }

  // ------------------------------------------------------------------ pull

  async pullChanged(options: DatastoreSyncOptions = {}): Promise<number> {
    return this.exclusive(options.signal, () => this.reporting(options, () => this.pull(options.signal, options.context)));
  }

  private shardsForModels(context: SyncContext | undefined): string[] | null {
    const models = context?.models;
    if (!models || models.length === 0) return null;
    return [...new Set(models.map((m) => shardOfGroup(`data/${normalizeModelType(m.modelType)}/${m.modelId}`)))];
  }

  private async pull(signal: AbortSignal | undefined, context: SyncContext | undefined): Promise<number> {
    this.report = newReport();
    const state = await this.store.readState();
    const pending = await this.dirty.peek();
    for (const p of this.session) pending.paths.add(p);
    const scoped = this.shardsForModels(context);
    return retry(
      async () => {
        check(signal);
        const known = state.appliedRootEtag ?? state.rootEtag;
        const got = await this.transport.get(this.key(ROOT_KEY), { signal, ...(known ? { ifNoneMatch: known } : {}) });
        if (got === "not-modified") {
          if (known === state.appliedRootEtag) return 0;
          if (!state.root) return 0;
          return this.applyRoot(state, state.root, state.rootEtag, scoped, pending.paths, signal, new Map());
        }
        if (got === null) {
          // A missing root is rebuilt from the shards; another writer rebuilding it meanwhile means read again.
          const healed = await this.heal(signal);
          if (healed === "retry") throw new TryAgain(undefined, { delayMs: 0 });
          return this.applyRoot(state, healed.root, healed.etag, scoped, pending.paths, signal, healed.docs);
        }
        return this.applyRoot(state, parseRoot(got.body.toString("utf8")), got.etag, scoped, pending.paths, signal, new Map());
      },
      { attempts: 3, baseMs: 0, giveUp: () => new SwampError("sync_failed", "The remote index kept changing while it was being rebuilt; retry the sync") },
    );
  }

  private async applyRoot(
    state: SyncState,
    root: RootDoc,
    rootEtag: string | null,
    scoped: string[] | null,
    pending: Set<string>,
    signal: AbortSignal | undefined,
    prefetched: Map<string, { doc: ShardDoc; etag: string | null }>,
  ): Promise<number> {
    const wanted = scoped ?? [...new Set([...Object.keys(root.shards), ...Object.keys(state.shards)])];
    const toFetch: string[] = [];
    const toApply: string[] = [];
    for (const id of wanted) {
      const sum = state.shards[id] ?? { seq: 0, applied: 0 };
      const announced = root.shards[id] ?? 0;
      if (announced > sum.seq || prefetched.has(id)) toFetch.push(id);
      else if (sum.applied < sum.seq) toApply.push(id);
    }
    const replicas = new Map<string, Replica>();
    const unusable = new Set<string>();
    const fetchErrors = await settleLimited(toFetch, { limit: SHARD_FETCH_CONCURRENCY, signal }, async (id) => {
      const rep = await this.store.readReplica(id);
      const pre = prefetched.get(id);
      if (pre) {
        rep.entries = pre.doc.entries;
        rep.seq = pre.doc.seq;
        rep.etag = pre.etag;
      } else {
        const got = await this.transport.get(this.key(shardKey(id)), { signal, ...(rep.etag ? { ifNoneMatch: rep.etag } : {}) });
        if (got === null) {
          this.report.warnings.push(`index shard ${id} is announced but missing; skipped`);
          unusable.add(id);
        } else if (got !== "not-modified") {
          const doc = parseShard(got.body.toString("utf8"), id);
          rep.entries = doc.entries;
          rep.seq = doc.seq;
          rep.etag = got.etag;
        }
      }
      replicas.set(id, rep);
    });
    if (fetchErrors.length > 0) throw summarize("read the index for", fetchErrors);
    for (const id of toApply) replicas.set(id, await this.store.readReplica(id));

    // Plan: what to download, what to delete locally.
    const downloads: Array<{ rel: string; entry: IndexEntry; rep: Replica }> = [];
    const deletions: Array<{ rel: string; rep: Replica }> = [];
    const isPending = (rel: string): boolean => {
      for (const p of pending) if (rel === p || rel.startsWith(`${p}/`)) return true;
      return false;
    };
    for (const [id, rep] of replicas) {
      if (unusable.has(id)) continue;
      for (const [rel, entry] of Object.entries(rep.entries)) {
        if (!isSyncable(rel, this.directories)) continue;
        check(signal);
        await this.plan(rel, entry, rep, isPending, downloads, deletions);
      }
      // Tracked paths the remote no longer lists (expired tombstones) are deletions too.
      for (const rel of Object.keys(rep.local)) {
        if (rep.entries[rel] === undefined) await this.plan(rel, { t: 0, d: 1 }, rep, isPending, downloads, deletions);
      }
    }

    const failures: unknown[] = [];
    const onProgress = this.onProgress;
    let downloaded = 0;
    if (downloads.length > 0) onProgress?.(0, downloads.length);
    failures.push(
      ...(await settleLimited(downloads, { limit: this.transport.config.pullConcurrency, signal }, async ({ rel, entry, rep }) => {
        await this.download(rel, entry, rep, signal);
        onProgress?.(++downloaded, downloads.length);
      })),
    );
    const touchedDirs = new Set<string>();
    for (const { rel, rep } of deletions) {
      try {
        await unlink(this.abs(rel));
      } catch (err) {
        if (!isErrno(err, "ENOENT")) {
          failures.push(err);
          continue;
        }
      }
      delete rep.local[rel];
      this.report.deleted.push(rel);
      touchedDirs.add(dirname(rel));
    }
    await this.pruneEmptyDirs(touchedDirs);

    // Record progress even when some transfers failed; a shard counts as applied only when
    // all of it went through.
    const failedShards = new Set<string>();
    if (failures.length > 0) {
      for (const { rel } of downloads) if (!this.report.changed.includes(rel) && !this.report.dangling.includes(rel)) failedShards.add(shardOf(rel));
    }
    for (const [id, rep] of replicas) {
      if (!unusable.has(id) && !failedShards.has(id)) rep.applied = rep.seq;
      await this.store.writeReplica(id, rep);
      state.shards[id] = { seq: rep.seq, applied: rep.applied };
    }
    state.root = root;
    state.rootEtag = rootEtag;
    const fully = rootEtag !== null && Object.entries(root.shards).every(([id, seq]) => (state.shards[id]?.applied ?? 0) >= seq);
    state.appliedRootEtag = fully ? rootEtag : null;
    await this.store.writeState(state);
    if (failures.length > 0) throw summarize("pull", failures);
    return this.report.changed.length + this.report.deleted.length;
  }

  private async plan(
    rel: string,
    entry: IndexEntry,
    rep: Replica,
    isPending: (rel: string) => boolean,
    downloads: Array<{ rel: string; entry: IndexEntry; rep: Replica }>,
    deletions: Array<{ rel: string; rep: Replica }>,
  ): Promise<void> {
    const abs = this.abs(rel);
    const local = rep.local[rel];
    const st = await fileStat(abs);
    if (entry.d) {
      if (!local) return;
      if (!st) {
        delete rep.local[rel];
        return;
      }
      const hash = recordStillValid(local, st) ? local.h : await sha256File(abs);
      if (hash === local.h && !isPending(rel)) deletions.push({ rel, rep });
      else {
        this.report.conflicts.push(rel);
        this.report.warnings.push(`${rel}: deleted remotely but changed here; kept the local file`);
      }
      return;
    }
    if (rep.missing[rel] === entryId(entry)) return;
    if (st) {
      const hash = recordStillValid(local, st) ? (local as { h: string }).h : await sha256File(abs);
      if (entry.h ? hash === entry.h : await this.matchesEtag(abs, entry, st.size)) {
        rep.local[rel] = localEntry(hash, st);
        return;
      }
      if (isPending(rel) || (local !== undefined && hash !== local.h)) {
        // A local change not pushed yet: never overwrite it.
        this.report.conflicts.push(rel);
        this.report.warnings.push(`${rel}: changed both here and remotely; kept the local file (it goes with the next push)`);
        return;
      }
    } else if (local && local.h === entryId(entry)) {
      // This cache deleted the file itself (the delete goes with the next push): do not bring it back.
      return;
    }
    downloads.push({ rel, entry, rep });
  }

  private async matchesEtag(abs: string, entry: IndexEntry, size: number): Promise<boolean> {
    if (!entry.e) return false;
    const etag = unquote(entry.e);
    if (etag.includes("-")) return entry.s === size;
    return (await md5File(abs)) === etag;
  }

  private async download(rel: string, entry: IndexEntry, rep: Replica, signal: AbortSignal | undefined): Promise<void> {
    const abs = this.abs(rel);
    await mkdir(dirname(abs), { recursive: true });
    const temp = join(dirname(abs), `.${basename(abs)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      const got = await this.transport.download(this.key(rel), temp, { signal });
      if (got === null) {
        await unlink(temp).catch(() => {});
        rep.missing[rel] = entryId(entry);
        this.report.dangling.push(rel);
        this.report.warnings.push(`${rel}: listed in the index but missing from the bucket; skipped`);
        return;
      }
      if (entry.h && got.sha256 !== entry.h) {
        this.report.warnings.push(`${rel}: content changed since the index was written; took the newer content`);
      }
      await rename(temp, abs);
      rep.local[rel] = localEntry(got.sha256, await fileStat(abs));
      delete rep.missing[rel];
      this.report.changed.push(rel);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
  }

  /** Removes directories emptied by deletions, up to (not including) the datastore directory. */
  private async pruneEmptyDirs(dirs: Set<string>): Promise<void> {
    const sorted = [...dirs].sort((a, b) => b.length - a.length);
    for (let dir of sorted) {
      while (dir.includes("/")) {
        try {
          await rmdir(this.abs(dir));
        } catch {
          break;
        }
        dir = dirname(dir);
      }
    }
  }

  /**
   * The root object is missing. Rebuilds it from one complete listing of the prefix: from the
   * shard objects when they exist, else from the data objects themselves. A failed listing
   * throws (a transient error must never look like an empty bucket).
   */
  private async heal(signal: AbortSignal | undefined): Promise<"retry" | { root: RootDoc; etag: string | null; docs: Map<string, { doc: ShardDoc; etag: string | null }> }> {
    const listed = await this.transport.list(this.key(""), { signal });
    const prefixLen = this.transport.config.prefix.length;
    const shardPrefix = `${INDEX_DIR}/shards/`;
    const root = emptyRoot();
    const docs = new Map<string, { doc: ShardDoc; etag: string | null }>();
    const shardObjects = listed.filter((o) => o.key.slice(prefixLen).startsWith(shardPrefix));
    if (shardObjects.length > 0) {
      const errors = await settleLimited(shardObjects, { limit: SHARD_FETCH_CONCURRENCY, signal }, async (o) => {
        const id = o.key.slice(prefixLen + shardPrefix.length).replace(/\.json$/, "");
        if (!/^[0-9a-f]{2}$/.test(id)) return;
        const got = await this.transport.get(o.key, { signal });
        if (got === null || got === "not-modified") return;
        const doc = parseShard(got.body.toString("utf8"), id);
        root.shards[id] = doc.seq;
        docs.set(id, { doc, etag: got.etag });
      });
      if (errors.length > 0) throw summarize("rebuild the index from", errors);
    } else {
      for (const o of listed) {
        const rel = o.key.slice(prefixLen);
        if (!isSyncable(rel, this.directories)) continue;
        const id = shardOf(rel);
        let entry = docs.get(id);
        if (!entry) {
          entry = { doc: { ...emptyShard(id), seq: 1, gen: gen() }, etag: null };
          docs.set(id, entry);
        }
        entry.doc.entries[rel] = { e: o.etag, s: o.size, t: o.lastModified?.getTime() ?? Date.now() };
        root.shards[id] = 1;
      }
      if (docs.size === 0) return { root, etag: null, docs };
      try {
        const errors = await settleLimited([...docs.entries()], { limit: SHARD_FETCH_CONCURRENCY, signal }, async ([id, entry]) => {
          const { etag } = await this.transport.put(this.key(shardKey(id)), Buffer.from(JSON.stringify(entry.doc)), { signal, ifNoneMatch: "*", contentType: "application/json" });
          entry.etag = etag;
        });
        if (errors.some((e) => e instanceof PreconditionFailedError)) return "retry";
        if (errors.length > 0) throw errors[0];
      } catch (err) {
        if (err instanceof PreconditionFailedError) return "retry";
        this.report.warnings.push(`rebuilt the index from a listing but could not store it: ${(err as Error).message}`);
        return { root, etag: null, docs };
      }
    }
    root.gen = gen();
    root.updatedAt = new Date().toISOString();
    try {
      const { etag } = await this.transport.put(this.key(ROOT_KEY), Buffer.from(JSON.stringify(root)), { signal, ifNoneMatch: "*", contentType: "application/json" });
      this.report.warnings.push(`the remote index was missing; rebuilt it from a listing of ${listed.length} object(s)`);
      return { root, etag, docs };
    } catch (err) {
      if (err instanceof PreconditionFailedError) return "retry";
      this.report.warnings.push(`rebuilt the index from a listing but could not store it: ${(err as Error).message}`);
      return { root, etag: null, docs };
    }
  }

  // ------------------------------------------------------------------ push

  async pushChanged(options: DatastoreSyncOptions = {}): Promise<number> {
    return this.exclusive(options.signal, () => this.reporting(options, () => this.push(options.signal)));
  }

  private async *walk(rel: string): AsyncGenerator<string> {
    let st;
    try {
      st = await lstat(this.abs(rel));
    } catch {
      return;
    }
    if (st.isFile()) {
      yield rel;
      return;
    }
    if (!st.isDirectory()) return;
    let entries;
    try {
      entries = await readdir(this.abs(rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) yield* this.walk(child);
      else if (e.isFile()) yield child;
    }
  }

  private async push(signal: AbortSignal | undefined): Promise<number> {
    this.report = newReport();
    const marks = await this.dirty.take();
    const paths = new Set([...marks.paths, ...this.session]);
    const bulk = marks.bulk || this.sessionBulk;
    const sessionTaken = new Set(this.session);
    if (paths.size === 0 && !bulk) {
      await this.dirty.commit();
      return 0;
    }
    const state = await this.store.readState();
    const replicas = new Map<string, Replica>();
    const touched = new Set<string>();
    const rep = async (id: string): Promise<Replica> => {
      let r = replicas.get(id);
      if (!r) {
        r = await this.store.readReplica(id);
        replicas.set(id, r);
      }
      return r;
    };

    // 1. What changed: walk the marked paths (or everything).
    const changes = new Map<string, Change>();
    const conflicts: string[] = [];
    const roots = bulk || paths.size > FULL_WALK_THRESHOLD ? [...this.directories] : [...paths];
    const seen = new Set<string>();
    for (const root of roots) {
      for await (const rel of this.walk(root)) {
        if (seen.has(rel) || !isSyncable(rel, this.directories)) continue;
        seen.add(rel);
        check(signal);
        const id = shardOf(rel);
        const r = await rep(id);
        const st = await fileStat(this.abs(rel));
        if (!st) continue;
        const local = r.local[rel];
        const hash = recordStillValid(local, st) ? (local as { h: string }).h : await sha256File(this.abs(rel));
        if (local && local.h === hash) {
          if (!recordStillValid(local, st)) {
            r.local[rel] = localEntry(hash, st);
            touched.add(id);
          }
          continue;
        }
        const remote = r.entries[rel];
        if (remote && !remote.d && remote.h === hash) {
          r.local[rel] = localEntry(hash, st);
          touched.add(id);
          continue;
        }
        if (remote && !remote.d && remote.h === undefined && (await this.matchesEtag(this.abs(rel), remote, st.size))) {
          r.local[rel] = localEntry(hash, st);
          touched.add(id);
          continue;
        }
        if (isVersionFile(rel) && remote && !remote.d) {
          conflicts.push(rel);
          this.report.warnings.push(`${rel}: this version exists remotely with different content; kept the local copy unpushed`);
          continue;
        }
        changes.set(rel, { kind: "put", rel, id, hash, size: st.size, create: isVersionFile(rel) && !remote });
      }
    }

    // 2. Deletions: only under explicitly marked paths, only of files this cache had.
    for (const p of paths) {
      let exists = true;
      try {
        await lstat(this.abs(p));
      } catch {
        exists = false;
      }
      if (!exists && !p.includes("/")) {
        // A whole datastore directory is gone: a wiped cache, not a deletion.
        let had = false;
        for (const id of await this.store.replicaIds()) {
          if (Object.keys((await rep(id)).local).some((rel) => rel.startsWith(`${p}/`))) {
            had = true;
            break;
          }
        }
        if (had) this.report.warnings.push(`${p}/ is missing from the cache; not treating that as deleting its files remotely`);
        continue;
      }
      const ids = new Set<string>();
      const segs = p.split("/");
      for (let i = 1; i <= segs.length; i++) ids.add(shardOfGroup(segs.slice(0, i).join("/")));
      for (const id of replicas.keys()) ids.add(id);
      // A missing path, or a whole datastore directory, may cover groups with no file left on
      // disk: look through every replica.
      if (!exists || !p.includes("/")) {
        for (const id of Object.keys(state.shards)) ids.add(id);
        for (const id of await this.store.replicaIds()) ids.add(id);
      }
      for (const id of ids) {
        const r = await rep(id);
        for (const [rel, local] of Object.entries(r.local)) {
          if (rel !== p && !rel.startsWith(`${p}/`)) continue;
          if (changes.has(rel) || !isSyncable(rel, this.directories)) continue;
          if (await fileStat(this.abs(rel))) continue;
          const remote = r.entries[rel];
          if (!remote || remote.d) {
            delete r.local[rel];
            touched.add(id);
            continue;
          }
          changes.set(rel, { kind: "del", rel, id, expect: local.h });
        }
      }
    }

    // 3. Upload and commit in batches of whole groups (a model's files commit together), and
    // within a directory the commit-point files (metadata.yaml, latest) after the content.
    const lastInDir = (rel: string) => (rel.endsWith("/metadata.yaml") ? 1 : rel.endsWith("/latest") ? 2 : 0);
    const all = [...changes.values()].sort((x, y) => {
      const gx = groupOf(x.rel);
      const gy = groupOf(y.rel);
      if (gx !== gy) return gx < gy ? -1 : 1;
      const dx = dirname(x.rel);
      const dy = dirname(y.rel);
      if (dx !== dy) return dx < dy ? -1 : 1;
      return lastInDir(x.rel) - lastInDir(y.rel) || (x.rel < y.rel ? -1 : 1);
    });
    const batches: Change[][] = [];
    let current: Change[] = [];
    let currentGroup = "";
    for (const c of all) {
      const g = groupOf(c.rel);
      if (current.length >= COMMIT_BATCH && g !== currentGroup) {
        batches.push(current);
        current = [];
      }
      current.push(c);
      currentGroup = g;
    }
    if (current.length > 0) batches.push(current);
    let committed = 0;
    const onProgress = this.onProgress;
    let sent = 0;
    if (all.length > 0) onProgress?.(0, all.length);
    const failures: unknown[] = [];
    for (const batch of batches) {
      check(signal);
      const ok: Change[] = [];
      // Content first, commit points (metadata.yaml, latest) only once all content is up: a
      // failed upload never leaves a version's metadata behind without its content.
      for (const phase of [0, 1]) {
        let items = batch.filter((c) => (lastInDir(c.rel) > 0 ? 1 : 0) === phase);
        if (phase === 1) {
          // The commit points of a version whose content conflicts stay local too.
          const blocked = items.filter((c) => conflicts.some((x) => x.startsWith(`${dirname(c.rel)}/`)));
          for (const c of blocked) conflicts.push(c.rel);
          items = items.filter((c) => !blocked.includes(c));
        }
        failures.push(
          ...(await settleLimited(items, { limit: this.transport.config.pushConcurrency, signal }, async (c) => {
            if (c.kind === "del" || (await this.upload(c, signal, conflicts))) ok.push(c);
            onProgress?.(++sent, all.length);
          })),
        );
        if (failures.length > 0) break;
      }
      // A batch with a failed upload commits nothing: a version must never become visible
      // with part of its files (the uploaded objects are re-sent by the next push).
      if (failures.length > 0) break;
      const conflicted = new Set(conflicts);
      const committable = ok.filter((c) => !conflicted.has(c.rel) && !conflicts.some((x) => groupDirOf(x) === dirname(c.rel)));
      if (committable.length > 0) {
        await this.commit(committable, state, rep, signal);
        committed += committable.length;
        for (const c of committable) {
          touched.add(c.id);
          if (c.kind === "put") this.report.changed.push(c.rel);
          else this.report.deleted.push(c.rel);
        }
      }
      for (const c of ok) if (!committable.includes(c) && !conflicted.has(c.rel)) conflicts.push(c.rel);
    }
    for (const id of touched) await this.store.writeReplica(id, await rep(id));
    await this.store.writeState(state);

    if (failures.length > 0) throw summarize("push", failures);
    // Objects of committed tombstones: removed last, best effort (orphans are harmless).
    const removed = all.filter((c) => c.kind === "del" && this.report.deleted.includes(c.rel));
    await settleLimited(removed, { limit: this.transport.config.pushConcurrency, signal }, async (c) => {
      await this.transport.delete(this.key(c.rel), { signal }).catch(() => {});
    });
    await this.dirty.commit(conflicts);
    for (const p of sessionTaken) this.session.delete(p);
    if (marks.bulk || this.sessionBulk) this.sessionBulk = false;
    this.report.conflicts.push(...conflicts);
    if (conflicts.length > 0) {
      throw new SwampError(
        "sync_conflict",
        `${conflicts.length} file(s) were not pushed because the bucket holds different content at the same path: ${conflicts.slice(0, 3).join(", ")}${conflicts.length > 3 ? ", …" : ""}. The local copies are kept.`,
        { details: { conflicts } },
      );
    }
    return committed;
  }

  /** Uploads one file; false when it vanished meanwhile or conflicts with the remote. */
  private async upload(c: Extract<Change, { kind: "put" }>, signal: AbortSignal | undefined, conflicts: string[]): Promise<boolean> {
    const abs = this.abs(c.rel);
    let body: Buffer | { file: string; size: number };
    // The stat recorded with the hash is taken before the content is read: a change after
    // this point shows up as a different signature and is re-hashed by the next push.
    c.st = await fileStat(abs);
    if (!c.st) return false;
    if (c.size <= IN_MEMORY_LIMIT) {
      try {
        body = await readFile(abs);
      } catch (err) {
        if (isErrno(err, "ENOENT")) return false;
        throw err;
      }
      const { createHash } = await import("node:crypto");
      c.hash = createHash("sha256").update(body).digest("hex");
      c.size = body.length;
    } else {
      body = { file: abs, size: c.size };
    }
    try {
      await this.transport.put(this.key(c.rel), body, { signal, metadata: { sha256: c.hash }, ...(c.create ? { ifNoneMatch: "*" as const } : {}) });
      return true;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      const head = await this.transport.head(this.key(c.rel), { signal });
      if (head?.metadata.sha256 === c.hash) return true;
      conflicts.push(c.rel);
      this.report.warnings.push(`${c.rel}: this version exists remotely with different content; kept the local copy unpushed`);
      return false;
    }
  }

  /** Commits changes to their shards (compare-and-swap, merge on conflict), then the root. */
  private async commit(changes: Change[], state: SyncState, rep: (id: string) => Promise<Replica>, signal: AbortSignal | undefined): Promise<void> {
    const byShard = new Map<string, Change[]>();
    for (const c of changes) {
      const list = byShard.get(c.id) ?? [];
      list.push(c);
      byShard.set(c.id, list);
    }
    const results = new Map<string, CasResult>();
    const errors = await settleLimited([...byShard.keys()], { limit: 8, signal }, async (id) => {
      results.set(id, await this.casShard(id, byShard.get(id) ?? [], await rep(id), signal));
    });
    if (errors.length > 0) throw summarize("update the index for", errors);

    const announcements: Record<string, number> = {};
    for (const [id, r] of results) announcements[id] = r.doc.seq;
    const rootBefore = state.rootEtag;
    const wasApplied = state.appliedRootEtag !== null && state.appliedRootEtag === rootBefore;
    const root = await this.casRoot(state, announcements, signal);

    let merged = false;
    const now = Date.now();
    for (const [id, r] of results) {
      const replica = await rep(id);
      const appliedBefore = replica.applied === replica.seq;
      replica.entries = r.doc.entries;
      replica.seq = r.doc.seq;
      replica.etag = r.etag;
      for (const c of byShard.get(id) ?? []) {
        if (c.kind === "put") {
          replica.local[c.rel] = c.st ? localEntry(c.hash, c.st) : { h: c.hash, at: now };
        } else {
          delete replica.local[c.rel];
        }
      }
      if (appliedBefore && !r.merged) replica.applied = replica.seq;
      else merged = true;
      await this.store.writeReplica(id, replica);
      state.shards[id] = { seq: replica.seq, applied: replica.applied };
    }
    state.root = root.doc;
    state.rootEtag = root.etag;
    state.appliedRootEtag = wasApplied && root.firstTry && !merged ? root.etag : null;
    await this.store.writeState(state);
  }

  private applyChanges(doc: ShardDoc, changes: Change[], now: number): ShardDoc {
    const entries: Record<string, IndexEntry> = {};
    for (const [rel, e] of Object.entries(doc.entries)) {
      if (e.d && now - e.t > TOMBSTONE_RETENTION_MS) continue;
      entries[rel] = e;
    }
    for (const c of changes) {
      if (c.kind === "put") {
        entries[c.rel] = { h: c.hash, s: c.size, t: now };
      } else {
        const current = entries[c.rel];
        // Someone replaced the content since we had it: their newer content wins.
        if (current && !current.d && current.h !== undefined && current.h !== c.expect) continue;
        entries[c.rel] = { d: 1, t: now };
      }
    }
    return { format: INDEX_FORMAT, v: INDEX_VERSION, shard: doc.shard, seq: doc.seq + 1, gen: gen(), entries };
  }

  private async casShard(id: string, changes: Change[], replica: Replica, signal: AbortSignal | undefined): Promise<CasResult> {
    let base: ShardDoc = { ...emptyShard(id), seq: replica.seq, entries: replica.entries };
    let etag = replica.etag;
    let merged = false;
    return retry(
      async (attempt) => {
        check(signal);
        const next = this.applyChanges(base, changes, Date.now());
        try {
          const put = await this.transport.put(this.key(shardKey(id)), Buffer.from(JSON.stringify(next)), {
            signal,
            contentType: "application/json",
            ...(etag ? { ifMatch: etag } : { ifNoneMatch: "*" as const }),
          });
          return { doc: next, etag: put.etag, merged };
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
        merged = true;
        const got = await this.transport.get(this.key(shardKey(id)), { signal });
        if (got === null || got === "not-modified") {
          base = { ...emptyShard(id), seq: base.seq };
          etag = null;
        } else {
          base = parseShard(got.body.toString("utf8"), id);
          etag = got.etag;
        }
        throw new TryAgain(undefined, attempt === 0 ? { delayMs: 0 } : {});
      },
      { ...CAS_RETRY, giveUp: () => new SwampError("sync_failed", `Index shard ${id} kept changing under concurrent writers; retry the push`) },
    );
  }

  private async casRoot(state: SyncState, announcements: Record<string, number>, signal: AbortSignal | undefined): Promise<{ doc: RootDoc; etag: string; firstTry: boolean }> {
    let base: RootDoc = state.root ? { ...state.root, shards: { ...state.root.shards } } : emptyRoot();
    let etag = state.rootEtag;
    let firstTry = true;
    return retry(
      async (attempt) => {
        check(signal);
        const next: RootDoc = { ...base, shards: { ...base.shards } };
        const rose = announce(next, announcements);
        if (!rose && etag !== null) return { doc: base, etag, firstTry: false };
        next.gen = gen();
        next.updatedAt = new Date().toISOString();
        try {
          const put = await this.transport.put(this.key(ROOT_KEY), Buffer.from(JSON.stringify(next)), {
            signal,
            contentType: "application/json",
            ...(etag ? { ifMatch: etag } : { ifNoneMatch: "*" as const }),
          });
          return { doc: next, etag: put.etag, firstTry };
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
        firstTry = false;
        const got = await this.transport.get(this.key(ROOT_KEY), { signal });
        if (got === null || got === "not-modified") {
          // The root vanished: rebuild it from the shards before announcing ours.
          const healed = await this.heal(signal);
          if (healed !== "retry" && healed.etag !== null) {
            base = healed.root;
            etag = healed.etag;
          } else {
            base = healed === "retry" ? emptyRoot() : healed.root;
            etag = null;
          }
        } else {
          base = parseRoot(got.body.toString("utf8"));
          etag = got.etag;
        }
        throw new TryAgain(undefined, attempt === 0 ? { delayMs: 0 } : {});
      },
      { ...CAS_RETRY, giveUp: () => new SwampError("sync_failed", "The index root kept changing under concurrent writers; retry the push") },
    );
  }
}
