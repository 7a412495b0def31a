/**
 * Workflow run records: `workflow-runs/<workflowId>/workflow-run-<runId>.yaml` in the datastore
 * tier, the run's log beside it (`.log`), a cancel request beside it (`.cancel`) while one is
 * pending, and a per-workflow summary index `.runs-index.json` in the repo's own
 * `.swamp/workflow-runs/<workflowId>/` (never synced).
 *
 * The records are the truth; the index only saves parsing them. Every listing checks the index
 * against the directory (each entry remembers the size and mtime of the file it was read from),
 * so a record added, changed or removed by another program is picked up on the next listing.
 *
 * Liveness: a `running`/`pending` record names its process (`pid`, `host`) and is re-stamped
 * (`heartbeatAt`) every HEARTBEAT_INTERVAL_MS by that process. Whoever lists or reads runs
 * repairs a record whose process is provably gone — same host and the pid is dead, or the
 * heartbeat is older than STALE_AFTER_MS — to `failed` (or `cancelled` when a cancel request was
 * waiting for it), so nothing shows `running` forever and retention and lifetimes work.
 */
import { hostname } from "node:os";
import { mkdir, readdir, readFile, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fromYaml, toYaml } from "../runtime/yaml.js";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { atomicWriteFile, isTempFile } from "../runtime/atomic-write.js";
import type { Kernel } from "../runtime/kernel.js";
import { isProcessAlive } from "../runtime/locks.js";
import { safeJoin } from "../runtime/safe-path.js";
import { TERMINAL_RUN_STATUSES } from "./types.js";
import type { JobRun, RunRecord, RunStatus, RunSummary, StepRun } from "./types.js";

/** How often a running process re-stamps `heartbeatAt` on its record. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A heartbeat older than this means the process that owned the run is gone. */
export const STALE_AFTER_MS = 6 * HEARTBEAT_INTERVAL_MS;

export const RUNS_SUBDIR = "workflow-runs";
const INDEX_FILE = ".runs-index.json";
const INDEX_VERSION = 2;
const RECORD_FILE = /^workflow-run-(.+)\.yaml$/;
/** Ids become path segments: letters, digits and `._-`, starting with a letter or digit. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RUN_STATUSES: readonly RunStatus[] = ["pending", "running", "suspended", "succeeded", "failed", "cancelled"];

/** Minimum length of a run id prefix accepted in place of a full id. */
export const MIN_PREFIX = 3;

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

/** The fields a running process stamps on its record at every save and heartbeat. */
export function livenessStamp(now = new Date()): { pid: number; host: string; heartbeatAt: string } {
  return { pid: process.pid, host: hostname(), heartbeatAt: now.toISOString() };
}

/** Milliseconds between two ISO timestamps, when both parse. */
export function durationMs(startedAt: string | undefined, completedAt: string | undefined): number | undefined {
  if (startedAt === undefined || completedAt === undefined) return undefined;
  const ms = Date.parse(completedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) ? ms : undefined;
}

export function summaryOf(run: RunRecord): RunSummary {
  const s: RunSummary = {
    runId: run.id,
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    status: run.status,
    tags: run.tags,
    inputs: run.inputs,
  };
  if (run.startedAt !== undefined) s.startedAt = run.startedAt;
  if (run.completedAt !== undefined) s.completedAt = run.completedAt;
  const duration = durationMs(run.startedAt, run.completedAt);
  if (duration !== undefined) s.duration = duration;
  if (run.triggerSource !== undefined) s.triggerSource = run.triggerSource;
  if (run.failedStep !== undefined) s.failedStep = run.failedStep;
  if (run.failureReason !== undefined) s.failureReason = run.failureReason;
  if (run.stepProgress !== undefined) s.stepProgress = run.stepProgress;
  return s;
}

