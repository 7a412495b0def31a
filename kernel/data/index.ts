/**
 * The query index: a derived, rebuildable view of the metadata under the data root. The
 * files (`<name>/<N>/metadata.yaml`, `<name>/latest`) stay the source of truth; deleting
 * every file this module writes loses nothing.
 *
 * Layout (all names start with "." so they never collide with data names, which may not):
 *
 *   <dataRoot>/.models.jsonl              registry: one `{"type","id"}` line per model
 *   <dataRoot>/<type>/<id>/.index.jsonl   journal of one model, append-only
 *   <dataRoot>/.index-cache/<00..0f>      global query cache, 16 shards by model
 *
 * Journal. After each commit (metadata.yaml written) the writer appends exactly one line with
 * a single O_APPEND write, so concurrent appenders never interleave on a local filesystem:
 *   {"op":"init","gen":"<random>"}          first line; `gen` changes on every rewrite
 *   {"op":"pending","name":"n","version":3} written just before version 3's metadata.yaml
 *   {"op":"put", ...metadata}               a committed version (every metadata field)
 *   {"op":"del","name":"n","version":3}     a version was removed
 *   {"op":"drop","name":"n"}                the whole name was removed
 * A `pending` line with no `put` after it means the writer stopped between its commit point and
 * its `put` (or never reached the commit point): readers look for that version's
 * metadata.yaml, fold it in when it exists and append the missing `put`, so the index never
 * lags a committed version.
 * Reading a model = folding its journal (last op per (name, version) wins). A line that does
 * not parse (torn by a crash) is skipped; a record glued behind a torn fragment is recovered.
 *   - Damaged journal: one that is empty, lacks its `init` header or ends in a torn line may be
 *     missing records, so it is never trusted: the first reader or writer rebuilds it from the
 *     model directory (see `repair`).
 * A reader only consumes complete lines and remembers the byte offset, so a later read of the
 * same file (same inode and `gen`) folds just the appended tail.
 *   - Missing journal: rebuilt by walking that model's directory only (every committed
 *     version's metadata.yaml) and created with an exclusive create, so a racing writer's
 *     appends are never overwritten by a rebuild.
 *   - Heal on write: the writer lists the name directory anyway to claim a version; committed
 *     versions the journal does not know (a crash between commit and append) are appended,
 *     versions it knows that are gone get a `del`. That needs only version numbers, which a
 *     writer takes from the model's tip (`.index-tip.json`, tip.ts) and the lines appended
 *     since, so a write costs the same however long the model's history. `data list` takes
 *     each name's latest record from the same tip while the model directory agrees with it.
 *   - Compaction: when dead lines (superseded puts, dels, drops) outnumber live records, the
 *     journal is rewritten atomically with a new `gen`. Rewrites replace the file, so an
 *     append racing with one would be lost: callers hold the per-model lock (delete, rename)
 *     or the global lock (gc) when they trigger it.
 *
 *   - Other programs' writes (swamp itself, a sync tool): readers compare the journal with the
 *     directories they touch and append the `put`/`del`/`drop` lines it lacks (reconcile.ts),
 *     then look once more at those versions and append corrections, so a line of theirs never
 *     hides a newer change by a writer of ours. `data versions` lists the name's directory;
 *     `data list` lists the model directory and follows `latest` pointers that disagree with
 *     the journal; global reads use the mtime stamps kept in the cache (below).
 *
 * Registry. `.models.jsonl` gets a line (before the model's first journal line) whenever a
 * writer finds a model without a journal, i.e. when the model directory is new. Duplicates are
 * harmless. A missing registry is rebuilt once by walking type/id directories: a model-id
 * directory is one with a data-name child holding a numeric version directory that holds a
 * metadata.yaml (numeric data names exist, so the metadata check matters).
 *
 * Global cache (speed only). Each shard holds, for its models, the journal's identity and size
 * it was folded from ({ino, size, mtimeMs, ctimeMs}, byte offset, gen) and the folded records
 * (without checksums), as three lines: header (models + interned shapes of the fields
 * that repeat across versions), the latest record of every name, the older versions. A global
 * read lists the registry, stats every journal, refolds only models whose journal changed
 * (just the tail when possible), and rewrites only the shards that changed. A latest-only
 * query never parses the history line. Per-model reads (list/versions of one model) read only
 * that model's journal and directory and never touch another model's files or the cache.
 * Each shard also keeps, per model, the mtime stamps of the model directory and of every
 * data-name directory as last verified, and `.index-cache/dirs` those of the data root and the
 * type directories: a global read stats them and lists only directories whose stamp moved (a
 * new version, name or model), so it sees other programs' writes without walking the tree.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from "node:fs";
import type { Stats } from "node:fs";
import { appendFile, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { atomicCreateFile, atomicWriteFile } from "../runtime/atomic-write.js";
import { safeJoin } from "../runtime/safe-path.js";
import { isErrno } from "./errors.js";
import type { DataMetadata, OwnerDefinition } from "./metadata.js";
import { modelIdProblem, modelTypePath, parseVersionDir } from "./names.js";
import { corrections, dirMtime, listNameDirs, METADATA_FILE, readCommitted, readLatestPointer, reconcileName, stampOf } from "./reconcile.js";
import type { ReconcileOp } from "./reconcile.js";
import type { GarbageCollectionPolicy } from "./lifetime.js";
import { TIP_FILE, TIP_REWRITE_BYTES, VersionRanges, ModelTip } from "./tip.js";

export const JOURNAL_FILE = ".index.jsonl";
export const REGISTRY_FILE = ".models.jsonl";
export const CACHE_DIR = ".index-cache";
/** Stamps of the data root and the type directories, in the cache directory. */
const DIRS_FILE = "dirs";
export { LATEST_FILE, METADATA_FILE } from "./reconcile.js";
export const RAW_FILE = "raw";
const SHARD_COUNT = 16;
const CACHE_FORMAT = 2;
/** Compaction only pays off past a few lines. */
const COMPACT_MIN_DEAD = 32;

export interface ModelRef {
  /** Normalized model type (directory path). */
  type: string;
  id: string;
}

export type JournalOp =
  | { op: "init"; gen: string }
  | { op: "pending"; name: string; version: number }
  | ({ op: "put" } & DataMetadata)
  | { op: "del"; name: string; version: number }
  | { op: "drop"; name: string };

export interface IndexLogger {
  warn(message: string): void;
}

export function modelKey(type: string, id: string): string {
  return `${type}/${id}`;
}

