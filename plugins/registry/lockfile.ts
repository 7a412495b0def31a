/**
 * The extension lockfile, `<modelsDir>/upstream_extensions.json` (committed): for every pulled
 * extension, the version, where it came from, the integrity of its tarball and the files it
 * put in the repo. `swamp extension install` restores exactly these versions.
 *
 * Reading is strict about what it uses and tolerant of what older writers left out: a missing
 * file is an empty lockfile; entries may lack `files`, `checksum`, `integrity`, … (a missing
 * anchor means no verification); unknown fields are kept. A file that is not valid JSON, or an
 * entry that is not usable, is an error with a code: a damaged lockfile is never read as empty.
 *
 * Writing takes an advisory lock file next to it (holder pid and time inside, so a crashed
 * writer's lock is broken), re-reads under the lock, applies the change and writes atomically.
 * Names and keys come out in a stable order, files sorted, so diffs stay small.
 */
import { hostname } from "node:os";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { SwampError } from "../../kernel/contract/errors.js";
import { retry, TryAgain } from "../../kernel/contract/retry.js";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { extensionDirFor } from "../discover.js";

export const LOCKFILE_NAME = "upstream_extensions.json";

export const LockfileErrorCode = {
  /** The lockfile is not valid JSON or an entry cannot be used. */
  invalid: "lockfile_invalid",
  /** Another process holds the lockfile's write lock. */
  busy: "lockfile_busy",
} as const;

export interface LockfileEntry {
  /** CalVer, `YYYY.MM.DD.MICRO`. */
  version: string;
  pulledAt?: string;
  /** Repo-relative paths, sorted. */
  files?: string[];
  include?: string[];
  /** SRI (`sha512-…`) of the tarball, as the registry's `dist.integrity`. */
  integrity?: string;
  /** SHA-256 hex of the tarball. */
  checksum?: string;
  /** Digest of the extracted tree. */
  filesChecksum?: string;
  /** The tarball URL. */
  resolved?: string;
  /** The registry it came from. */
  registry?: string;
  serverUrl?: string;
  /** Absent means stable. */
  channel?: string;
  [extra: string]: unknown;
}

export type Lockfile = Record<string, LockfileEntry>;

/** Key order in each entry; unknown keys follow, sorted. */
const KEY_ORDER = ["version", "pulledAt", "files", "include", "integrity", "checksum", "filesChecksum", "resolved", "registry", "serverUrl", "channel"];
const STRING_FIELDS = ["version", "pulledAt", "integrity", "checksum", "filesChecksum", "resolved", "registry", "serverUrl", "channel"];
const NAME = /^@[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9._-]*)+$/;

/** Where the lockfile lives: the models extension directory. */
export function lockfilePath(repoDir: string, marker: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): string {
  return join(extensionDirFor("model", repoDir, marker, env), LOCKFILE_NAME);
}

function invalid(file: string, message: string, details: Record<string, unknown> = {}): SwampError {
  return new SwampError(LockfileErrorCode.invalid, `${file}: ${message}; fix or restore the file (it is committed: git checkout it)`, {
    details: { file, ...details },
  });
}

/** A repo-relative path that stays inside the repo. */
function safeRelative(path: string): boolean {
  if (path === "" || isAbsolute(path) || path.includes("\\") || path.includes("\0")) return false;
  return !path.split("/").some((segment) => segment === "..");
}

function checkEntry(file: string, name: string, value: unknown): LockfileEntry {
  if (!NAME.test(name)) throw invalid(file, `"${name}" is not an extension name (@collective/name)`, { name });
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(file, `entry "${name}" must be an object`, { name });
  const entry = value as Record<string, unknown>;
  if (typeof entry.version !== "string" || entry.version === "") throw invalid(file, `entry "${name}" has no version`, { name });
  for (const key of STRING_FIELDS) {
    if (entry[key] !== undefined && typeof entry[key] !== "string") throw invalid(file, `entry "${name}": ${key} must be a string`, { name, field: key });
  }
  for (const key of ["files", "include"]) {
    const list = entry[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((p) => typeof p !== "string")) throw invalid(file, `entry "${name}": ${key} must be a list of paths`, { name, field: key });
    const bad = (list as string[]).find((p) => !safeRelative(p));
    if (bad !== undefined) throw invalid(file, `entry "${name}": path "${bad}" leaves the repo`, { name, field: key, path: bad });
  }
  return entry as LockfileEntry;
}

