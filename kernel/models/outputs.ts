/**
 * Method-run output records: `outputs/<type>/<method>/<definition-id>-<startedAt>.yaml`, written
 * once in a terminal state, with the run's log file beside it (`.log`).
 *
 * Reading accepts swamp's records too (models.md §5.8): they carry no `modelName` (resolved
 * through the definition id) and no `type` (taken from the path), may be in a non-terminal
 * state, and their timestamps may be YAML timestamps. A file of any other shape is skipped
 * with a warning, never fatal to a listing.
 */
import { readdir, readFile } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { fromYaml, toYaml } from "../runtime/yaml.js";
import { atomicWriteFile, isTempFile } from "../runtime/atomic-write.js";
import { safeJoin } from "../runtime/safe-path.js";

export type OutputStatus = "succeeded" | "failed" | "cancelled";

/** Who started a run: by hand (`model method run`), or a workflow step (with its run's ids). */
export type Provenance =
  | { definitionHash: string; modelVersion: number; triggeredBy: "manual"; driver: string }
  | {
      definitionHash: string;
      modelVersion: number;
      triggeredBy: "workflow";
      workflowId: string;
      workflowRunId: string;
      stepName: string;
      initiatedBy?: string;
      driver: string;
    };

export interface OutputRecord {
  id: string;
  definitionId: string;
  modelName: string;
  type: string;
  methodName: string;
  status: OutputStatus;
  startedAt: string;
  completedAt: string;
  durationMs: number;
  error?: { message: string; code?: string };
  retryCount: number;
  provenance: Provenance;
  artifacts: { dataArtifacts: Array<{ dataId: string; name: string; version: number; tags: Record<string, string> }> };
  logFile: string;
  pid: number;
}

export type StoredStatus = OutputStatus | "pending" | "running";
const STORED_STATUSES: readonly string[] = ["succeeded", "failed", "cancelled", "pending", "running"];

/** A record as read back (ours or swamp's): fields swamp may leave out are optional. */
export interface StoredOutput extends Omit<OutputRecord, "status" | "completedAt" | "durationMs" | "pid"> {
  /** Ours are terminal; swamp's may still be in flight. */
  status: StoredStatus;
  completedAt?: string;
  durationMs?: number;
  pid?: number;
  /** Absolute path of the record file. */
  path: string;
}

export interface OutputReadOptions {
  /** Name of the model a definition id belongs to (swamp's records do not store it). */
  modelName?(definitionId: string): Promise<string | undefined>;
  /** Told about every record file that is skipped. */
  warn?(message: string): void;
}