/** The fold of one journal: name → version → record. */
export class ModelFold {
  readonly names = new Map<string, Map<number, DataMetadata>>();
  /** Versions announced by a `pending` line and not yet seen committed or removed. */
  readonly pending = new Map<string, Set<number>>();
  /** Op lines folded (init and pending lines excluded); live records are the rest's survivors. */
  lines = 0;

  apply(op: JournalOp): void {
    if (op.op === "init") return;
    // `pending` lines are small and not counted: they would double the dead-line count that
    // decides compaction.
    if (op.op !== "pending") this.lines++;
    if (op.op === "pending") {
      if (this.names.get(op.name)?.has(op.version)) return;
      let versions = this.pending.get(op.name);
      if (!versions) {
        versions = new Set();
        this.pending.set(op.name, versions);
      }
      versions.add(op.version);
      return;
    }
    if (op.op === "drop") this.pending.delete(op.name);
    else this.settle(op.name, op.version);
    if (op.op === "put") {
      const { op: _op, ...meta } = op;
      let versions = this.names.get(meta.name);
      if (!versions) {
        versions = new Map();
        this.names.set(meta.name, versions);
      }
      versions.set(meta.version, meta as DataMetadata);
    } else if (op.op === "del") {
      const versions = this.names.get(op.name);
      if (versions) {
        versions.delete(op.version);
        if (versions.size === 0) this.names.delete(op.name);
      }
    } else if (op.op === "drop") {
      this.names.delete(op.name);
    }
  }

  put(meta: DataMetadata): void {
    this.apply({ op: "put", ...meta });
  }

  private settle(name: string, version: number): void {
    const versions = this.pending.get(name);
    if (!versions) return;
    versions.delete(version);
    if (versions.size === 0) this.pending.delete(name);
  }

  liveCount(): number {
    let n = 0;
    for (const versions of this.names.values()) n += versions.size;
    return n;
  }

  /** Versions of `name`, oldest first. */
  versionsOf(name: string): DataMetadata[] {
    const versions = this.names.get(name);
    if (!versions) return [];
    const out: DataMetadata[] = [];
    for (const meta of versions.values()) out.push(meta);
    out.sort((a, b) => a.version - b.version);
    return out;
  }

  /** Highest version of `name`. */
  latestOf(name: string): DataMetadata | undefined {
    const versions = this.names.get(name);
    if (!versions) return undefined;
    let best: DataMetadata | undefined;
    for (const meta of versions.values()) if (!best || meta.version > best.version) best = meta;
    return best;
  }

  /** The latest record of every name, and every older version. */
  split(): { latest: DataMetadata[]; history: DataMetadata[] } {
    const latest: DataMetadata[] = [];
    const history: DataMetadata[] = [];
    for (const versions of this.names.values()) {
      let best: DataMetadata | undefined;
      for (const meta of versions.values()) {
        if (!best) best = meta;
        else if (meta.version > best.version) {
          history.push(best);
          best = meta;
        } else history.push(meta);
      }
      if (best) latest.push(best);
    }
    return { latest, history };
  }
}

interface FileKey {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const GONE: FileKey = { ino: -1, size: -1, mtimeMs: -1, ctimeMs: -1 };

function keyOf(st: Stats): FileKey {
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

function sameKey(a: FileKey, b: FileKey): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** What a reader knows about one journal file. */
export interface JournalState {
  key: FileKey;
  /** Bytes consumed: the end of the last complete line. */
  offset: number;
  gen: string;
  /** The file ends with an incomplete line (a crash fragment or a write in flight). */
  partial: boolean;
  fold: ModelFold;
}

/**
 * A journal that is empty, lacks its `init` header, or ends in a torn line cannot be trusted:
 * records may be missing from it. Readers rebuild it from the data files instead.
 */
export function isDamaged(state: JournalState): boolean {
  return state.gen === "" || state.partial;
}

/** Parses one journal line; recovers a record glued behind a torn fragment; null when unusable. */
export function parseJournalLine(line: string): JournalOp | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    const at = line.lastIndexOf('{"op":');
    if (at <= 0) return null;
    try {
      value = JSON.parse(line.slice(at));
    } catch {
      return null;
    }
  }
  return isJournalOp(value) ? value : null;
}

function isJournalOp(value: unknown): value is JournalOp {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.op) {
    case "init":
      return typeof v.gen === "string";
    case "pending":
      return typeof v.name === "string" && typeof v.version === "number";
    case "put":
      return (
        typeof v.name === "string" &&
        typeof v.version === "number" &&
        typeof v.id === "string" &&
        typeof v.createdAt === "string" &&
        typeof v.tags === "object" &&
        v.tags !== null &&
        typeof v.ownerDefinition === "object" &&
        v.ownerDefinition !== null
      );
    case "del":
      return typeof v.name === "string" && typeof v.version === "number";
    case "drop":
      return typeof v.name === "string";
    default:
      return false;
  }
}

/**
 * Calls `onOp` with each parsed op of the complete lines of `buf` and its position (in
 * characters: only `0`, the first line, is ever compared) and returns the bytes consumed, to the
 * end of the last complete line. The lines are decoded together and split as text: a newline
 * byte never occurs inside a multi-byte character, so this cuts where the bytes do, and one
 * decode costs far less than one per line in a long journal.
 */
function eachOp(buf: Buffer, onOp: (op: JournalOp, at: number) => void): number {
  const end = buf.lastIndexOf(10) + 1;
  const text = buf.toString("utf8", 0, end);
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    if (nl > pos) {
      const op = parseJournalLine(text.slice(pos, nl));
      if (op) onOp(op, pos);
    }
    pos = nl + 1;
  }
  return end;
}

/** Folds the complete lines of `buf`, read from `startOffset`. Offsets stay in bytes. */
function foldLines(state: JournalState, buf: Buffer, startOffset: number): void {
  const end = eachOp(buf, (op, at) => {
    if (op.op !== "init") state.fold.apply(op);
    else if (startOffset + at === 0) state.gen = op.gen;
  });
  state.offset = startOffset + end;
  state.partial = end < buf.length;
}

