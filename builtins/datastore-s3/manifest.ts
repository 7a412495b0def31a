/**
 * The remote index of an S3 datastore, and the pure path functions sync relies on.
 *
 * Remote layout under `<prefix>`:
 *
 *   <rel path>                         data objects: the cache-relative path is the key
 *   .swamp-index/root.json             root: { gen, shardCount, shards: { "<id>": seq } }
 *   .swamp-index/shards/<id>.json      shard: { seq, gen, entries: { "<rel>": entry } }
 *   .datastore.lock, .locks/…          locks (never part of the index)
 *
 * A path belongs to one of 256 shards by the hash of its *group*: for data files the model
 * directory (`data/<type…>/<id>`), elsewhere the file's directory. A method run therefore
 * touches one shard for its data, and a per-model (scoped) pull reads exactly one shard.
 *
 * Every shard and the root are written with conditional PUTs (If-Match on the ETag read, or
 * If-None-Match: * when new), so concurrent pushers never clobber each other: a 412 means
 * "re-read, merge, retry". Shard `seq` grows by one per write; the root records, per shard, the
 * highest seq announced and merges by max, so announcements never go backwards. A random `gen`
 * in every write keeps ETags unique. Deletes are tombstones ({ d: 1 }): nobody ever deletes a
 * remote object because a local cache lacks it.
 */
export const INDEX_DIR = ".swamp-index";
export const ROOT_KEY = `${INDEX_DIR}/root.json`;
export const SHARD_COUNT = 256;
export const INDEX_FORMAT = "swamp-s3-index";
export const INDEX_VERSION = 1;

export function shardKey(id: string): string {
  return `${INDEX_DIR}/shards/${id}.json`;
}

/** One path in a shard: live content (`h` sha256 or, for entries healed from a listing, `e` ETag) or a tombstone. */
export interface IndexEntry {
  /** sha256 hex of the content. */
  h?: string;
  /** S3 ETag (entries rebuilt from a bucket listing carry this instead of `h`). */
  e?: string;
  /** Size in bytes. */
  s?: number;
  /** When the entry was written (ms since epoch). */
  t: number;
  /** Tombstone: the path was deleted. */
  d?: 1;
}

export interface ShardDoc {
  format: typeof INDEX_FORMAT;
  v: number;
  shard: string;
  seq: number;
  gen: string;
  entries: Record<string, IndexEntry>;
}

export interface RootDoc {
  format: typeof INDEX_FORMAT;
  v: number;
  gen: string;
  shardCount: number;
  /** shard id → highest seq announced. */
  shards: Record<string, number>;
  updatedAt: string;
}

/** Tombstones older than this are dropped when their shard is rewritten. */
export const TOMBSTONE_RETENTION_MS = 90 * 24 * 3600 * 1000;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function shardOfGroup(group: string): string {
  return (fnv1a(group) % SHARD_COUNT).toString(16).padStart(2, "0");
}

/**
 * The group of a file path: for `data/<type…>/<id>/<name>/<N>/<file>` and
 * `data/<type…>/<id>/<name>/latest` the model directory, else the parent directory.
 */
export function groupOf(rel: string): string {
  const segs = rel.split("/");
  if (segs[0] === "data") {
    const last = segs[segs.length - 1];
    const parent = segs[segs.length - 2] ?? "";
    if (segs.length >= 6 && /^[0-9]+$/.test(parent)) return segs.slice(0, -3).join("/");
    if (segs.length >= 5 && last === "latest") return segs.slice(0, -2).join("/");
  }
  return segs.slice(0, -1).join("/");
}

export function shardOf(rel: string): string {
  return shardOfGroup(groupOf(rel));
}

/** The model directory (`data/<type…>/<id>`) a data file belongs to, or null. */
export function modelDirOf(rel: string): string | null {
  const segs = rel.split("/");
  if (segs[0] !== "data") return null;
  if (segs.length >= 6 && /^[0-9]+$/.test(segs[segs.length - 2] ?? "")) return segs.slice(0, -3).join("/");
  if (segs.length >= 5 && segs[segs.length - 1] === "latest") return segs.slice(0, -2).join("/");
  return null;
}