/** An ISO string from a quoted timestamp or a YAML timestamp; undefined otherwise. */
function isoOf(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The record in `raw` (parsed from `path`), normalized; a string saying what is wrong when it
 * is not a run record. `modelName` stays empty when the file does not hold it.
 */
export function outputFromYaml(raw: unknown, path: string, root: string): StoredOutput | string {
  if (!isObject(raw)) return "not a mapping";
  for (const key of ["id", "definitionId", "methodName", "status"]) {
    if (typeof raw[key] !== "string" || raw[key] === "") return `${key} must be a non-empty string`;
  }
  if (!STORED_STATUSES.includes(raw.status as string)) return `unknown status "${String(raw.status)}"`;
  const startedAt = isoOf(raw.startedAt);
  if (startedAt === undefined) return "startedAt must be a timestamp";
  // outputs/<type...>/<method>/<file>: the type is every directory above the method's.
  const dirs = relative(root, path).split(sep).slice(0, -1);
  const type = typeof raw.type === "string" && raw.type !== "" ? raw.type : dirs.slice(0, -1).join("/");
  const completedAt = isoOf(raw.completedAt);
  let durationMs = typeof raw.durationMs === "number" ? raw.durationMs : undefined;
  if (durationMs === undefined && completedAt !== undefined) {
    const ms = Date.parse(completedAt) - Date.parse(startedAt);
    if (Number.isFinite(ms)) durationMs = ms;
  }
  const artifacts = isObject(raw.artifacts) && Array.isArray(raw.artifacts.dataArtifacts) ? raw.artifacts.dataArtifacts.filter(isObject) : [];
  const error = typeof raw.error === "string" ? { message: raw.error } : isObject(raw.error) ? { ...raw.error, message: String(raw.error.message ?? "") } : undefined;
  // Our own records hold an absolute path; swamp's may hold another machine's, or none.
  const logFile = typeof raw.logFile === "string" && isAbsolute(raw.logFile) && raw.logFile.startsWith(root) ? raw.logFile : `${path.replace(/\.ya?ml$/, "")}.log`;
  const out: StoredOutput = {
    id: raw.id as string,
    definitionId: raw.definitionId as string,
    modelName: typeof raw.modelName === "string" ? raw.modelName : "",
    type,
    methodName: raw.methodName as string,
    status: raw.status as StoredStatus,
    startedAt,
    retryCount: typeof raw.retryCount === "number" ? raw.retryCount : 0,
    provenance: (isObject(raw.provenance) ? raw.provenance : {}) as OutputRecord["provenance"],
    artifacts: { dataArtifacts: artifacts as OutputRecord["artifacts"]["dataArtifacts"] },
    logFile,
    path,
  };
  if (completedAt !== undefined) out.completedAt = completedAt;
  if (durationMs !== undefined) out.durationMs = durationMs;
  if (error) out.error = error as OutputRecord["error"] & object;
  if (typeof raw.pid === "number") out.pid = raw.pid;
  return out;
}

export class OutputRepository {
  constructor(
    private readonly root: string,
    /** Called before a record or log is written (a syncing datastore pushes them). */
    private readonly markDirty?: (absPath?: string) => Promise<void>,
    private readonly reading: OutputReadOptions = {},
  ) {}

  /** Announces the run's files before they are written. */
  async willWrite(basePath: string): Promise<void> {
    await this.markDirty?.(`${basePath}.log`);
    await this.markDirty?.(`${basePath}.yaml`);
  }

  /** Base path (without extension) for a run's record and log. */
  basePath(type: string, method: string, definitionId: string, startedAt: string): string {
    return safeJoin(this.root, ...type.split("/"), method, `${definitionId}-${startedAt.replace(/[:.]/g, "-")}`);
  }

  async save(record: OutputRecord, basePath: string): Promise<string> {
    const path = `${basePath}.yaml`;
    await this.markDirty?.(path);
    await atomicWriteFile(path, toYaml(record));
    return path;
  }

  /**
   * Every record, newest first, ours and swamp's alike (model names of swamp's resolved through
   * their definition ids). Output history is a listing command, not a hot path.
   */
  async list(): Promise<StoredOutput[]> {
    const out: StoredOutput[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (/\.ya?ml$/.test(e.name) && !isTempFile(e.name)) {
          let record: StoredOutput | string;
          try {
            record = outputFromYaml(fromYaml(await readFile(p, "utf8")), p, this.root);
          } catch (err) {
            record = (err as Error).message.split("\n")[0] ?? "unreadable";
          }
          if (typeof record === "string") this.reading.warn?.(`Skipping run record ${relative(this.root, p)}: ${record}`);
          else out.push(record);
        }
      }
    };
    await walk(this.root);
    const names = new Map<string, string>();
    for (const record of out) {
      if (record.modelName !== "" || !this.reading.modelName) continue;
      if (!names.has(record.definitionId)) names.set(record.definitionId, (await this.reading.modelName(record.definitionId)) ?? "");
      record.modelName = names.get(record.definitionId) as string;
    }
    return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  /** By full id, unique id prefix (≥ 3 chars), or model name (its latest run). */
  async find(ref: string): Promise<StoredOutput | null> {
    const all = await this.list();
    const exact = all.find((r) => r.id === ref);
    if (exact) return exact;
    if (/^[0-9a-f-]{3,}$/i.test(ref)) {
      const byPrefix = all.filter((r) => r.id.startsWith(ref.toLowerCase()));
      if (byPrefix.length === 1) return byPrefix[0]!;
    }
    return all.find((r) => r.modelName === ref) ?? null;
  }
}
