/**
 * The sync lifecycle around commands, for datastores whose provider syncs a local cache with
 * a remote (S3 and extensions with `createSyncService`). Filesystem datastores never get here.
 *
 *   read-only commands      no lock, no sync (they read the cache as it is)
 *   per-model writers       model locks → scoped pull → command → push → release
 *   structural commands     global lock → full pull → command → push → release
 *
 * Decisions (and why):
 *  - The push happens *before* the locks are released. Another repo that takes the same model
 *    lock next must see this command's versions when it pulls, or both would write version N.
 *  - A pull failure aborts the command before it runs: writing on top of a stale cache is how
 *    versions collide and deletions come back.
 *  - A push failure after a successful command is an error (exit 1) that says the command
 *    itself succeeded and the changes are kept locally; they stay recorded as dirty and go
 *    with the next push (any later writer, or `swamp datastore sync --push`).
 *  - A failed command still pushes what it wrote (logs, partial outputs are real data); if
 *    that push fails too, the command's own error is reported, not the push's.
 *  - Every pull and push is bounded by SWAMP_DATASTORE_SYNC_TIMEOUT_MS (default 300 s) and
 *    cancelled through an AbortSignal when the deadline passes.
 *  - After a pull that changed files under data/, the data layer's per-model index journals of
 *    the affected models are rebuilt from the files and new models are registered, so queries
 *    see pulled data at once.
 */
import { lstat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { errorMessage, SwampError } from "../contract/errors.js";
import { shortName } from "../contract/untrusted.js";
import type { DatastoreProvider, DatastoreSyncService, SyncCapabilities } from "../contract/ports/datastore.js";
import type { Env } from "./env-path.js";
import type { Kernel } from "./kernel.js";
import { normalizeModelType } from "../data/names.js";
import { LockManager, lockWaitMs, type ModelRef } from "./locks.js";

export const DEFAULT_SYNC_TIMEOUT_MS = 300_000;
export const MAX_SYNC_TIMEOUT_SECONDS = 21_600;
const PROGRESS_EVERY_MS = 30_000;
/** After a deadline fires, how long we wait for the cancelled operation to wind down. */
const ABORT_GRACE_MS = 5_000;

/** `SWAMP_DATASTORE_SYNC_TIMEOUT_MS` when it is a positive integer, else 300 s. */
export function syncTimeoutMs(env: Env): number {
  const raw = env.SWAMP_DATASTORE_SYNC_TIMEOUT_MS?.trim();
  if (raw && /^\d+$/.test(raw) && Number(raw) > 0) return Number(raw);
  return DEFAULT_SYNC_TIMEOUT_MS;
}

/** Parses a `--timeout <seconds>` flag value into milliseconds (1 … 21 600 s). */
export function parseSyncTimeoutFlag(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new SwampError("usage", `--timeout must be a positive integer (seconds); got ${text}`, { exitCode: 2 });
  const n = Number(t);
  if (n <= 0) throw new SwampError("usage", "--timeout must be greater than 0", { exitCode: 2 });
  if (n > MAX_SYNC_TIMEOUT_SECONDS) {
    throw new SwampError(
      "usage",
      `--timeout must be at most ${MAX_SYNC_TIMEOUT_SECONDS} seconds (6 hours); for longer syncs set the SWAMP_DATASTORE_SYNC_TIMEOUT_MS env var instead`,
      { exitCode: 2 },
    );
  }
  return n * 1000;
}

export type SyncDirection = "pull" | "push";

export class SyncTimeoutError extends SwampError {
  constructor(
    readonly label: string,
    readonly direction: SyncDirection,
    readonly timeoutMs: number,
  ) {
    super(
      "sync_timeout",
      `Datastore ${direction} ${direction === "pull" ? "from" : "to"} "${label}" timed out after ${timeoutMs}ms. Try one of:\n` +
        `  - set SWAMP_DATASTORE_SYNC_TIMEOUT_MS to a larger value\n` +
        `  - rerun 'swamp datastore sync${direction === "pull" ? " --pull" : " --push"} --timeout <seconds>'\n` +
        `  - check the network path to the datastore (SWAMP_S3_REQUEST_TIMEOUT_MS bounds each request)\n` +
        `  - if a lock is left behind: 'swamp datastore lock release --force'`,
      { details: { label, direction, timeoutMs } },
    );
    this.name = "SyncTimeoutError";
  }
}

export interface BoundedSyncOptions {
  label: string;
  direction: SyncDirection;
  timeoutMs: number;
  /** Called every 30 s while the operation runs. */
  onProgress?: (message: string) => void;
}

/**
 * Runs `op` with a hard deadline: at the deadline the signal aborts, and the caller gets a
 * SyncTimeoutError (even if the operation rejected with its own abort error), after giving
 * the operation a moment to wind down so nothing keeps writing behind the caller's back.
 */
export async function runBoundedSync<T>(options: BoundedSyncOptions, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timeoutError = new SyncTimeoutError(options.label, options.direction, options.timeoutMs);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let progress: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(timeoutError);
      reject(timeoutError);
    }, options.timeoutMs);
  });
  if (options.onProgress) {
    progress = setInterval(() => {
      const verb = options.direction === "pull" ? "pulling from" : "pushing to";
      options.onProgress?.(`Still ${verb} ${options.label} (elapsed ${Math.round((Date.now() - started) / 1000)}s of ${Math.round(options.timeoutMs / 1000)}s timeout)`);
    }, PROGRESS_EVERY_MS);
    progress.unref();
  }
  const work = Promise.resolve().then(() => op(controller.signal));
  work.catch(() => {});
  deadline.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (controller.signal.aborted) {
      await Promise.race([work.then(() => undefined, () => undefined), new Promise((r) => setTimeout(r, ABORT_GRACE_MS).unref())]);
      throw timeoutError;
    }
    throw err;
  } finally {
    clearTimeout(timer);
    if (progress) clearInterval(progress);
  }
}

