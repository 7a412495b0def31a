/**
 * The one way we persist a file: write a temp file in the same directory, fsync it, rename it
 * over the target, fsync the directory. A reader sees the old content or the new, never a torn
 * file; a crash leaves at worst a `.<name>.<random>.tmp` that readers ignore. A full disk or a
 * read-only filesystem fails with `disk_full` / `read_only_filesystem` and leaves no temp file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink, link } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { mappingFsErrors } from "./fs-errors.js";

export interface AtomicWriteOptions {
  /** File mode for the new file (default 0o644). */
  mode?: number;
  /** Create missing parent directories (default true). */
  mkdirs?: boolean;
  /** Skip fsync (for derived, rebuildable files such as indexes and caches). */
  durable?: boolean;
}

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
}

/** The file a temp file of `tempPathFor` was made for (its base name), or null for other names. */
export function tempFileTarget(name: string): string | null {
  const m = /^\.(.+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  return m ? (m[1] ?? null) : null;
}

/** True for the temp files this module creates, so walkers can skip them. */
export function isTempFile(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}

async function writeTemp(target: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<string> {
  if (options.mkdirs !== false) await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  const handle = await open(temp, "wx", options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (options.durable !== false) await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await handle.close();
  return temp;
}

export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Writes a new file that no reader can see yet (inside a claimed, uncommitted version
 * directory): exclusive create, write, fsync, no temp file and no rename. Its directory entry
 * becomes durable with the directory's next fsync (the commit's); a crash before the commit
 * leaves an unfinished version that readers ignore. A failed write removes the file.
 */
export function writeUnpublishedFile(target: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  return mappingFsErrors(async () => {
    const handle = await open(target, "wx", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await unlink(target).catch(() => {});
      throw err;
    }
    await handle.close();
  }, target);
}

/** Atomically replaces (or creates) `target` with `data`. */
export function atomicWriteFile(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  return mappingFsErrors(() => replaceFile(target, data, options), target);
}

async function replaceFile(target: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const temp = await writeTemp(target, data, options);
  try {
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  if (options.durable !== false) await fsyncDir(dirname(target));
}

/**
 * Atomically creates `target` with `data` only if it does not exist yet. Returns false when
 * it already exists. Readers never observe the file half-written (hard link of a complete temp).
 */
export function atomicCreateFile(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<boolean> {
  return mappingFsErrors(() => createFile(target, data, options), target);
}

async function createFile(target: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<boolean> {
  const temp = await writeTemp(target, data, options);
  try {
    await link(temp, target);
    if (options.durable !== false) await fsyncDir(dirname(target));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
}