/** Parses lockfile text; `file` names it in errors. */
export function parseLockfile(text: string, file: string): Lockfile {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(file, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(file, "must be a JSON object of extension name → entry");
  const out: Lockfile = {};
  for (const [name, entry] of Object.entries(value)) out[name] = checkEntry(file, name, entry);
  return out;
}

/** Reads the lockfile; a missing file is an empty lockfile. */
export async function readLockfile(file: string): Promise<Lockfile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  return parseLockfile(text, file);
}

function orderedEntry(entry: LockfileEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(entry).filter((k) => entry[k] !== undefined);
  for (const key of [...KEY_ORDER.filter((k) => keys.includes(k)), ...keys.filter((k) => !KEY_ORDER.includes(k)).sort()]) {
    const value = entry[key];
    out[key] = key === "files" || key === "include" ? [...(value as string[])].sort() : value;
  }
  if (Array.isArray(out.include) && out.include.length === 0) delete out.include;
  return out;
}

/** Lockfile text: names sorted, keys in a fixed order, files sorted, 2-space indent, final newline. */
export function formatLockfile(lockfile: Lockfile): string {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(lockfile).sort()) out[name] = orderedEntry(lockfile[name]!);
  return `${JSON.stringify(out, null, 2)}\n`;
}

const LOCK_TRIES = 20;
const LOCK_WAIT_MS = 100;
/** A lock older than this is taken to be left by a crashed writer, whatever its pid says. */
const LOCK_STALE_MS = 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the lock file's holder is gone (or the file is unreadable / too old). */
async function stale(lockPath: string): Promise<boolean> {
  try {
    const holder = JSON.parse(await readFile(lockPath, "utf8")) as { pid?: number; host?: string; at?: string };
    const age = Date.now() - Date.parse(holder.at ?? "");
    if (!(age < LOCK_STALE_MS)) return true;
    return holder.host === hostname() && typeof holder.pid === "number" && !alive(holder.pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

async function acquire(lockPath: string): Promise<void> {
  const busy = () =>
    new SwampError(LockfileErrorCode.busy, `Another swamp process is writing the lockfile (${lockPath}); try again when it finishes`, {
      details: { lock: lockPath },
    });
  await retry(
    async () => {
      try {
        const handle = await open(lockPath, "wx");
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
        await handle.close();
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          await mkdir(dirname(lockPath), { recursive: true });
          throw new TryAgain(err, { delayMs: 0 });
        }
        if (code !== "EEXIST") throw err;
        if (await stale(lockPath)) {
          await unlink(lockPath).catch(() => {});
          throw new TryAgain(err, { delayMs: 0 });
        }
        throw new TryAgain(err);
      }
    },
    { attempts: LOCK_TRIES, baseMs: LOCK_WAIT_MS, factor: 1, jitter: "none", giveUp: busy },
  );
}

/**
 * Changes the lockfile under its write lock: re-reads it, passes it to `change` (which edits it
 * in place or returns a new one), and writes the result atomically. Returns what was written.
 */
export async function updateLockfile(file: string, change: (current: Lockfile) => Lockfile | void | Promise<Lockfile | void>): Promise<Lockfile> {
  const lockPath = `${file}.lock`;
  await acquire(lockPath);
  try {
    const current = await readLockfile(file);
    const next = (await change(current)) ?? current;
    for (const [name, entry] of Object.entries(next)) checkEntry(file, name, entry);
    await atomicWriteFile(file, formatLockfile(next));
    return next;
  } finally {
    await unlink(lockPath).catch(() => {});
  }
}