function readRange(fd: number, start: number, end: number): Buffer {
  const length = end - start;
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const bytesRead = readSync(fd, buf, done, length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** A tip read from its file, or null when it is not one (see ModelTip.parse). */
export function parseTip(text: string): ModelTip | null {
  return ModelTip.parse(text, (record) => typeof record === "object" && record !== null && isJournalOp({ ...record, op: "put" }));
}

/** The tip saved at `path`, or null when there is none that parses. */
function readTip(path: string): ModelTip | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  return parseTip(text);
}

function readGen(fd: number, size: number): string | null {
  const head = readRange(fd, 0, Math.min(size, 256));
  const nl = head.indexOf(10);
  if (nl < 0) return null;
  const op = parseJournalLine(head.toString("utf8", 0, nl));
  return op && op.op === "init" ? op.gen : null;
}

/**
 * Brings `prev` up to date with the journal at `path` (folding only the appended tail when the
 * file is the same one), or reads it from scratch. Returns null when the journal is missing.
 * `prev` is updated in place when its tail can be reused. Synchronous: journal reads are small
 * and a thread-pool round trip per call costs more than the read.
 */
export function readJournal(path: string, prev?: JournalState): JournalState | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw err;
  }
  try {
    const key = keyOf(fstatSync(fd));
    if (prev && sameKey(prev.key, key)) return prev;
    if (prev && prev.gen !== "" && prev.key.ino === key.ino && key.size >= prev.offset && readGen(fd, key.size) === prev.gen) {
      const tail = readRange(fd, prev.offset, key.size);
      foldLines(prev, tail, prev.offset);
      prev.key = key;
      return prev;
    }
    const state: JournalState = { key, offset: 0, gen: "", partial: false, fold: new ModelFold() };
    foldLines(state, readRange(fd, 0, key.size), 0);
    return state;
  } finally {
    closeSync(fd);
  }
}

/**
 * Brings a tip (tip.ts) up to date with the journal at `path` by folding the lines appended
 * past its position. False, with the tip left half-folded, when the tip does not describe this
 * journal: another file or generation, a shorter file, a position that is
 * not a line's end, or a journal that now ends in a torn line (which a full fold repairs).
 */
export function catchUpTip(tip: ModelTip, path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const { ino, gen, offset } = tip.position;
    const st = fstatSync(fd);
    if (st.ino !== ino || offset === 0 || st.size < offset || readGen(fd, st.size) !== gen) return false;
    // From the byte before the position, which must end a line.
    const tail = readRange(fd, offset - 1, st.size);
    if (tail[0] !== 10) return false;
    const end = eachOp(tail.subarray(1), (op) => tip.apply(op));
    if (end !== tail.length - 1) return false;
    tip.position = { ino, gen, offset: offset + end };
    return true;
  } finally {
    closeSync(fd);
  }
}

export function newGen(): string {
  return randomBytes(8).toString("hex");
}

export function journalLine(op: JournalOp): string {
  return JSON.stringify(op) + "\n";
}

/** Full journal text for the records of `fold` (fresh gen). */
export function journalText(records: Iterable<DataMetadata>): string {
  const parts = [journalLine({ op: "init", gen: newGen() })];
  for (const meta of records) parts.push(journalLine({ op: "put", ...meta }));
  return parts.join("");
}

/** Committed versions of one model directory, read from disk (metadata.yaml of each). */
export function scanModelDir(modelDir: string, logger?: IndexLogger): DataMetadata[] {
  const out: DataMetadata[] = [];
  let names: string[];
  try {
    names = readdirSync(modelDir);
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return out;
    throw err;
  }
  names.sort();
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const nameDir = join(modelDir, name);
    let entries: string[];
    try {
      entries = readdirSync(nameDir);
    } catch {
      continue; // a file, or vanished
    }
    const versions: number[] = [];
    for (const entry of entries) {
      const v = parseVersionDir(entry);
      if (v !== null) versions.push(v);
    }
    versions.sort((a, b) => a - b);
    for (const version of versions) {
      const meta = readCommitted(join(nameDir, String(version), METADATA_FILE), logger);
      if (meta) out.push({ ...meta, name, version });
    }
  }
  return out;
}

/** True when `dir` is a model-id directory: a data-name child with a committed version. */
export function isModelDir(dir: string): boolean {
  let children: string[];
  try {
    children = readdirSync(dir);
  } catch {
    return false;
  }
  for (const child of children) {
    if (child.startsWith(".")) continue;
    let entries: string[];
    try {
      entries = readdirSync(join(dir, child));
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (parseVersionDir(entry) !== null && existsSync(join(dir, child, entry, METADATA_FILE))) return true;
    }
  }
  return false;
}

/**
 * Every model directory under the data root (the fallback when the registry is missing), or
 * under one of its directories (`dir`, reached by the type path `segments`).
 */
export function walkModels(dataRoot: string, dir = dataRoot, segments: string[] = []): ModelRef[] {
  const out: ModelRef[] = [];
  const visit = (dir: string, segments: string[]) => {
    if (segments.length >= 2 && isModelDir(dir)) {
      out.push({ type: segments.slice(0, -1).join("/"), id: segments[segments.length - 1] as string });
      return;
    }
    if (segments.length > 32) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".") || !entry.isDirectory()) continue; // symlinks are not followed
      visit(join(dir, entry.name), [...segments, entry.name]);
    }
  };
  visit(dir, segments);
  return out;
}

// ---- global cache shards ----

type Shape = [string, string, GarbageCollectionPolicy, 0 | 1, Record<string, string>, OwnerDefinition];
/**
 * Records are stored flat, STRIDE values each (no per-record array to allocate on load):
 * modelIdx, name, version, id, createdAt, size (-1 = absent), shapeIdx, deleted (0|1), renamedTo|null
 */
type Flat = Array<number | string | null>;
const STRIDE = 9;

interface ShardModel {
  t: string;
  i: string;
  k: FileKey;
  o: number;
  g: string;
  n: number;
  p: 0 | 1;
  /** 1 when the fold had unsettled `pending` versions: never reuse it without a refold. */
  q?: 1;
  /** Stamp (mtime, 0 = unverified) of the model directory when its names were last compared. */
  d: number;
  /** Stamp of every data-name directory when its versions were last compared. */
  s: Record<string, number>;
}

interface ShardHeader {
  v: number;
  models: ShardModel[];
  shapes: Shape[];
}

interface LoadedShard {
  header: ShardHeader;
  buf: Buffer;
  latestRange: [number, number];
  historyRange: [number, number];
}

/** One model's records as the global view sees them (no checksums). */
export interface ModelSnapshot {
  type: string;
  id: string;
  /** The highest version of every name. */
  latest: DataMetadata[];
  /** Older versions; null when the caller asked for latest only. */
  history: DataMetadata[] | null;
}

function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SHARD_COUNT;
}

function shardName(shard: number): string {
  return shard.toString(16).padStart(2, "0");
}