/** Newest first by `startedAt` (a run without one counts as time 0), then by id. */
export function newestFirst(a: { startedAt?: string; runId: string }, b: { startedAt?: string; runId: string }): number {
  const ta = a.startedAt ? Date.parse(a.startedAt) || 0 : 0;
  const tb = b.startedAt ? Date.parse(b.startedAt) || 0 : 0;
  if (ta !== tb) return tb - ta;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

function isId(value: string): boolean {
  return SAFE_ID.test(value) && value.length <= 200;
}

function requireId(value: string, what: string): void {
  if (!isId(value)) throw new SwampError(ErrorCode.validation, `Invalid ${what}: "${value}"`, { details: { [what]: value } });
}

// ---- reading and writing records ----

function isoOf(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === "string" && value !== "") return value;
  return undefined;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(value)) for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/** Timestamps may come back as Date objects (YAML 1.1 readers) or strings; ours are always ISO strings. */
function normalizeTimes<T extends Record<string, unknown>>(obj: T, keys: readonly string[]): T {
  for (const key of keys) {
    if (!(key in obj)) continue;
    const iso = isoOf(obj[key]);
    if (iso === undefined) delete obj[key];
    else (obj as Record<string, unknown>)[key] = iso;
  }
  return obj;
}

const TIME_KEYS = ["startedAt", "completedAt", "heartbeatAt"] as const;

/** A parsed record, checked enough to be listed and rewritten; throws on anything unusable. */
export function recordFromYaml(text: string): RunRecord {
  const doc = fromYaml(text) as unknown;
  if (!isMap(doc)) throw new Error("not a mapping");
  const id = doc.id;
  const workflowId = doc.workflowId;
  if (typeof id !== "string" || !isId(id)) throw new Error("missing or invalid id");
  if (typeof workflowId !== "string" || !isId(workflowId)) throw new Error("missing or invalid workflowId");
  if (typeof doc.status !== "string" || !RUN_STATUSES.includes(doc.status as RunStatus)) throw new Error(`invalid status ${JSON.stringify(doc.status)}`);
  const run = { ...doc } as Record<string, unknown>;
  run.workflowName = typeof doc.workflowName === "string" ? doc.workflowName : workflowId;
  run.tags = stringMap(doc.tags);
  run.inputs = isMap(doc.inputs) ? doc.inputs : {};
  if (typeof run.pid !== "number") delete run.pid;
  normalizeTimes(run, TIME_KEYS);
  const jobs = Array.isArray(doc.jobs) ? doc.jobs : [];
  run.jobs = jobs.filter(isMap).map((job) => {
    const j = normalizeTimes({ ...job }, TIME_KEYS) as Record<string, unknown>;
    j.steps = (Array.isArray(job.steps) ? job.steps : []).filter(isMap).map((step) => normalizeTimes({ ...step }, TIME_KEYS));
    return j;
  });
  if (typeof run.triggerSource !== "string") run.triggerSource = "manual";
  return run as unknown as RunRecord;
}

const KEY_ORDER = [
  "id",
  "workflowId",
  "workflowName",
  "status",
  "startedAt",
  "completedAt",
  "jobs",
  "tags",
  "inputs",
  "resumeInputs",
  "logFile",
  "pid",
  "host",
  "heartbeatAt",
  "initiatedBy",
  "instanceId",
  "triggerSource",
  "failedStep",
  "failureReason",
  "stepProgress",
  "workflowDataArtifacts",
];

/** YAML of a record: keys in the reference's order, empty optional fields left out, every timestamp a quoted string. */
export function recordToYaml(run: RunRecord): string {
  const src = run as unknown as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of [...KEY_ORDER, ...Object.keys(src).filter((k) => !KEY_ORDER.includes(k))]) {
    const v = src[key];
    if (v === undefined || v === null) continue;
    ordered[key] = v;
  }
  return toYaml(ordered);
}

// ---- the index ----

interface IndexEntry extends Omit<RunSummary, "runId" | "duration"> {
  /** Size and mtime of the record file this entry was read from: a mismatch means re-read it. */
  fileSize?: number;
  fileMtimeMs?: number;
}

