/**
 * What a cache remembers about its remote, in `<cache>/.swamp-sync/` (hidden, never synced):
 *
 *   state.json        the summary: which remote it mirrors, the last root seen (and its ETag),
 *                     the root ETag at which every shard was fully applied (the fast path:
 *                     one conditional GET answers "unchanged"), and per shard {seq, applied}.
 *   shards/<id>.json  one replica per index shard: the remote entries as last read (with that
 *                     response's ETag and seq) and, per path, what this cache materialised —
 *                     the content hash it downloaded or uploaded plus the file's stat then.
 *                     "Present" is a fact recorded at transfer time, which is what makes
 *                     deletion safe: only a file we know we had, and that is now gone, is a
 *                     local delete; a remote-only file is never mistaken for one.
 *   dirty.log         markDirty paths, appended (O_APPEND + fsync) before every write, so a
 *                     crash between a write and its push loses nothing; rotated by a push and
 *                     removed only after the push committed.
 *   lock              a local mutex: one pull/push at a time per cache (processes on this
 *                     machine share the cache); stale when its process is gone.
 *
 * Every file is written atomically (temp + rename). A missing or corrupt file means "start
 * from nothing" (refetch), never an error and never a deletion.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { retry, TryAgain } from "../../kernel/contract/retry.js";
import { atomicCreateFile, atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import type { IndexEntry, RootDoc } from "./manifest.js";

export const STATE_DIR = ".swamp-sync";
const STATE_VERSION = 1;

export interface ShardSummary {
  seq: number;
  applied: number;
}

export interface SyncState {
  v: number;
  /** Which remote this cache mirrors; a different one resets the state. */
  remote: string;
  root: RootDoc | null;
  rootEtag: string | null;
  /** Root ETag at which every shard was applied to this cache. */
  appliedRootEtag: string | null;
  shards: Record<string, ShardSummary>;
}

/** What this cache holds at a path: content hash, and the stat signature it had then. */
export interface LocalEntry {
  h: string;
  /** `ino:size:mtimeNs:ctimeNs` at record time. */
  st?: string;
  /** mtime (ms) at record time. */
  mt?: number;
  /** When recorded (ms). */
  at: number;
}

export interface Replica {
  /** ETag of the remote shard these entries came from (null: never read or absent). */
  etag: string | null;
  seq: number;
  applied: number;
  entries: Record<string, IndexEntry>;
  local: Record<string, LocalEntry>;
  /** Paths whose remote object was missing (entry hash remembered, not retried until it changes). */
  missing: Record<string, string>;
}