/** A committed-version file (`…/<name>/<N>/<file>` under data/): immutable once written. */
export function isVersionFile(rel: string): boolean {
  const segs = rel.split("/");
  return segs[0] === "data" && segs.length >= 6 && /^[0-9]+$/.test(segs[segs.length - 2] ?? "");
}

/**
 * Whether a cache-relative path takes part in sync: it must lie in one of the datastore
 * directories and no segment may be hidden. Hidden names are the local machinery: lock files,
 * the sync state, the data layer's index journals (`.index.jsonl`, `.models.jsonl`,
 * `.index-cache/`), atomic-write temp files, trash of interrupted deletes.
 */
export function isSyncable(rel: string, directories: ReadonlySet<string>): boolean {
  if (rel === "" || rel.includes("\\") || rel.includes("\0")) return false;
  const segs = rel.split("/");
  if (!directories.has(segs[0] ?? "")) return false;
  if (segs.length < 2) return false;
  for (const s of segs) {
    if (s === "" || s === "." || s === ".." || s.startsWith(".")) return false;
  }
  return true;
}

export function emptyShard(id: string): ShardDoc {
  return { format: INDEX_FORMAT, v: INDEX_VERSION, shard: id, seq: 0, gen: "", entries: {} };
}

export function emptyRoot(): RootDoc {
  return { format: INDEX_FORMAT, v: INDEX_VERSION, gen: "", shardCount: SHARD_COUNT, shards: {}, updatedAt: new Date(0).toISOString() };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a shard body; throws on anything that is not a shard of a version we understand. */
export function parseShard(text: string, id: string): ShardDoc {
  const v = JSON.parse(text) as unknown;
  if (!isObject(v) || v.format !== INDEX_FORMAT || typeof v.seq !== "number" || !isObject(v.entries)) {
    throw new Error(`index shard ${id} is not a ${INDEX_FORMAT} document`);
  }
  if (typeof v.v !== "number" || v.v > INDEX_VERSION) throw new Error(`index shard ${id} has version ${String(v.v)}; this swamp understands ${INDEX_VERSION}: upgrade swamp`);
  const entries: Record<string, IndexEntry> = {};
  for (const [path, raw] of Object.entries(v.entries)) {
    if (!isObject(raw) || typeof raw.t !== "number") continue;
    const entry: IndexEntry = { t: raw.t };
    if (typeof raw.h === "string") entry.h = raw.h;
    if (typeof raw.e === "string") entry.e = raw.e;
    if (typeof raw.s === "number") entry.s = raw.s;
    if (raw.d === 1) entry.d = 1;
    entries[path] = entry;
  }
  return { format: INDEX_FORMAT, v: INDEX_VERSION, shard: id, seq: v.seq, gen: typeof v.gen === "string" ? v.gen : "", entries };
}

export function parseRoot(text: string): RootDoc {
  const v = JSON.parse(text) as unknown;
  if (!isObject(v) || v.format !== INDEX_FORMAT || !isObject(v.shards)) throw new Error(`the index root is not a ${INDEX_FORMAT} document`);
  if (typeof v.v !== "number" || v.v > INDEX_VERSION) throw new Error(`the index root has version ${String(v.v)}; this swamp understands ${INDEX_VERSION}: upgrade swamp`);
  if (v.shardCount !== SHARD_COUNT) throw new Error(`the index root uses ${String(v.shardCount)} shards; this swamp uses ${SHARD_COUNT}`);
  const shards: Record<string, number> = {};
  for (const [id, seq] of Object.entries(v.shards)) if (typeof seq === "number" && /^[0-9a-f]{2}$/.test(id)) shards[id] = seq;
  return {
    format: INDEX_FORMAT,
    v: INDEX_VERSION,
    gen: typeof v.gen === "string" ? v.gen : "",
    shardCount: SHARD_COUNT,
    shards,
    updatedAt: typeof v.updatedAt === "string" ? v.updatedAt : "",
  };
}

/** Merges `extra` announcements into `root` (max per shard). Returns true when anything rose. */
export function announce(root: RootDoc, extra: Record<string, number>): boolean {
  let changed = false;
  for (const [id, seq] of Object.entries(extra)) {
    if ((root.shards[id] ?? 0) < seq) {
      root.shards[id] = seq;
      changed = true;
    }
  }
  return changed;
}