interface IndexFile {
  version: number;
  entries: Record<string, IndexEntry>;
  /**
   * The run directory as it was when the entries were last checked against it. Records are
   * written by renaming a temp file into place (here and in swamp), which changes the
   * directory: while it is unchanged the entries are current and a listing reads no record
   * file — it stays flat however many runs there are.
   */
  dirStamp?: DirStamp;
}

interface DirStamp {
  ino: number;
  mtimeMs: number;
}

function stampOf(st: { ino: number; mtimeMs: number } | null): DirStamp | undefined {
  return st ? { ino: st.ino, mtimeMs: st.mtimeMs } : undefined;
}

function sameStamp(a: DirStamp | undefined, b: DirStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.mtimeMs === b.mtimeMs;
}

function entryOf(run: RunRecord, file: { size: number; mtimeMs: number } | null): IndexEntry {
  const { runId: _runId, duration: _duration, ...rest } = summaryOf(run);
  const entry: IndexEntry = rest;
  if (file) {
    entry.fileSize = file.size;
    entry.fileMtimeMs = file.mtimeMs;
  }
  return entry;
}

function summaryFromEntry(runId: string, e: IndexEntry): RunSummary {
  const { fileSize: _s, fileMtimeMs: _m, ...rest } = e;
  const s: RunSummary = { runId, ...rest, tags: rest.tags ?? {}, inputs: rest.inputs ?? {} };
  const duration = durationMs(s.startedAt, s.completedAt);
  if (duration !== undefined) s.duration = duration;
  return s;
}

// ---- the store ----

export interface RunStoreOptions {
  /** A damaged record or index is skipped (never fatal); this hears about it. */
  onWarning?(message: string): void;
  /** Reference time for liveness (tests). */
  now?: () => number;
  /**
   * Repair orphaned runs as they are read (default true). `workflow cancel` picks its targets
   * without it, so a run whose process is gone is recorded `cancelled` — the user's intent —
   * rather than `failed`.
   */
  repairOrphans?: boolean;
}

export interface RunRef {
  workflowId: string;
  runId: string;
}

export interface CancelRequest {
  reason: string;
  requestedAt: string;
}

export class RunStore {
  /** Where records and logs live (the datastore tier). */
  readonly root: string;
  /** Where the per-workflow indexes live (always the repo's own `.swamp/`). */
  readonly indexRoot: string;
  private readonly repoDir: string;
  private readonly markDirty: ((absPath?: string) => Promise<void>) | undefined;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;
  private readonly repairOrphans: boolean;
  private readonly host = hostname();

  constructor(kernel: Pick<Kernel, "paths" | "repoDir" | "markDirty">, options: RunStoreOptions = {}) {
    this.root = kernel.paths.resolve(RUNS_SUBDIR);
    this.indexRoot = kernel.paths.local(RUNS_SUBDIR);
    this.repoDir = kernel.repoDir;
    this.markDirty = kernel.markDirty;
    this.warn = options.onWarning ?? (() => {});
    this.now = options.now ?? Date.now;
    this.repairOrphans = options.repairOrphans ?? true;
  }

  workflowDir(workflowId: string): string {
    requireId(workflowId, "workflowId");
    return safeJoin(this.root, workflowId);
  }

  recordPath(workflowId: string, runId: string): string {
    requireId(runId, "runId");
    return safeJoin(this.workflowDir(workflowId), `workflow-run-${runId}.yaml`);
  }

  logPath(workflowId: string, runId: string): string {
    requireId(runId, "runId");
    return safeJoin(this.workflowDir(workflowId), `workflow-run-${runId}.log`);
  }

  /** The log path as a record stores it: relative to the repo directory. */
  logFileField(workflowId: string, runId: string): string {
    return relative(this.repoDir, this.logPath(workflowId, runId));
  }

  /**
   * Absolute path of a run's log. The record stores it repo-relative; a value pointing outside
   * the run directories (a hand-edited or foreign record) is not followed: the standard path is used.
   */
  logFileOf(run: RunRecord): string {
    const standard = this.logPath(run.workflowId, run.id);
    if (!run.logFile) return standard;
    const abs = resolve(this.repoDir, run.logFile);
    const rel = relative(this.root, abs);
    return rel.startsWith("..") || isAbsolute(rel) ? standard : abs;
  }

