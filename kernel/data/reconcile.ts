/**
 * Noticing what other programs wrote into the data root (swamp itself, a sync tool, a copy):
 * the index journals (index.ts) learn only of our own writes, so readers compare them with
 * the directories they touch anyway and turn every difference into ordinary journal lines
 * (`put` for a committed version the journal lacks, `del` for one that is gone, `drop` for a
 * vanished name). No whole-tree walk: only the directories a signal points at are listed.
 *
 * Signals:
 *  - a directory's mtime differs from the stamp recorded when it was last verified. Adding or
 *    removing a version (or replacing `latest`) changes the data-name directory; adding or
 *    removing a name changes the model directory; a new model changes its type directory.
 *    The global cache keeps these stamps (index.ts, shards and `dirs`).
 *  - per-model reads keep no stamps: there `latest` naming another version than the journal's
 *    highest points at a name, and the model directory is listed for new names.
 * A stamp observed within RACY_MS of now is not kept (stored as 0, which never matches): a
 * change in the same clock tick as our look would leave the mtime as it was.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { isErrno } from "./errors.js";
import { parseMetadata } from "./metadata.js";
import type { DataMetadata } from "./metadata.js";
import { parseVersionDir } from "./names.js";

export const LATEST_FILE = "latest";
export const METADATA_FILE = "metadata.yaml";

/** How recent an mtime must be to count as unverifiable (coarse clocks, network filesystems). */
export const RACY_MS = 1000;

/** Line kinds reconciliation appends (a subset of the journal's ops). */
export type ReconcileOp =
  | ({ op: "put" } & DataMetadata)
  | { op: "del"; name: string; version: number }
  | { op: "drop"; name: string };

/** What reconciliation needs to know of a model's journal fold. */
export interface KnownVersions {
  readonly names: ReadonlyMap<string, ReadonlyMap<number, unknown>>;
}

export interface Logger {
  warn(message: string): void;
}

/** The stamp to record for an mtime observed now: 0 when too recent to trust. */
export function stampOf(mtimeMs: number, now = Date.now()): number {
  return mtimeMs >= now - RACY_MS ? 0 : mtimeMs;
}

/** mtime of a directory, or null when it is missing. */
export function dirMtime(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return null;
    throw err;
  }
}

/** Reads `latest`: plain text, else a legacy symlink `N` / `N/`. Null when absent or unusable. */
export function readLatestPointer(nameDir: string): number | null {
  const path = join(nameDir, LATEST_FILE);
  try {
    const text = readFileSync(path, "utf8").trim();
    if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  } catch {
    // fall through to the symlink form
  }
  try {
    const target = readlinkSync(path).replace(/\/+$/, "");
    if (/^[1-9][0-9]*$/.test(target)) return Number(target);
  } catch {
    // not a symlink either
  }
  return null;
}

/** A committed version's metadata, or null (not committed, vanished, or unreadable). */
export function readCommitted(path: string, logger?: Logger): DataMetadata | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  try {
    return parseMetadata(text, path);
  } catch (err) {
    logger?.warn(`Skipping unreadable version: ${(err as Error).message}`);
    return null;
  }
}

/** Data-name directories of a model directory (entries starting with "." are ours or temporary). */
export function listNameDirs(modelDir: string): string[] | null {
  let entries;
  try {
    entries = readdirSync(modelDir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return null;
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) if (!e.name.startsWith(".") && e.isDirectory()) out.push(e.name);
  return out;
}

/**
 * Journal lines that bring `known` in line with one name directory on disk, and the stamp of
 * that directory (observed before it was listed, so a later change always shows). The stamp is
 * null when the directory is gone.
 */
export function reconcileName(modelDir: string, name: string, known: KnownVersions, logger?: Logger): { ops: ReconcileOp[]; stamp: number | null } {
  const nameDir = join(modelDir, name);
  const mtime = dirMtime(nameDir);
  const have = known.names.get(name);
  let entries: string[] | null = null;
  if (mtime !== null) {
    try {
      entries = readdirSync(nameDir);
    } catch (err) {
      if (!isErrno(err, "ENOENT") && !isErrno(err, "ENOTDIR")) throw err;
    }
  }
  if (entries === null) return { ops: have ? [{ op: "drop", name }] : [], stamp: null };
  const ops: ReconcileOp[] = [];
  const onDisk = new Set<number>();
  for (const entry of entries) {
    const version = parseVersionDir(entry);
    if (version === null) continue;
    onDisk.add(version);
    if (have?.has(version)) continue;
    const meta = readCommitted(join(nameDir, entry, METADATA_FILE), logger);
    if (meta) ops.push({ op: "put", ...meta, name, version });
  }
  for (const version of have?.keys() ?? []) if (!onDisk.has(version)) ops.push({ op: "del", name, version });
  return { ops, stamp: stampOf(mtime as number) };
}

/**
 * Second look after appending `ops`: a writer or deleter of ours may have changed one of those
 * versions between our look and our append, and our line would then hide its newer one. Returns
 * the lines that restore what the disk holds now (appended after ours, so they win).
 */
export function corrections(modelDir: string, ops: ReconcileOp[], logger?: Logger): ReconcileOp[] {
  const out: ReconcileOp[] = [];
  for (const op of ops) {
    if (op.op === "drop") {
      const { ops: again } = reconcileName(modelDir, op.name, { names: new Map() }, logger);
      out.push(...again);
      continue;
    }
    const path = join(modelDir, op.name, String(op.version), METADATA_FILE);
    const meta = readCommitted(path, logger);
    if (op.op === "put" && !meta) out.push({ op: "del", name: op.name, version: op.version });
    else if (op.op === "put" && meta && meta.id !== op.id) out.push({ op: "put", ...meta, name: op.name, version: op.version });
    else if (op.op === "del" && meta) out.push({ op: "put", ...meta, name: op.name, version: op.version });
  }
  return out;
}