/** What a sync service may report about its last operation and its cache (S3SyncService does). */
interface ReportingService extends DatastoreSyncService {
  lastReport?(): { changed: string[]; deleted: string[]; conflicts?: string[]; dangling?: string[]; warnings?: string[] };
  /** True when local changes wait for a push; a service without it is assumed to have some. */
  hasPendingChanges?(): Promise<boolean>;
}

export interface DatastoreSyncConfig {
  /** Human name of the remote, for messages (`s3://bucket/prefix`). */
  label: string;
  cachePath: string;
  repoDir: string;
  timeoutMs: number;
  /** Datastore directories that live in the cache (data, outputs, …). */
  directories: readonly string[];
  /** Warnings and progress (default: stderr). */
  log?: (message: string) => void;
}

export interface PullResult {
  files: number;
  changed: string[];
  deleted: string[];
  warnings: string[];
}

export interface PushResult {
  files: number;
  warnings: string[];
}

/** Turns `data/<type…>/<id>/…` model directories into (type path, id). */
function modelDirsOf(paths: readonly string[]): Array<{ type: string; id: string; rel: string }> {
  const dirs = new Map<string, { type: string; id: string; rel: string }>();
  for (const rel of paths) {
    const segs = rel.split("/");
    if (segs[0] !== "data") continue;
    let modelSegs: string[] | null = null;
    if (segs.length >= 6 && /^[0-9]+$/.test(segs[segs.length - 2] ?? "")) modelSegs = segs.slice(1, -3);
    else if (segs.length >= 5 && segs[segs.length - 1] === "latest") modelSegs = segs.slice(1, -2);
    if (!modelSegs || modelSegs.length < 2) continue;
    const id = modelSegs[modelSegs.length - 1] as string;
    const type = modelSegs.slice(0, -1).join("/");
    dirs.set(`${type}/${id}`, { type, id, rel: ["data", ...modelSegs].join("/") });
  }
  return [...dirs.values()];
}

/** One remote datastore's sync, shared by the lock manager and the markDirty hook of a kernel. */
export class DatastoreSync {
  private caps: SyncCapabilities | undefined;
  /**
   * Files moved so far by the running pull or push, for a command that draws a progress line;
   * while set, the 30-second "still pulling" lines are left out (the line says more).
   */
  onTransfer: ((direction: SyncDirection, done: number, total: number) => void) | undefined;

  constructor(
    readonly service: DatastoreSyncService,
    readonly config: DatastoreSyncConfig,
  ) {}

