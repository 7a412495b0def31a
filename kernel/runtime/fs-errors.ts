/**
 * Filesystem failures a user can act on, as SwampErrors: a full disk (ENOSPC, EDQUOT) becomes
 * `disk_full`, a read-only filesystem (EROFS) becomes `read_only_filesystem`. Every write path
 * passes its errors through `fsWriteError`, so the CLI prints one clear line whichever file
 * failed. Other errors are returned unchanged.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";

const DISK_FULL = new Set(["ENOSPC", "EDQUOT"]);

function errnoOf(err: unknown): { code?: string; path?: string } {
  if (typeof err !== "object" || err === null) return {};
  const e = err as NodeJS.ErrnoException;
  return { ...(typeof e.code === "string" ? { code: e.code } : {}), ...(typeof e.path === "string" ? { path: e.path } : {}) };
}

/** True for the errno codes `fsWriteError` maps (and for the SwampErrors it makes). */
export function isStorageFull(err: unknown): boolean {
  const code = errnoOf(err).code;
  return code !== undefined && (DISK_FULL.has(code) || code === "EROFS" || code === ErrorCode.diskFull || code === ErrorCode.readOnlyFilesystem);
}

/**
 * Maps a write failure to `disk_full` / `read_only_filesystem`, naming the path (the one the
 * error carries, else `path`). Anything else (and an error already mapped) is returned as is.
 */
export function fsWriteError(err: unknown, path?: string): unknown {
  const errno = errnoOf(err);
  const where = errno.path ?? path;
  const at = where ? ` while writing ${where}` : "";
  if (errno.code !== undefined && DISK_FULL.has(errno.code)) {
    return new SwampError(ErrorCode.diskFull, `No space left on the device${at}. Free some space and run the command again.`, {
      details: { errno: errno.code, ...(where ? { path: where } : {}) },
      cause: err,
    });
  }
  if (errno.code === "EROFS") {
    return new SwampError(ErrorCode.readOnlyFilesystem, `The filesystem is read-only${at}. Point the datastore at a writable location or remount it read-write.`, {
      details: { errno: errno.code, ...(where ? { path: where } : {}) },
      cause: err,
    });
  }
  return err;
}

/** Runs `fn`, rethrowing its filesystem failure through `fsWriteError`. */
export async function mappingFsErrors<T>(fn: () => Promise<T>, path?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fsWriteError(err, path);
  }
}