function loadShard(path: string): LoadedShard | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  const nl1 = buf.indexOf(10);
  const nl2 = nl1 < 0 ? -1 : buf.indexOf(10, nl1 + 1);
  const nl3 = nl2 < 0 ? -1 : buf.indexOf(10, nl2 + 1);
  if (nl3 < 0) return null;
  try {
    const header = JSON.parse(buf.toString("utf8", 0, nl1)) as ShardHeader;
    if (header.v !== CACHE_FORMAT || !Array.isArray(header.models) || !Array.isArray(header.shapes)) return null;
    return { header, buf, latestRange: [nl1 + 1, nl2], historyRange: [nl2 + 1, nl3] };
  } catch {
    return null;
  }
}

function parseFlat(shard: LoadedShard, range: [number, number]): Flat | null {
  try {
    const value = JSON.parse(shard.buf.toString("utf8", range[0], range[1])) as unknown;
    return Array.isArray(value) && value.length % STRIDE === 0 ? (value as Flat) : null;
  } catch {
    return null;
  }
}

type DecodedShape = Pick<DataMetadata, "contentType" | "lifetime" | "garbageCollection" | "streaming" | "tags" | "ownerDefinition">;

function decodeShapes(shapes: Shape[]): DecodedShape[] {
  return shapes.map((s) => ({
    contentType: s[0],
    lifetime: s[1],
    garbageCollection: s[2],
    streaming: s[3] === 1,
    tags: s[4],
    ownerDefinition: s[5],
  }));
}

/** One record from a flat array. Every decoded object has the same shape (absent fields are undefined). */
function decodeAt(flat: Flat, i: number, shapes: DecodedShape[]): DataMetadata {
  const shape = shapes[flat[i + 6] as number];
  if (!shape) throw new Error("bad shape index");
  const size = flat[i + 5] as number;
  const renamedTo = flat[i + 8] as string | null;
  return {
    id: flat[i + 3] as string,
    name: flat[i + 1] as string,
    version: flat[i + 2] as number,
    contentType: shape.contentType,
    lifetime: shape.lifetime,
    garbageCollection: shape.garbageCollection,
    streaming: shape.streaming,
    tags: shape.tags,
    ownerDefinition: shape.ownerDefinition,
    createdAt: flat[i + 4] as string,
    size: size >= 0 ? size : undefined,
    checksum: undefined,
    lifecycle: flat[i + 7] === 1 ? "deleted" : undefined,
    renamedTo: renamedTo === null ? undefined : renamedTo,
  };
}

interface ShardEntry {
  ref: ModelRef;
  state: { key: FileKey; offset: number; gen: string; lines: number; partial: boolean; pending?: boolean; dir: number; names: Record<string, number> };
  latest: DataMetadata[];
  history: DataMetadata[];
}

function encodeShard(entries: ShardEntry[]): string {
  const shapes: Shape[] = [];
  const shapeIndex = new Map<string, number>();
  const models: ShardModel[] = [];
  const latest: Flat = [];
  const history: Flat = [];
  const encode = (out: Flat, meta: DataMetadata, modelIdx: number): void => {
    const shape: Shape = [meta.contentType, meta.lifetime, meta.garbageCollection, meta.streaming ? 1 : 0, meta.tags, meta.ownerDefinition];
    const shapeKey = JSON.stringify(shape);
    let idx = shapeIndex.get(shapeKey);
    if (idx === undefined) {
      idx = shapes.length;
      shapes.push(shape);
      shapeIndex.set(shapeKey, idx);
    }
    out.push(modelIdx, meta.name, meta.version, meta.id, meta.createdAt, meta.size ?? -1, idx, meta.lifecycle === "deleted" ? 1 : 0, meta.renamedTo ?? null);
  };
  entries.forEach((entry, modelIdx) => {
    models.push({
      t: entry.ref.type,
      i: entry.ref.id,
      k: entry.state.key,
      o: entry.state.offset,
      g: entry.state.gen,
      n: entry.state.lines,
      p: entry.state.partial ? 1 : 0,
      ...(entry.state.pending ? { q: 1 as const } : {}),
      d: entry.state.dir,
      s: entry.state.names,
    });
    for (const meta of entry.latest) encode(latest, meta, modelIdx);
    for (const meta of entry.history) encode(history, meta, modelIdx);
  });
  const header: ShardHeader = { v: CACHE_FORMAT, models, shapes };
  return `${JSON.stringify(header)}\n${JSON.stringify(latest)}\n${JSON.stringify(history)}\n`;
}

// ---- the index ----

export interface DataIndexOptions {
  logger?: IndexLogger;
}

export interface LoadAllOptions {
  /** Also return every older version (needed when a query mentions `version`, and by gc). */
  history?: boolean;
}

/**
 * Reads and maintains the index files of one data root. One instance per process and data
 * root is enough; it caches journal folds in memory and refreshes them by stat on every call.
 */
export class DataIndex {
  readonly dataRoot: string;
  private readonly logger: IndexLogger | undefined;
  private readonly states = new Map<string, JournalState>();
  /** Tips of journals (tip.ts), brought up to date from the journal on every use. */
  private readonly tips = new Map<string, ModelTip>();
  private readonly registered = new Set<string>();

  constructor(dataRoot: string, options: DataIndexOptions = {}) {
    this.dataRoot = dataRoot;
    this.logger = options.logger;
  }

  modelDir(type: string, id: string): string {
    return safeJoin(this.dataRoot, type, id);
  }

  journalPath(type: string, id: string): string {
    return join(this.modelDir(type, id), JOURNAL_FILE);
  }

  /**
   * The up-to-date fold of one model's journal, or null when the model has no directory.
   * A missing journal is rebuilt from the model directory (exclusive create).
   */
  async model(type: string, id: string): Promise<ModelFold | null> {
    const state = await this.state(type, id, false);
    return state ? state.fold : null;
  }

  /**
   * model() for readers that must also see what other programs wrote: with `name`, that name's
   * directory is compared with the journal (`data versions`); without, the model directory is
   * listed for new or vanished names and every name whose `latest` names another version than
   * the journal's highest is compared (`data list`). Differences are appended to the journal.
   */
  async freshModel(type: string, id: string, name?: string): Promise<ModelFold | null> {
    const state = await this.state(type, id, false);
    if (!state) return null;
    const fold = state.fold;
    const modelDir = this.modelDir(type, id);
    const names = new Set<string>();
    if (name !== undefined) names.add(name);
    else {
      for (const onDisk of listNameDirs(modelDir) ?? []) if (!fold.names.has(onDisk)) names.add(onDisk);
      for (const known of fold.names.keys()) {
        if (readLatestPointer(join(modelDir, known)) !== fold.latestOf(known)?.version) names.add(known);
      }
    }
    const ops: ReconcileOp[] = [];
    for (const n of names) ops.push(...reconcileName(modelDir, n, fold, this.logger).ops);
    if (ops.length === 0) return fold;
    if (await this.applyReconcile(type, id, ops)) return (await this.state(type, id, false))?.fold ?? null;
    for (const op of ops) fold.apply(op); // read-only: serve what the disk holds from memory
    return fold;
  }