  private log(message: string): void {
    (this.config.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }

  capabilities(): SyncCapabilities {
    if (this.caps === undefined) {
      try {
        this.caps = this.service.capabilities?.() ?? {};
      } catch {
        this.caps = {};
      }
    }
    return this.caps;
  }

  /** Cache-relative, forward-slash path of `abs`, or null when it lies outside the cache. */
  relPath(abs: string): string | null {
    const rel = relative(this.config.cachePath, abs);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return null;
    return rel.split(sep).join("/");
  }

  /** The markDirty hook: absolute path (or none for a bulk change) → service.markDirty. */
  async markDirty(abs?: string): Promise<void> {
    if (abs === undefined) {
      await this.service.markDirty({});
      return;
    }
    const rel = this.relPath(abs);
    if (rel === null) return; // not in the cache (a repo-local path): nothing to sync
    await this.service.markDirty({ relPath: rel });
  }

  private progress(): ((m: string) => void) | undefined {
    return process.stderr.isTTY && !this.onTransfer ? (m) => this.log(m) : undefined;
  }

  /** The service's per-file callback for one direction, when a command listens. */
  private transferred(direction: SyncDirection): { onProgress?: (done: number, total: number) => void } {
    const listener = this.onTransfer;
    return listener ? { onProgress: (done, total) => listener(direction, done, total) } : {};
  }

  /** Pulls (scoped to `models` when the service supports it), bounded; invalidates the data index. */
  async pull(models?: readonly ModelRef[], timeoutMs = this.config.timeoutMs): Promise<PullResult> {
    const scoped = models && models.length > 0 && this.capabilities().scopedSync === true;
    const progress = this.progress();
    const files = await runBoundedSync(
      { label: this.config.label, direction: "pull", timeoutMs, ...(progress ? { onProgress: progress } : {}) },
      (signal) =>
        Promise.resolve(
          this.service.pullChanged({ signal, ...this.transferred("pull"), ...(scoped ? { context: { models: models.map((m) => ({ modelType: m.modelType, modelId: m.modelId })) } } : {}) }),
        ),
    );
    const report = (this.service as ReportingService).lastReport?.();
    const changed = report?.changed ?? [];
    const deleted = report?.deleted ?? [];
    const warnings = report?.warnings ?? [];
    for (const w of warnings) this.log(`warning: ${w}`);
    await this.invalidateDataIndex([...changed, ...deleted]);
    return { files: typeof files === "number" ? files : 0, changed, deleted, warnings };
  }

  /**
   * True only when the service can tell that no local change waits for a push (then a push
   * would do nothing, and needs no lock). Read locally, without requests.
   */
  async nothingToPush(): Promise<boolean> {
    const service = this.service as ReportingService;
    if (typeof service.hasPendingChanges !== "function") return false;
    try {
      return (await service.hasPendingChanges()) === false;
    } catch {
      return false;
    }
  }

  /** Pushes what is dirty, bounded. `alsoMark` are cache-relative paths to examine too. */
  async push(alsoMark: readonly string[] = [], timeoutMs = this.config.timeoutMs): Promise<PushResult> {
    // Only areas that exist are marked: writers mark what they delete themselves, and a
    // marked path that is missing makes the push look through the whole local index for what
    // used to be under it (a cost proportional to the bucket, paid by every method run).
    for (const rel of alsoMark) {
      const present = await lstat(join(this.config.cachePath, ...rel.split("/"))).then(() => true, () => false);
      if (present) await this.service.markDirty({ relPath: rel });
    }
    const progress = this.progress();
    const files = await runBoundedSync(
      { label: this.config.label, direction: "push", timeoutMs, ...(progress ? { onProgress: progress } : {}) },
      (signal) => Promise.resolve(this.service.pushChanged({ signal, ...this.transferred("push") })),
    );
    const warnings = (this.service as ReportingService).lastReport?.()?.warnings ?? [];
    for (const w of warnings) this.log(`warning: ${w}`);
    return { files: typeof files === "number" ? files : 0, warnings };
  }

  /**
   * Rebuilds the index journals of models whose files a pull changed, and registers models the
   * registry does not know yet (the data layer keeps its index beside the data, in the cache).
   */
  async invalidateDataIndex(paths: readonly string[]): Promise<void> {
    if (!this.config.directories.includes("data")) return;
    const models = modelDirsOf(paths);
    if (models.length === 0) return;
    const { DataIndex } = await import("../data/index.js");
    const { existsSync } = await import("node:fs");
    const index = new DataIndex(join(this.config.cachePath, "data"));
    for (const m of models) {
      try {
        await index.rebuildModel(m.type, m.id);
        if (existsSync(join(this.config.cachePath, ...m.rel.split("/")))) await index.register(m.type, m.id);
      } catch (err) {
        this.log(`warning: could not refresh the data index of ${m.type}/${m.id}: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * Paths a per-model command writes besides what its repositories mark: the model's data
   * directory, its evaluated definition and its output records. Marking them makes the push
   * examine them even when a writer has no markDirty hook yet.
   */
  modelAreas(models: readonly ModelRef[]): string[] {
    const dirs = new Set(this.config.directories);
    const out: string[] = [];
    for (const m of models) {
      const normalized = normalizeModelType(m.modelType);
      if (dirs.has("data") && normalized !== "") out.push(`data/${normalized}/${m.modelId}`);
      if (m.modelType !== "" && !m.modelType.split("/").some((s) => s === ".." || s === "")) {
        if (dirs.has("definitions-evaluated")) out.push(`definitions-evaluated/${m.modelType}/${m.modelId}.yaml`);
        if (dirs.has("outputs")) out.push(`outputs/${m.modelType}`);
      }
    }
    return out;
  }

  /**
   * Runs a command body, then pushes (also after a failure). A push failure after success is
   * an error saying the command succeeded and its changes are kept locally.
   */
  async runAndPush<T>(fn: () => Promise<T>, areas: readonly string[]): Promise<T> {
    let result: T | undefined;
    let failure: unknown;
    let failed = false;
    try {
      result = await fn();
    } catch (err) {
      failed = true;
      failure = err;
    }
    try {
      await this.push(areas);
    } catch (pushError) {
      if (failed) {
        this.log(`warning: pushing the changes of the failed command to ${this.config.label} also failed: ${errorMessage(pushError)}`);
        throw failure;
      }
      throw new SwampError(
        "sync_push_failed",
        `The command succeeded, but pushing its changes to ${this.config.label} failed: ${errorMessage(pushError)}. ` +
          `The changes are kept in the local cache and go with the next push ('swamp datastore sync --push').`,
        { details: { label: this.config.label, cause: (pushError as { code?: unknown })?.code ?? null }, cause: pushError },
      );
    }
    if (failed) throw failure;
    return result as T;
  }
}

/** A LockManager that pulls after taking locks and pushes before releasing them. */
export class SyncingLockManager extends LockManager {
  constructor(
    provider: DatastoreProvider,
    datastorePath: string,
    maxWaitMs: number,
    env: Env,
    readonly sync: DatastoreSync,
  ) {
    super(provider, datastorePath, maxWaitMs, env, 500); // each poll is a request: poll remote locks gently
  }

  override async withModelLocks<T>(models: readonly ModelRef[], fn: () => Promise<T>): Promise<T> {
    return super.withModelLocks(models, async () => {
      await this.sync.pull(models);
      return this.sync.runAndPush(fn, this.sync.modelAreas(models));
    });
  }

  override async withGlobalLock<T>(fn: () => Promise<T>): Promise<T> {
    return super.withGlobalLock(async () => {
      await this.sync.pull();
      // Structural commands (gc, prune) delete across models: the whole data directory is
      // examined, and files this cache had that are gone now are deleted remotely.
      return this.sync.runAndPush(fn, this.sync.config.directories.includes("data") ? ["data"] : []);
    });
  }

  /** Takes the global lock without the implicit pull and push (explicit `datastore sync`). */
  async withGlobalLockNoSync<T>(fn: () => Promise<T>): Promise<T> {
    return super.withGlobalLock(fn);
  }
}

const syncs = new WeakMap<object, DatastoreSync | null>();

/**
 * The remote as messages name it: the builtin S3 datastore by its bucket URL; any other (an
 * extension, whatever its config holds) by its type and its own description.
 */
function labelOf(kernel: Kernel): string {
  const { type, config, description } = kernel.datastore;
  const c = config as { bucket?: unknown; prefix?: unknown };
  if (type === "s3" && typeof c.bucket === "string") {
    const prefix = typeof c.prefix === "string" ? c.prefix.replace(/^\/+|\/+$/g, "") : "";
    return `s3://${c.bucket}${prefix ? `/${prefix}` : ""}`;
  }
  return description ? `${type} (${shortName(description.replace(/\s+/g, " "))})` : `${type} datastore`;
}

/** The kernel's DatastoreSync (one per kernel), or null when its datastore does not sync. */
export function datastoreSync(kernel: Kernel): DatastoreSync | null {
  if (syncs.has(kernel)) return syncs.get(kernel) ?? null;
  const { provider, cachePath } = kernel.datastore;
  let sync: DatastoreSync | null = null;
  if (provider.createSyncService && cachePath) {
    sync = new DatastoreSync(provider.createSyncService(kernel.repoDir, cachePath), {
      label: labelOf(kernel),
      cachePath,
      repoDir: kernel.repoDir,
      timeoutMs: syncTimeoutMs(kernel.env),
      directories: kernel.datastore.directories,
    });
  }
  syncs.set(kernel, sync);
  return sync;
}

/** The `markDirty` option for DataRepository (and other cache writers) of this kernel. */
export function markDirtyHook(kernel: Kernel): ((absPath?: string) => Promise<void>) | undefined {
  const sync = datastoreSync(kernel);
  return sync ? (absPath?: string) => sync.markDirty(absPath) : undefined;
}

/** Installs the syncing lock manager on a kernel whose datastore syncs; returns the kernel. */
export function attachSync(kernel: Kernel): Kernel {
  const sync = datastoreSync(kernel);
  if (sync && !(kernel.locks instanceof SyncingLockManager)) {
    kernel.locks = new SyncingLockManager(kernel.datastore.provider, kernel.datastore.datastorePath, lockWaitMs(kernel.env), kernel.env, sync);
  }
  return kernel;
}
