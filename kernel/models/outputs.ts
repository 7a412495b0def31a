/**
 * Method-run output records: `outputs/<type>/<method>/<definition-id>-<startedAt>.yaml`, written
 * once in a terminal state, with the run's log file beside it (`.log`).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { toYaml } from "../runtime/yaml.js";
import { atomicWriteFile } from "../runtime/atomic-write.js";
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

export class OutputRepository {
  constructor(
    private readonly root: string,
    /** Called before a record or log is written (a syncing datastore pushes them). */
    private readonly markDirty?: (absPath?: string) => Promise<void>,
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

  /** Every record, newest first. Output history is a listing command, not a hot path. */
  async list(): Promise<Array<OutputRecord & { path: string }>> {
    const out: Array<OutputRecord & { path: string }> = [];
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
        else if (e.name.endsWith(".yaml")) {
          try {
            out.push({ ...(parse(await readFile(p, "utf8")) as OutputRecord), path: p });
          } catch {
            // a record being written or damaged: skip it
          }
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  /** By full id, unique id prefix (≥ 3 chars), or model name (its latest run). */
  async find(ref: string): Promise<(OutputRecord & { path: string }) | null> {
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