  /**
   * Appends the lines reconciliation found, then looks once more at the versions they name and
   * appends corrections (see `corrections`). Returns false (with a warning) when the journal
   * cannot be written, e.g. on a read-only filesystem.
   */
  private async applyReconcile(type: string, id: string, ops: ReconcileOp[]): Promise<boolean> {
    if (ops.length === 0) return false;
    try {
      await this.append(type, id, ops);
      await this.append(type, id, corrections(this.modelDir(type, id), ops, this.logger));
      return true;
    } catch (err) {
      this.logger?.warn(`Could not update the index journal of ${type}/${id}: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * What a writer of `type/id` needs from its journal (tip.ts): the tip saved beside it with the
   * lines appended since, or, without a tip that fits, a full fold, which registers the model
   * and creates its journal first when they are missing. `full` insists on the full fold (to
   * check a tip read from disk against the journal itself).
   */
  async tip(type: string, id: string, options: { full?: boolean } = {}): Promise<ModelTip> {
    const tip = await this.currentTip(type, id, true, options.full === true);
    if (!tip) throw new Error(`model directory vanished: ${this.modelDir(type, id)}`);
    return tip;
  }

  /**
   * The latest record of every name of `type/id`, as freshModel() without a name would give
   * them, from the tip: null when the model directory shows anything the tip does not know (a
   * name it lacks, a `latest` naming another version), so the caller takes freshModel()'s way,
   * which reconciles. Reads the model directory and each name's `latest`, never the history.
   */
  async latestRecords(type: string, id: string): Promise<Map<string, DataMetadata> | null> {
    const tip = await this.currentTip(type, id, false, false);
    if (!tip) return null;
    const modelDir = this.modelDir(type, id);
    const onDisk = listNameDirs(modelDir);
    if (!onDisk || onDisk.some((name) => !tip.known.has(name))) return null;
    const out = new Map<string, DataMetadata>();
    for (const [name, versions] of tip.known) {
      const version = versions.max();
      if (readLatestPointer(join(modelDir, name)) !== version) return null;
      let meta = tip.latest.get(name);
      if (!meta) {
        // Its latest version was deleted: the record below is read once, then kept in the tip.
        const read = readCommitted(join(modelDir, name, String(version), METADATA_FILE), this.logger);
        if (!read || read.name !== name || read.version !== version) return null;
        tip.latest.set(name, (meta = read));
      }
      out.set(name, meta);
    }
    return out;
  }

  /** The tip of `type/id` brought up to date (see tip()); null when a reader finds no model directory. */
  private async currentTip(type: string, id: string, forWrite: boolean, full: boolean): Promise<ModelTip | null> {
    const key = modelKey(type, id);
    const modelDir = this.modelDir(type, id);
    const journal = join(modelDir, JOURNAL_FILE);
    const saved = full ? null : (this.tips.get(key) ?? readTip(join(modelDir, TIP_FILE)));
    if (saved && catchUpTip(saved, journal)) {
      if (saved.pending.size > 0) await this.settlePending(type, id, saved.pending, (op) => saved.apply(op));
      if (saved.position.offset - saved.savedOffset >= TIP_REWRITE_BYTES) await this.saveTip(modelDir, saved);
      this.tips.set(key, saved);
      return saved;
    }
    const state = await this.state(type, id, forWrite);
    if (!state) return null;
    const tip = new ModelTip({ ino: state.key.ino, gen: state.gen, offset: state.offset }, true);
    for (const [name, versions] of state.fold.names) {
      tip.known.set(name, VersionRanges.of(versions.keys()));
      const latest = state.fold.latestOf(name);
      if (latest) tip.latest.set(name, latest);
    }
    for (const [name, versions] of state.fold.pending) tip.pending.set(name, new Set(versions));
    await this.saveTip(modelDir, tip);
    this.tips.set(key, tip);
    return tip;
  }

  /** Saves the model's tip, best effort: it only saves later commands a fold. */
  private async saveTip(modelDir: string, tip: ModelTip): Promise<void> {
    if (tip.position.gen === "") return; // served from memory: the journal could not be rebuilt
    try {
      await atomicWriteFile(join(modelDir, TIP_FILE), tip.toText(), { durable: false, mkdirs: false });
      tip.savedOffset = tip.position.offset;
    } catch {
      // a read-only or full disk: the next writer folds the journal again
    }
  }

  private async state(type: string, id: string, forWrite: boolean): Promise<JournalState | null> {
    const key = modelKey(type, id);
    const path = this.journalPath(type, id);
    for (let attempt = 0; attempt < 3; attempt++) {
      const prev = this.states.get(key);
      const state = readJournal(path, prev);
      if (state && !isDamaged(state)) {
        this.states.set(key, state);
        if (state.fold.pending.size > 0) await this.settlePending(type, id, state.fold.pending, (op) => state.fold.apply(op));
        return state;
      }
      this.states.delete(key);
      if (state) {
        const repaired = await this.repair(type, id, state);
        if (repaired) return repaired;
        continue;
      }
      const modelDir = this.modelDir(type, id);
      if (!existsSync(modelDir)) {
        if (!forWrite) return null;
        await mkdir(modelDir, { recursive: true });
      }
      if (forWrite) await this.register(type, id);
      await atomicCreateFile(path, journalText(scanModelDir(modelDir, this.logger)), { durable: false });
    }
    throw new Error(`could not read index journal ${path}`);
  }

  /**
   * Rebuilds a damaged journal from the model directory. No lock is held (readers repair too),
   * so the rewrite can race with appends that go to the replaced file; those appends describe
   * changes already on disk (commit before append), so a second scan after the rewrite finds
   * them and appends what the rebuilt file lacks. When the journal cannot be written (a
   * read-only filesystem), the scan is served from memory. Returns null to make the caller
   * read the rebuilt file.
   */
  private async repair(type: string, id: string, damaged: JournalState): Promise<JournalState | null> {
    const modelDir = this.modelDir(type, id);
    const path = join(modelDir, JOURNAL_FILE);
    const scanned = scanModelDir(modelDir, this.logger);
    try {
      await atomicWriteFile(path, journalText(scanned), { durable: false });
    } catch (err) {
      this.logger?.warn(`Could not rebuild the damaged index journal ${path}: ${(err as Error).message}`);
      const fold = new ModelFold();
      for (const meta of scanned) fold.put(meta);
      // Not cached: the next call looks at the file again.
      return { key: damaged.key, offset: damaged.key.size, gen: "", partial: false, fold };
    }
    const written = new Set(scanned.map((m) => `${m.name}\u0000${m.version}`));
    const now = scanModelDir(modelDir, this.logger);
    const present = new Set(now.map((m) => `${m.name}\u0000${m.version}`));
    const ops: JournalOp[] = [];
    for (const meta of now) if (!written.has(`${meta.name}\u0000${meta.version}`)) ops.push({ op: "put", ...meta });
    for (const meta of scanned) if (!present.has(`${meta.name}\u0000${meta.version}`)) ops.push({ op: "del", name: meta.name, version: meta.version });
    await this.append(type, id, ops);
    return null;
  }

  /**
   * Folds in (with `apply`) the committed versions that `pending` lines announced but no `put`
   * followed (the writer was killed after its commit point) and appends their `put` lines, best
   * effort. Versions still without metadata.yaml stay pending (in flight, or abandoned claims).
   */
  private async settlePending(type: string, id: string, pending: Map<string, Set<number>>, apply: (op: JournalOp) => void): Promise<void> {
    const modelDir = this.modelDir(type, id);
    const ops: JournalOp[] = [];
    for (const [name, versions] of pending) {
      for (const version of versions) {
        const meta = readCommitted(join(modelDir, name, String(version), METADATA_FILE), this.logger);
        if (meta) ops.push({ op: "put", ...meta, name, version });
      }
    }
    for (const op of ops) apply(op);
    try {
      await this.append(type, id, ops);
    } catch (err) {
      this.logger?.warn(`Could not update the index journal of ${type}/${id}: ${(err as Error).message}`);
    }
  }

  /** Appends journal lines for `type/id` (one write). Recreates a vanished journal first. */
  async append(type: string, id: string, ops: JournalOp[]): Promise<void> {
    if (ops.length === 0) return;
    const path = this.journalPath(type, id);
    const state = this.states.get(modelKey(type, id));
    const text = (state?.partial ? "\n" : "") + ops.map(journalLine).join("");
    const bytes = Buffer.from(text, "utf8");
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_APPEND);
      } catch (err) {
        if (!isErrno(err, "ENOENT") || attempt > 0) throw err;
        await this.state(type, id, true);
        continue;
      }
      try {
        // One write call: O_APPEND writes of a small buffer are not interleaved with others.
        let done = 0;
        while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
      } finally {
        closeSync(fd);
      }
      return;
    }
  }

  /**
   * Rewrites the journal of `type/id` from its fold when dead lines outnumber live records.
   * Replaces the file: the caller must hold the model's lock or the global lock.
   */
  async compactIfNeeded(type: string, id: string, force = false): Promise<boolean> {
    const state = await this.state(type, id, false);
    if (!state) return false;
    const live = state.fold.liveCount();
    const dead = state.fold.lines - live;
    if (!force && (dead <= live || dead < COMPACT_MIN_DEAD)) return false;
    const records: DataMetadata[] = [];
    for (const name of [...state.fold.names.keys()].sort()) records.push(...state.fold.versionsOf(name));
    await atomicWriteFile(this.journalPath(type, id), journalText(records), { durable: false });
    this.states.delete(modelKey(type, id));
    return true;
  }

  /**
   * Rebuilds every index file from the data files (registry by a walk, every journal, no
   * cache). For repair, e.g. after another tool wrote into the data root. Caller holds the
   * global lock.
   */
  async rebuildAll(): Promise<number> {
    await this.rebuildRegistry(true);
    this.registered.clear();
    const refs = await this.models();
    for (const ref of refs) await this.rebuildModel(ref.type, ref.id);
    await rm(join(this.dataRoot, CACHE_DIR), { recursive: true, force: true });
    return refs.length;
  }

  /** Rebuilds the journal of `type/id` from disk, replacing it. Caller holds the model lock. */
  async rebuildModel(type: string, id: string): Promise<void> {
    const modelDir = this.modelDir(type, id);
    this.states.delete(modelKey(type, id));
    if (!existsSync(modelDir)) return;
    await atomicWriteFile(join(modelDir, JOURNAL_FILE), journalText(scanModelDir(modelDir, this.logger)), { durable: false });
  }

  // ---- registry ----

  private registryPath(): string {
    return join(this.dataRoot, REGISTRY_FILE);
  }

  /** Records that `type/id` exists (before its first journal line). */
  async register(type: string, id: string): Promise<void> {
    const key = modelKey(type, id);
    if (this.registered.has(key)) return;
    if (!existsSync(this.registryPath())) await this.rebuildRegistry(false);
    await mkdir(this.dataRoot, { recursive: true });
    await appendFile(this.registryPath(), JSON.stringify({ type, id }) + "\n");
    this.registered.add(key);
  }

  /** Every model the registry knows (de-duplicated). Rebuilds a missing registry by a walk. */
  async models(): Promise<ModelRef[]> {
    let text: string;
    try {
      text = await readFile(this.registryPath(), "utf8");
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
      text = await this.rebuildRegistry(false);
    }
    const seen = new Set<string>();
    const out: ModelRef[] = [];
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      const v = value as { type?: unknown; id?: unknown };
      if (typeof v.type !== "string" || typeof v.id !== "string") continue;
      let type: string;
      try {
        type = modelTypePath(v.type);
      } catch {
        continue;
      }
      if (type !== v.type || modelIdProblem(v.id) !== null) continue;
      const key = modelKey(type, v.id);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ type, id: v.id });
    }
    return out;
  }

  /** Rebuilds the registry by walking the data root. `replace` overwrites an existing one. */
  async rebuildRegistry(replace = true): Promise<string> {
    const text = walkModels(this.dataRoot)
      .map((ref) => JSON.stringify(ref) + "\n")
      .join("");
    if (!existsSync(this.dataRoot)) return text;
    if (replace) {
      await atomicWriteFile(this.registryPath(), text, { durable: false });
      return text;
    }
    if (await atomicCreateFile(this.registryPath(), text, { durable: false })) return text;
    return readFile(this.registryPath(), "utf8");
  }

  // ---- global view ----

  /**
   * Every model's records, through the shard cache: stats each registered model's journal and
   * refolds only the ones that changed. With `history: false` older versions are not decoded.
   */
  async loadAll(options: LoadAllOptions = {}): Promise<ModelSnapshot[]> {
    const wantHistory = options.history === true;
    const refs = await this.models();
    refs.push(...(await this.discoverModels(refs)));
    const byShard = new Map<number, ModelRef[]>();
    for (const ref of refs) {
      const shard = shardOf(modelKey(ref.type, ref.id));
      let list = byShard.get(shard);
      if (!list) {
        list = [];
        byShard.set(shard, list);
      }
      list.push(ref);
    }
    const out: ModelSnapshot[] = [];
    const cacheDir = join(this.dataRoot, CACHE_DIR);
    for (const [shard, shardRefs] of [...byShard.entries()].sort((a, b) => a[0] - b[0])) {
      const path = join(cacheDir, shardName(shard));
      out.push(...(await this.loadShardModels(path, shardRefs, wantHistory)));
    }
    return out;
  }

  private async loadShardModels(path: string, refs: ModelRef[], wantHistory: boolean): Promise<ModelSnapshot[]> {
    const loaded = loadShard(path);
    const cached = new Map<string, { model: ShardModel; idx: number }>();
    if (loaded) loaded.header.models.forEach((model, idx) => cached.set(modelKey(model.t, model.i), { model, idx }));

    // Which models changed since the shard was written?
    const changed = new Set<string>();
    const keys = new Map<string, FileKey | null>();
    for (const ref of refs) {
      const key = modelKey(ref.type, ref.id);
      let st: Stats | undefined;
      try {
        st = statSync(this.journalPath(ref.type, ref.id));
      } catch {
        st = undefined;
      }
      const fileKey = st ? keyOf(st) : null;
      keys.set(key, fileKey);
      const hit = cached.get(key);
      const goneBefore = hit !== undefined && hit.model.k.ino === -1 && fileKey === null;
      const untrusted = hit !== undefined && fileKey !== null && (hit.model.p === 1 || hit.model.g === "" || hit.model.q === 1);
      if (goneBefore) {
        if (dirMtime(this.modelDir(ref.type, ref.id)) !== null) changed.add(key); // written again, by another program
      } else if (untrusted || !hit || !fileKey || !sameKey(hit.model.k, fileKey) || !this.stampsHold(ref, hit.model)) changed.add(key);
    }
    const sameModelSet = loaded !== null && loaded.header.models.length === refs.length && refs.every((r) => cached.has(modelKey(r.type, r.id)));

    if (loaded && changed.size === 0 && sameModelSet) {
      const latestTuples = parseFlat(loaded, loaded.latestRange);
      const historyTuples = wantHistory ? parseFlat(loaded, loaded.historyRange) : [];
      if (latestTuples && historyTuples) {
        try {
          return snapshotsFromTuples(loaded.header, latestTuples, wantHistory ? historyTuples : null);
        } catch {
          // corrupt shard: fall through to a rebuild
        }
      }
    }

    // Rebuild this shard: reuse cached folds of unchanged models, refold the others.
    let latestTuples: Flat | null = null;
    let historyTuples: Flat | null = null;
    let shapes: DecodedShape[] = [];
    if (loaded) {
      latestTuples = parseFlat(loaded, loaded.latestRange);
      historyTuples = parseFlat(loaded, loaded.historyRange);
      shapes = decodeShapes(loaded.header.shapes);
    }
    const cachedRecords = new Map<number, { latest: DataMetadata[]; history: DataMetadata[] }>();
    if (loaded && latestTuples && historyTuples) {
      try {
        for (const [tuples, field] of [[latestTuples, "latest"], [historyTuples, "history"]] as const) {
          for (let i = 0; i < tuples.length; i += STRIDE) {
            const modelIdx = tuples[i] as number;
            let slot = cachedRecords.get(modelIdx);
            if (!slot) {
              slot = { latest: [], history: [] };
              cachedRecords.set(modelIdx, slot);
            }
            slot[field].push(decodeAt(tuples, i, shapes));
          }
        }
      } catch {
        cachedRecords.clear();
      }
    }
    const usable = loaded !== null && latestTuples !== null && historyTuples !== null && cachedRecords.size > 0;

    const entries: ShardEntry[] = [];
    for (const ref of refs) {
      const key = modelKey(ref.type, ref.id);
      const hit = cached.get(key);
      const records = hit && usable ? cachedRecords.get(hit.idx) ?? { latest: [], history: [] } : undefined;
      if (!changed.has(key) && hit && records) {
        entries.push({
          ref,
          state: { key: hit.model.k, offset: hit.model.o, gen: hit.model.g, lines: hit.model.n, partial: hit.model.p === 1, dir: hit.model.d, names: hit.model.s },
          latest: records.latest,
          history: records.history,
        });
        continue;
      }
      let state = await this.refold(ref, hit && records ? { model: hit.model, records } : undefined);
      if (!state) {
        // The model directory is gone: remember that, so the next read does not refold it again.
        entries.push({ ref, state: { key: GONE, offset: 0, gen: "", lines: 0, partial: false, dir: 0, names: {} }, latest: [], history: [] });
        continue;
      }
      const checked = await this.verifyStamps(ref, state, hit?.model);
      state = checked.state;
      const { latest, history } = state.fold.split();
      entries.push({
        ref,
        state: {
          key: state.key,
          offset: state.offset,
          gen: state.gen,
          lines: state.fold.lines,
          partial: state.partial,
          pending: state.fold.pending.size > 0,
          dir: checked.dir,
          names: checked.names,
        },
        latest,
        history,
      });
    }
    try {
      await atomicWriteFile(path, encodeShard(entries), { durable: false });
    } catch (err) {
      this.logger?.warn(`Could not write index cache ${path}: ${(err as Error).message}`);
    }
    return entries.map((e) => ({ type: e.ref.type, id: e.ref.id, latest: e.latest, history: wantHistory ? e.history : null }));
  }

  /**
   * Models another program created since the last look. The data root and the type
   * directories above known models are listed when their stamps moved; their unknown children
   * are searched for model directories, which are registered. A child that holds no committed
   * version yet (a first write in flight) keeps its parent unstamped, so it is looked at again.
   */
  private async discoverModels(refs: ModelRef[]): Promise<ModelRef[]> {
    const path = join(this.dataRoot, CACHE_DIR, DIRS_FILE);
    let old: Record<string, number> = {};
    try {
      const value = JSON.parse(readFileSync(path, "utf8")) as { v?: unknown; dirs?: unknown };
      if (value.v === CACHE_FORMAT && typeof value.dirs === "object" && value.dirs !== null) old = value.dirs as Record<string, number>;
    } catch {
      // no stamps yet, or unreadable: every directory is looked at
    }
    const known = new Set(refs.map((r) => modelKey(r.type, r.id)));
    const prefixes = new Set<string>([""]);
    for (const ref of refs) {
      const parts = ref.type.split("/");
      for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join("/"));
    }
    const next: Record<string, number> = Object.create(null) as Record<string, number>;
    const found: ModelRef[] = [];
    let changed = false;
    for (const prefix of prefixes) {
      const dir = prefix === "" ? this.dataRoot : join(this.dataRoot, prefix);
      const mtime = dirMtime(dir);
      const stamp = Object.hasOwn(old, prefix) ? old[prefix] : undefined;
      if (mtime === null) {
        if (stamp !== undefined) changed = true;
        continue;
      }
      if (stamp !== undefined && stamp !== 0 && stamp === mtime) {
        next[prefix] = stamp;
        continue;
      }
      changed = true;
      next[prefix] = stampOf(mtime);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        next[prefix] = 0;
        continue;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(".") || !entry.isDirectory()) continue;
        const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
        if (prefixes.has(rel) || known.has(rel)) continue;
        const models = walkModels(this.dataRoot, join(dir, entry.name), rel.split("/")).filter((ref) => {
          try {
            return modelTypePath(ref.type) === ref.type && modelIdProblem(ref.id) === null && !known.has(modelKey(ref.type, ref.id));
          } catch {
            return false;
          }
        });
        if (models.length === 0) next[prefix] = 0;
        for (const ref of models) {
          known.add(modelKey(ref.type, ref.id));
          found.push(ref);
          try {
            await this.register(ref.type, ref.id);
          } catch (err) {
            next[prefix] = 0;
            this.logger?.warn(`Could not register model ${ref.type}/${ref.id} in the index: ${(err as Error).message}`);
          }
        }
      }
    }
    if (changed) {
      try {
        await atomicWriteFile(path, JSON.stringify({ v: CACHE_FORMAT, dirs: next }), { durable: false });
      } catch (err) {
        this.logger?.warn(`Could not write index cache ${path}: ${(err as Error).message}`);
      }
    }
    return found;
  }

  /** True when the model directory and every data-name directory still carry their stamps. */
  private stampsHold(ref: ModelRef, model: ShardModel): boolean {
    if (!model.d || typeof model.s !== "object" || model.s === null) return false;
    const modelDir = join(this.dataRoot, ref.type, ref.id);
    if (dirMtime(modelDir) !== model.d) return false;
    for (const name in model.s) {
      const stamp = model.s[name];
      if (!stamp || dirMtime(join(modelDir, name)) !== stamp) return false;
    }
    return true;
  }

  /**
   * Compares one model's fold with the directories whose stamps moved (all of them when it has
   * none yet), appends what differs (see reconcile.ts), and returns the new stamps. Names are
   * stamped while they hold no committed version too, so their first commit is noticed.
   */
  private async verifyStamps(
    ref: ModelRef,
    state: JournalState,
    cached: ShardModel | undefined,
  ): Promise<{ state: JournalState; dir: number; names: Record<string, number> }> {
    const fold = state.fold;
    const modelDir = this.modelDir(ref.type, ref.id);
    const old = cached?.s ?? {};
    const names: Record<string, number> = Object.create(null) as Record<string, number>;
    const check = new Set<string>();
    let dir = cached?.d ?? 0;
    const dirNow = dirMtime(modelDir);
    if (dirNow === null) return { state, dir: 0, names };
    if (dir === 0 || dir !== dirNow) {
      dir = stampOf(dirNow); // observed before the listing, so a later change shows
      for (const name of listNameDirs(modelDir) ?? []) if (!fold.names.has(name)) check.add(name);
    }
    for (const name of new Set([...fold.names.keys(), ...Object.keys(old)])) {
      const stamp = Object.hasOwn(old, name) ? old[name] : undefined;
      if (stamp && dirMtime(join(modelDir, name)) === stamp) names[name] = stamp;
      else check.add(name);
    }
    const ops: ReconcileOp[] = [];
    for (const name of check) {
      const result = reconcileName(modelDir, name, fold, this.logger);
      ops.push(...result.ops);
      if (result.stamp !== null) names[name] = result.stamp;
    }
    if (ops.length === 0) return { state, dir, names };
    if (await this.applyReconcile(ref.type, ref.id, ops)) {
      const now = (await this.state(ref.type, ref.id, false)) ?? state;
      // A compaction racing with our append (it replaces the file) may have lost the lines:
      // leave those names unstamped, so the next read looks again.
      for (const op of ops) {
        const have = now.fold.names.get(op.name);
        const kept = op.op === "put" ? have?.get(op.version)?.id === op.id : op.op === "del" ? !have?.has(op.version) : !have;
        if (!kept) names[op.name] = 0;
      }
      return { state: now, dir, names };
    }
    // The journal cannot be written: serve the disk's view now and look again next time.
    for (const op of ops) {
      fold.apply(op);
      names[op.name] = 0;
    }
    return { state, dir: 0, names };
  }

  /** Current fold of one model for the global view: from memory, the cached fold plus tail, or the journal. */
  private async refold(
    ref: ModelRef,
    cached: { model: ShardModel; records: { latest: DataMetadata[]; history: DataMetadata[] } } | undefined,
  ): Promise<JournalState | null> {
    const key = modelKey(ref.type, ref.id);
    if (this.states.has(key) || !cached || cached.model.q === 1) return this.state(ref.type, ref.id, false);
    const fold = new ModelFold();
    for (const meta of cached.records.history) fold.put(meta);
    for (const meta of cached.records.latest) fold.put(meta);
    fold.lines = cached.model.n;
    const prev: JournalState = { key: cached.model.k, offset: cached.model.o, gen: cached.model.g, partial: cached.model.p === 1, fold };
    const state = readJournal(this.journalPath(ref.type, ref.id), prev);
    // prev (tail folded) or a full read; never cached in `states` (no checksums)
    if (state && !isDamaged(state) && state.fold.pending.size === 0) return state;
    return this.state(ref.type, ref.id, false);
  }
}

function snapshotsFromTuples(header: ShardHeader, latest: Flat, history: Flat | null): ModelSnapshot[] {
  const shapes = decodeShapes(header.shapes);
  const out: ModelSnapshot[] = header.models.map((m) => ({ type: m.t, id: m.i, latest: [], history: history ? [] : null }));
  for (let i = 0; i < latest.length; i += STRIDE) (out[latest[i] as number] as ModelSnapshot).latest.push(decodeAt(latest, i, shapes));
  if (history) {
    for (let i = 0; i < history.length; i += STRIDE) ((out[history[i] as number] as ModelSnapshot).history as DataMetadata[]).push(decodeAt(history, i, shapes));
  }
  return out;
}