  private cancelPath(workflowId: string, runId: string): string {
    requireId(runId, "runId");
    return safeJoin(this.workflowDir(workflowId), `workflow-run-${runId}.cancel`);
  }

  private indexPath(workflowId: string): string {
    requireId(workflowId, "workflowId");
    return safeJoin(this.indexRoot, workflowId, INDEX_FILE);
  }

  /** Writes the record atomically and upserts its index entry. */
  async save(run: RunRecord): Promise<string> {
    const path = this.recordPath(run.workflowId, run.id);
    const dir = this.workflowDir(run.workflowId);
    await this.markDirty?.(path);
    const dirBefore = stampOf(await stat(dir).catch(() => null));
    await atomicWriteFile(path, recordToYaml(run));
    const st = await stat(path).catch(() => null);
    const dirAfter = stampOf(await stat(dir).catch(() => null));
    await this.updateIndex(run.workflowId, (index) => {
      index.entries[run.id] = entryOf(run, st);
      // Only our own rename happened in between: the entries stay as current as they were.
      if (sameStamp(index.dirStamp, dirBefore)) index.dirStamp = dirAfter;
      else delete index.dirStamp;
    });
    return path;
  }

  /** The record as stored, without liveness repair; null when missing; throws when damaged. */
  private async readRecord(workflowId: string, runId: string): Promise<RunRecord | null> {
    let text: string;
    try {
      text = await readFile(this.recordPath(workflowId, runId), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    const run = recordFromYaml(text);
    if (run.id !== runId || run.workflowId !== workflowId) throw new Error(`its id/workflowId (${run.id}/${run.workflowId}) do not match its path`);
    return run;
  }

  /** A run (repaired when its process is gone), or null when there is none or it is damaged. */
  async get(workflowId: string, runId: string): Promise<RunRecord | null> {
    let run: RunRecord | null;
    try {
      run = await this.readRecord(workflowId, runId);
    } catch (err) {
      this.warn(`Skipping damaged workflow run record ${this.recordPath(workflowId, runId)}: ${(err as Error).message}`);
      return null;
    }
    return run ? this.repairIfOrphaned(run) : null;
  }

  /** Whether the run record exists (what `data gc` asks for `workflow`/`job` lifetimes). */
  async exists(workflowId: string, runId: string): Promise<boolean> {
    if (!isId(workflowId) || !isId(runId)) return false;
    try {
      await stat(this.recordPath(workflowId, runId));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  /** Workflow ids that have a run directory. */
  async workflowIds(): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return names.filter(isId).sort();
  }

  /** Run ids of the workflow's record files (names only, nothing read). */
  private async runIdsOf(workflowId: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.workflowDir(workflowId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const ids: string[] = [];
    for (const name of names) {
      if (isTempFile(name)) continue;
      const m = RECORD_FILE.exec(name);
      if (m && isId(m[1] as string)) ids.push(m[1] as string);
    }
    return ids;
  }

  private async readIndex(workflowId: string): Promise<IndexFile> {
    try {
      const parsed = JSON.parse(await readFile(this.indexPath(workflowId), "utf8")) as Partial<IndexFile>;
      if (parsed.version !== INDEX_VERSION || !isMap(parsed.entries)) return { version: INDEX_VERSION, entries: {} };
      const stamp = parsed.dirStamp;
      const valid = isMap(stamp) && typeof stamp.ino === "number" && typeof stamp.mtimeMs === "number";
      return { version: INDEX_VERSION, entries: parsed.entries as Record<string, IndexEntry>, ...(valid ? { dirStamp: { ino: stamp.ino, mtimeMs: stamp.mtimeMs } } : {}) };
    } catch {
      return { version: INDEX_VERSION, entries: {} }; // missing, legacy or damaged: rebuilt from the records
    }
  }

  /**
   * Rewritten in place, not renamed: in the default layout the index shares the directory with
   * the records, and a rename would change the directory stamp it relies on. A torn or
   * interleaved write does not parse, and an index that does not parse is rebuilt.
   */
  private async writeIndex(workflowId: string, index: IndexFile): Promise<void> {
    const path = this.indexPath(workflowId);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(index)}\n`);
  }

  private async updateIndex(workflowId: string, change: (index: IndexFile) => void): Promise<void> {
    const index = await this.readIndex(workflowId);
    change(index);
    await this.writeIndex(workflowId, index);
  }

  /**
   * The summaries of a workflow's runs, newest first: index entries checked against the record
   * files, re-read where a file changed, dropped where it is gone, and repaired where the
   * process owning a running run is gone.
   */
  async list(workflowId: string): Promise<RunSummary[]> {
    const dir = this.workflowDir(workflowId);
    // Stamped before the scan: a write racing with it changes the directory again.
    const dirStamp = stampOf(await stat(dir).catch(() => null));
    const index = await this.readIndex(workflowId);
    const entries = index.entries;
    const current = sameStamp(index.dirStamp, dirStamp);
    const ids = current ? Object.keys(entries) : await this.runIdsOf(workflowId);
    let changed = !current;
    const fresh: Record<string, IndexEntry> = current ? entries : {};
    for (const runId of current ? [] : ids) {
      const path = safeJoin(dir, `workflow-run-${runId}.yaml`);
      const st = await stat(path).catch(() => null);
      if (!st) {
        changed = true;
        continue;
      }
      const known = entries[runId];
      if (known && known.fileSize === st.size && known.fileMtimeMs === st.mtimeMs) {
        fresh[runId] = known;
        continue;
      }
      changed = true;
      try {
        const run = await this.readRecord(workflowId, runId);
        if (run) fresh[runId] = entryOf(run, st);
      } catch (err) {
        this.warn(`Skipping damaged workflow run record ${path}: ${(err as Error).message}`);
      }
    }
    if (changed) await this.writeIndex(workflowId, { version: INDEX_VERSION, entries: fresh, ...(dirStamp ? { dirStamp } : {}) });

    const out: RunSummary[] = [];
    for (const [runId, entry] of Object.entries(fresh)) {
      if (entry.status === "running" || entry.status === "pending") {
        const run = await this.get(workflowId, runId); // repairs (and re-indexes) an orphan
        if (run) out.push(summaryOf(run));
        continue;
      }
      out.push(summaryFromEntry(runId, entry));
    }
    return out.sort(newestFirst);
  }

  /** Every run of every workflow, newest first. */
  async listAll(): Promise<RunSummary[]> {
    const out: RunSummary[] = [];
    for (const workflowId of await this.workflowIds()) out.push(...(await this.list(workflowId)));
    return out.sort(newestFirst);
  }

  /** The newest run of a workflow (repaired when orphaned), or null. */
  async latest(workflowId: string): Promise<RunRecord | null> {
    for (const s of await this.list(workflowId)) {
      const run = await this.get(workflowId, s.runId);
      if (run) return run;
    }
    return null;
  }

  /**
   * Workflow ids whose runs carry this workflow name (or the id itself when it has runs). A
   * deleted workflow has no runs and so is not found here.
   */
  async resolveWorkflow(nameOrId: string): Promise<string[]> {
    const ids = await this.workflowIds();
    if (ids.includes(nameOrId)) return [nameOrId];
    const out: string[] = [];
    for (const workflowId of ids) {
      const names = await this.workflowNamesOf(workflowId);
      if (names.has(nameOrId)) out.push(workflowId);
    }
    return out;
  }

  /** Names a workflow's runs were recorded under: from its index, or one record when there is no index. */
  private async workflowNamesOf(workflowId: string): Promise<Set<string>> {
    const entries = Object.values((await this.readIndex(workflowId)).entries);
    if (entries.length > 0) return new Set(entries.map((e) => e.workflowName));
    return new Set((await this.list(workflowId)).map((s) => s.workflowName));
  }

  /**
   * A run by full id, unique prefix (≥ MIN_PREFIX characters) or — with a workflow — `latest`.
   * Searches one workflow when given, else all. Null when nothing matches; an ambiguous prefix
   * is an error listing the candidates.
   */
  async find(ref: string, workflowId?: string): Promise<RunRef | null> {
    if (ref === "latest") {
      if (workflowId === undefined) return null;
      const [newest] = await this.list(workflowId);
      return newest ? { workflowId, runId: newest.runId } : null;
    }
    const scopes = workflowId !== undefined ? [workflowId] : await this.workflowIds();
    const matches: RunRef[] = [];
    const needle = ref.toLowerCase();
    for (const wf of scopes) {
      for (const runId of await this.runIdsOf(wf)) {
        if (runId === ref) return { workflowId: wf, runId };
        if (ref.length >= MIN_PREFIX && runId.toLowerCase().startsWith(needle)) matches.push({ workflowId: wf, runId });
      }
    }
    if (matches.length === 1) return matches[0] as RunRef;
    if (matches.length > 1) {
      throw new SwampError(
        ErrorCode.ambiguousRunId,
        `Ambiguous ID prefix "${ref}" matches:\n${matches.map((m) => `  ${m.runId}`).join("\n")}`,
        { details: { prefix: ref, matches: matches.map((m) => m.runId) } },
      );
    }
    return null;
  }

  /** Removes a run's record, log and cancel request, and its index entry. */
  async deleteRun(workflowId: string, runId: string): Promise<void> {
    const paths = [this.recordPath(workflowId, runId), this.logPath(workflowId, runId), this.cancelPath(workflowId, runId)];
    for (const path of paths) {
      await this.markDirty?.(path);
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
    }
    await this.updateIndex(workflowId, (index) => {
      delete index.entries[runId];
      delete index.dirStamp;
    });
    // Leave no empty directory behind (a non-empty one stays: rmdir refuses).
    if ((await this.runIdsOf(workflowId)).length === 0) {
      await rm(safeJoin(this.indexRoot, workflowId, INDEX_FILE), { force: true });
      await rmdir(safeJoin(this.indexRoot, workflowId)).catch(() => {});
      await rmdir(this.workflowDir(workflowId)).catch(() => {});
    }
  }

  /** Removes every run of a workflow (what `workflow delete` does); returns how many there were. */
  async deleteWorkflowRuns(workflowId: string): Promise<number> {
    const count = (await this.runIdsOf(workflowId)).length;
    const dir = this.workflowDir(workflowId);
    await this.markDirty?.(dir);
    await rm(dir, { recursive: true, force: true });
    await rm(safeJoin(this.indexRoot, workflowId), { recursive: true, force: true });
    return count;
  }

  // ---- cancellation ----

  /** Asks the process running the run to stop: a small file beside the record it polls. */
  async requestCancel(workflowId: string, runId: string, reason: string): Promise<void> {
    const path = this.cancelPath(workflowId, runId);
    await this.markDirty?.(path);
    const request: CancelRequest = { reason, requestedAt: new Date(this.now()).toISOString() };
    await atomicWriteFile(path, `${JSON.stringify(request)}\n`);
  }

  /** The reason of a pending cancel request for the run, or null when none was made. */
  async cancelReason(workflowId: string, runId: string): Promise<string | null> {
    let text: string;
    try {
      text = await readFile(this.cancelPath(workflowId, runId), "utf8");
    } catch {
      return null;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CancelRequest>;
      return typeof parsed.reason === "string" && parsed.reason !== "" ? parsed.reason : DEFAULT_CANCEL_REASON;
    } catch {
      return DEFAULT_CANCEL_REASON; // a request is a request, even when its file is damaged
    }
  }

  /** Marks a run `cancelled` without its process (it is gone): running units fail, the reason is a tag. */
  async markCancelled(run: RunRecord, reason: string): Promise<RunRecord> {
    const at = new Date(this.now()).toISOString();
    const next = endRunningUnits(run, "cancelled", at);
    next.status = "cancelled";
    next.completedAt = at;
    next.tags = { ...next.tags, cancel_reason: reason };
    await this.save(next);
    await unlink(this.cancelPath(run.workflowId, run.id)).catch(() => {});
    return next;
  }

  // ---- liveness ----

  /** Whether the process that owns a running/pending run is provably gone. */
  isOrphaned(run: RunRecord): boolean {
    if (run.status !== "running" && run.status !== "pending") return false;
    const heartbeat = run.heartbeatAt ? Date.parse(run.heartbeatAt) : NaN;
    const staleHeartbeat = Number.isFinite(heartbeat) && this.now() - heartbeat > STALE_AFTER_MS;
    // A record without a host (written by the reference) is taken to come from this machine.
    const local = run.host === undefined || run.host === this.host;
    if (local && typeof run.pid === "number") return !isProcessAlive(run.pid) || staleHeartbeat;
    return staleHeartbeat;
  }

  /** Repairs (and saves) a run whose process is gone; returns the record as it now stands. */
  async repairIfOrphaned(run: RunRecord): Promise<RunRecord> {
    if (!this.repairOrphans || !this.isOrphaned(run)) return run;
    const reason = await this.cancelReason(run.workflowId, run.id);
    if (reason !== null) return this.markCancelled(run, reason);
    const at = new Date(this.now()).toISOString();
    const next = endRunningUnits(run, "interrupted", at);
    next.status = "failed";
    next.completedAt = at;
    next.tags = { ...next.tags, interrupt_reason: "process_exited" };
    next.failureReason ??= "Run interrupted: the process running it exited";
    await this.save(next);
    return next;
  }
}

export const DEFAULT_CANCEL_REASON = "Cancelled by user";

/** A copy of the run whose running steps and jobs have failed with `why` ("interrupted" or "cancelled"). */
function endRunningUnits(run: RunRecord, why: "interrupted" | "cancelled", at: string): RunRecord {
  const error = why === "interrupted" ? "interrupted: the process running the workflow exited" : "cancelled";
  const jobs: JobRun[] = run.jobs.map((job) => {
    const steps: StepRun[] = job.steps.map((step) =>
      step.status === "running" || step.status === "waiting_approval" ? { ...step, status: "failed", error, completedAt: at } : step,
    );
    return job.status === "running" ? { ...job, status: "failed", completedAt: at, steps } : { ...job, steps };
  });
  const next: RunRecord = { ...run, jobs };
  if (why === "interrupted" && next.failedStep === undefined) {
    for (const job of run.jobs) {
      const step = job.steps.find((s) => s.status === "running");
      if (step) {
        next.failedStep = step.stepName;
        break;
      }
    }
  }
  return next;
}

/**
 * The executing process's handle on its own record: saves are serialized (a heartbeat save that
 * started earlier can never land after a later status save), every save stamps liveness, and
 * a timer re-saves every HEARTBEAT_INTERVAL_MS while the run is active.
 */
export class RunWriter {
  private chain: Promise<unknown> = Promise.resolve();
  /** A save queued but not started: later changes ride on it (a burst costs one write). */
  private waiting: Promise<string> | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: RunStore,
    readonly run: RunRecord,
  ) {}

  /** Saves the record as it stands now (after any save already queued). */
  save(): Promise<string> {
    if (this.waiting) return this.waiting;
    const next = this.chain.then(() => {
      this.waiting = null;
      Object.assign(this.run, livenessStamp());
      return this.store.save(this.run);
    });
    this.waiting = next;
    this.chain = next.catch(() => {});
    return next;
  }

  /** Starts the heartbeat; a failed heartbeat save is reported, never thrown. */
  startHeartbeat(onError: (err: unknown) => void = () => {}, intervalMs = HEARTBEAT_INTERVAL_MS): void {
    this.stopHeartbeat();
    this.timer = setInterval(() => {
      this.save().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stopHeartbeat(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The pending cancel request's reason, or null (the executor polls this). */
  cancelReason(): Promise<string | null> {
    return this.store.cancelReason(this.run.workflowId, this.run.id);
  }
}
