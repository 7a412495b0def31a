/**
 * Moving the datastore tier to a new filesystem path. The copy is verified (file counts) before
 * `.swamp.yaml` changes, and the source is removed only after the config points at the copy, so
 * an interrupted setup can simply be run again: the copy skips files already copied intact and
 * replaces partial ones.
 */
import { constants } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readlink, rename, rm, symlink, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { errorMessage } from "../contract/errors.js";
import { fsWriteError } from "./fs-errors.js";
import { isInside } from "./safe-path.js";
import { fsyncDir, isTempFile, tempFileTarget, tempPathFor } from "./atomic-write.js";

export interface CopyStats {
  files: number;
  bytes: number;
  errors: string[];
}

/** True when both regular files hold the same bytes (sizes first, then content in chunks). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a), lstat(b)]);
  if (!sa.isFile() || !sb.isFile() || sa.size !== sb.size) return false;
  const [fa, fb] = await Promise.all([open(a, "r"), open(b, "r")]);
  try {
    const bufA = Buffer.alloc(1 << 16);
    const bufB = Buffer.alloc(1 << 16);
    for (let pos = 0; pos < sa.size; ) {
      const [ra, rb] = await Promise.all([fa.read(bufA, 0, bufA.length, pos), fb.read(bufB, 0, bufB.length, pos)]);
      if (ra.bytesRead === 0 || ra.bytesRead !== rb.bytesRead) return false; // changed while read
      if (!bufA.subarray(0, ra.bytesRead).equals(bufB.subarray(0, rb.bytesRead))) return false;
      pos += ra.bytesRead;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

async function readlinkOrNull(path: string): Promise<string | null> {
  try {
    return await readlink(path);
  } catch {
    return null;
  }
}

/** Copies one regular file to a temp name beside `to`, flushes it, renames it into place. */
async function copyFileAtomically(from: string, to: string): Promise<void> {
  const temp = tempPathFor(to);
  try {
    await copyFile(from, temp, constants.COPYFILE_EXCL);
    const handle = await open(temp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, to);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** Temp files an interrupted copy left beside files of `names` (copied by now): never data. */
async function removeLeftoverTemps(dest: string, names: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dest)) {
    const target = tempFileTarget(name);
    if (target !== null && names.has(target)) await unlink(join(dest, name)).catch(() => {});
  }
}

/**
 * Copies `src` into `dest` (merging directories). Safe to run again over a copy that was
 * interrupted: a destination file with identical bytes (a symlink with the same target) counts
 * as done; a missing, partial or different one is replaced atomically (temp file + rename), so
 * a kill at any point leaves each destination file either absent, old, or complete, and the
 * temp files such a kill leaves behind are removed by the next run.
 */
export async function copyTree(src: string, dest: string, stats: CopyStats, onFile?: () => void): Promise<void> {
  await mkdir(dest, { recursive: true });
  const entries = await readdir(src, { withFileTypes: true });
  for (const entry of entries) {
    if (isTempFile(entry.name)) continue;
    const from = join(src, entry.name);
    const to = join(dest, entry.name);
    try {
      if (entry.isDirectory()) {
        await copyTree(from, to, stats, onFile);
      } else if (entry.isSymbolicLink()) {
        const target = await readlink(from);
        if ((await readlinkOrNull(to)) !== target) {
          const temp = tempPathFor(to);
          await symlink(target, temp);
          await rename(temp, to).catch(async (err: unknown) => {
            await unlink(temp).catch(() => {});
            throw err;
          });
        }
        stats.files++;
        onFile?.();
      } else if (entry.isFile()) {
        const done = await sameBytes(from, to).catch(() => false);
        if (!done) await copyFileAtomically(from, to);
        stats.files++;
        stats.bytes += (await lstat(to)).size;
        onFile?.();
      }
    } catch (err) {
      stats.errors.push(`${from}: ${errorMessage(fsWriteError(err, to))}`);
    }
  }
  await removeLeftoverTemps(dest, new Set(entries.map((e) => e.name)));
  await fsyncDir(dest);
}

export async function countFiles(dir: string): Promise<number> {
  let n = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (isTempFile(entry.name)) continue;
    if (entry.isDirectory()) n += await countFiles(join(dir, entry.name));
    else n++;
  }
  return n;
}

export interface MigrationResult {
  filesCopied: number;
  bytesCopied: number;
  directoriesMigrated: string[];
  errors: string[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies each datastore-tier directory from `sourceBase` to `destBase` and verifies counts.
 * `onProgress` hears the running count of files copied (a progress line on a terminal).
 */
export async function migrateDirectories(
  sourceBase: string,
  destBase: string,
  directories: readonly string[],
  onProgress?: (filesCopied: number) => void,
): Promise<MigrationResult> {
  const result: MigrationResult = { filesCopied: 0, bytesCopied: 0, directoriesMigrated: [], errors: [] };
  if (resolve(sourceBase) === resolve(destBase)) return result;
  for (const dir of directories) {
    const from = join(sourceBase, dir);
    const to = join(destBase, dir);
    if (!(await exists(from))) continue;
    if (isInside(from, to) || isInside(to, from)) {
      result.errors.push(`${dir}: source ${from} and destination ${to} overlap`);
      continue;
    }
    const stats: CopyStats = { files: 0, bytes: 0, errors: [] };
    const before = result.filesCopied;
    await copyTree(from, to, stats, onProgress && (() => onProgress(before + stats.files)));
    result.filesCopied += stats.files;
    result.bytesCopied += stats.bytes;
    result.errors.push(...stats.errors);
    const expected = await countFiles(from);
    if (stats.errors.length === 0 && stats.files !== expected) {
      result.errors.push(`${dir}: copied ${stats.files} of ${expected} files`);
    }
    if (stats.errors.length === 0) result.directoriesMigrated.push(dir);
  }
  return result;
}

export async function removeDirectories(base: string, directories: readonly string[]): Promise<void> {
  for (const dir of directories) await rm(join(base, dir), { recursive: true, force: true });
}
