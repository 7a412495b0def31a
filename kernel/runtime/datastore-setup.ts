/**
 * Moving the datastore tier to a new filesystem path. The copy is verified (file counts) before
 * `.swamp.yaml` changes, and the source is removed only after the config points at the copy, so
 * an interrupted setup can simply be run again.
 */
import { constants } from "node:fs";
import { copyFile, lstat, mkdir, readdir, readlink, rm, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isInside } from "./safe-path.js";
import { isTempFile } from "./atomic-write.js";

export interface CopyStats {
  files: number;
  bytes: number;
  errors: string[];
}

/** Copies `src` into `dest` (merging directories), refusing to overwrite existing files. */
export async function copyTree(src: string, dest: string, stats: CopyStats): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(src, { withFileTypes: true })) {
    if (isTempFile(entry.name)) continue;
    const from = join(src, entry.name);
    const to = join(dest, entry.name);
    try {
      if (entry.isDirectory()) {
        await copyTree(from, to, stats);
      } else if (entry.isSymbolicLink()) {
        await symlink(await readlink(from), to);
        stats.files++;
      } else if (entry.isFile()) {
        await copyFile(from, to, constants.COPYFILE_EXCL);
        stats.files++;
        stats.bytes += (await lstat(to)).size;
      }
    } catch (err) {
      stats.errors.push(`${from}: ${(err as Error).message}`);
    }
  }
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

/** Copies each datastore-tier directory from `sourceBase` to `destBase` and verifies counts. */
export async function migrateDirectories(sourceBase: string, destBase: string, directories: readonly string[]): Promise<MigrationResult> {
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
    await copyTree(from, to, stats);
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