export function emptyReplica(): Replica {
  return { etag: null, seq: 0, applied: 0, entries: {}, local: {}, missing: {} };
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export interface FileStat {
  sig: string;
  size: number;
  mtimeMs: number;
}

/** Stat signature of a regular file, or null when it is missing or not a file. */
export async function fileStat(path: string): Promise<FileStat | null> {
  try {
    const s = await stat(path, { bigint: true });
    if (!s.isFile()) return null;
    return { sig: `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, size: Number(s.size), mtimeMs: Number(s.mtimeMs) };
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return null;
    throw err;
  }
}

/**
 * The recorded hash still describes the file when its stat signature is unchanged and the
 * record was taken well after the file's last modification (the "racily clean" rule: a
 * same-size rewrite within the filesystem's timestamp granularity could keep the signature).
 */
export function recordStillValid(local: LocalEntry | undefined, st: FileStat): boolean {
  if (!local || local.st === undefined || local.mt === undefined) return false;
  return local.st === st.sig && local.at - local.mt > 2000;
}

export function localEntry(h: string, st: FileStat | null): LocalEntry {
  const e: LocalEntry = { h, at: Date.now() };
  if (st) {
    e.st = st.sig;
    e.mt = st.mtimeMs;
  }
  return e;
}

export class StateStore {
  readonly dir: string;

  constructor(
    cachePath: string,
    private readonly remote: string,
  ) {
    this.dir = join(cachePath, STATE_DIR);
  }

  private fresh(): SyncState {
    return { v: STATE_VERSION, remote: this.remote, root: null, rootEtag: null, appliedRootEtag: null, shards: {} };
  }

  async readState(): Promise<SyncState> {
    try {
      const v = JSON.parse(await readFile(join(this.dir, "state.json"), "utf8")) as SyncState;
      if (v.v !== STATE_VERSION || v.remote !== this.remote || typeof v.shards !== "object" || v.shards === null) {
        if (v.remote !== this.remote) await this.resetReplicas();
        return this.fresh();
      }
      return v;
    } catch {
      return this.fresh();
    }
  }

  async writeState(state: SyncState): Promise<void> {
    await atomicWriteFile(join(this.dir, "state.json"), JSON.stringify(state));
  }

  /** Drops every replica (the cache now mirrors a different remote). */
  private async resetReplicas(): Promise<void> {
    const dir = join(this.dir, "shards");
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    await Promise.all(names.map((n) => unlink(join(dir, n)).catch(() => {})));
  }

  async readReplica(id: string): Promise<Replica> {
    try {
      const v = JSON.parse(await readFile(join(this.dir, "shards", `${id}.json`), "utf8")) as Replica;
      if (typeof v.entries !== "object" || typeof v.local !== "object") return emptyReplica();
      return { etag: v.etag ?? null, seq: v.seq ?? 0, applied: v.applied ?? 0, entries: v.entries, local: v.local, missing: v.missing ?? {} };
    } catch {
      return emptyReplica();
    }
  }

  async writeReplica(id: string, replica: Replica): Promise<void> {
    await atomicWriteFile(join(this.dir, "shards", `${id}.json`), JSON.stringify(replica));
  }

  async replicaIds(): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, "shards"))).filter((n) => /^[0-9a-f]{2}\.json$/.test(n)).map((n) => n.slice(0, 2));
    } catch {
      return [];
    }
  }
}

// ---- dirty log ----

export interface DirtyMarks {
  paths: Set<string>;
  bulk: boolean;
}

interface PendingLog {
  file: string;
  bytes: number;
}

function parseMarks(text: string, into: DirtyMarks): void {
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const v = JSON.parse(line) as { p?: unknown; b?: unknown };
      if (v.b === 1) into.bulk = true;
      else if (typeof v.p === "string" && v.p !== "") into.paths.add(v.p);
    } catch {
      // a torn line from a crash: the next full scan covers it
      into.bulk = true;
    }
  }
}

/**
 * markDirty's persistent record. Appends are single small O_APPEND writes followed by fsync,
 * so processes sharing the cache never interleave and a crash after the call keeps the mark.
 */
export class DirtyLog {
  private readonly live: string;
  private pending: PendingLog[] = [];

  constructor(private readonly dir: string) {
    this.live = join(dir, "dirty.log");
  }

  async append(mark: { p?: string; b?: 1 }): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const handle = await open(this.live, "a", 0o644);
    try {
      await handle.write(`${JSON.stringify(mark)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Reads every mark without taking them (pull uses this to protect pending local changes). */
  async peek(): Promise<DirtyMarks> {
    const marks: DirtyMarks = { paths: new Set(), bulk: false };
    for (const name of await this.logFiles()) {
      try {
        parseMarks(await readFile(join(this.dir, name), "utf8"), marks);
      } catch {
        // vanished meanwhile
      }
    }
    return marks;
  }

  private async logFiles(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n === "dirty.log" || (n.startsWith("dirty-") && n.endsWith(".log"))).sort();
    } catch {
      return [];
    }
  }

  /** Moves the live log aside and reads every pending log (caller holds the cache mutex). */
  async take(): Promise<DirtyMarks> {
    try {
      await rename(this.live, join(this.dir, `dirty-${Date.now()}-${randomBytes(4).toString("hex")}.log`));
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
    }
    const marks: DirtyMarks = { paths: new Set(), bulk: false };
    this.pending = [];
    for (const name of await this.logFiles()) {
      if (name === "dirty.log") continue;
      const file = join(this.dir, name);
      try {
        const text = await readFile(file, "utf8");
        parseMarks(text, marks);
        this.pending.push({ file, bytes: Buffer.byteLength(text) });
      } catch {
        // vanished meanwhile
      }
    }
    return marks;
  }

  /** After a successful push: drops the logs taken (keeping anything appended to them since). */
  async commit(keep: Iterable<string> = []): Promise<void> {
    for (const { file, bytes } of this.pending) {
      try {
        const text = await readFile(file);
        if (text.length > bytes) {
          const tail = text.subarray(bytes).toString("utf8");
          const marks: DirtyMarks = { paths: new Set(), bulk: false };
          parseMarks(tail, marks);
          for (const p of marks.paths) await this.append({ p });
          if (marks.bulk) await this.append({ b: 1 });
        }
        await unlink(file);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
    }
    this.pending = [];
    for (const p of keep) await this.append({ p });
  }
}

// ---- local mutex ----

const MUTEX_STALE_MS = 10 * 60_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, "EPERM");
  }
}

/** One pull or push at a time per cache directory. Waits honour `signal`. */
export async function withCacheMutex<T>(dir: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, "lock");
  const token = `${process.pid}:${hostname()}:${randomBytes(6).toString("hex")}`;
  const atOnce = new TryAgain(undefined, { delayMs: 0 });
  await retry(
    async () => {
      if (await atomicCreateFile(path, token, { durable: false })) return;
      let body: string;
      let mtimeMs: number;
      try {
        const [text, st] = await Promise.all([readFile(path, "utf8"), stat(path)]);
        body = text;
        mtimeMs = st.mtimeMs;
      } catch {
        throw atOnce;
      }
      const [pid, host] = body.split(":");
      const dead = host === hostname() && pid !== undefined && /^\d+$/.test(pid) && !processAlive(Number(pid));
      if (!dead && Date.now() - mtimeMs <= MUTEX_STALE_MS) throw new TryAgain();
      // Take the stale file aside, then make sure it is the one we judged: a holder that
      // arrived in between gets its lock linked back.
      const aside = `${path}.stale-${randomBytes(4).toString("hex")}`;
      try {
        await rename(path, aside);
      } catch {
        throw atOnce;
      }
      const taken = await readFile(aside, "utf8").catch(() => body);
      if (taken !== body) await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw atOnce;
    },
    { baseMs: 20, maxMs: 500, jitter: "none", ...(signal ? { signal } : {}) },
  );
  const touch = setInterval(() => {
    void open(path, "r+")
      .then(async (h) => {
        const now = new Date();
        await h.utimes(now, now).finally(() => h.close());
      })
      .catch(() => {});
  }, 60_000);
  touch.unref();
  try {
    return await fn();
  } finally {
    clearInterval(touch);
    try {
      if ((await readFile(path, "utf8")) === token) await unlink(path);
    } catch {
      // already gone
    }
  }
}
