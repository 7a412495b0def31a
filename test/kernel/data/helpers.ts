import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataRepository } from "../../../kernel/data/repository.js";
import type { DataRepositoryOptions, WriteSpec } from "../../../kernel/data/repository.js";

export const MODEL_TYPE = "command/shell";
export const MODEL_ID = "7347cf2c-cc9e-4203-8897-e10845af9732";
export const OWNER = { ownerType: "model-method", ownerRef: MODEL_ID } as const;

export interface TempRepo {
  root: string;
  dataRoot: string;
  repo: DataRepository;
  warnings: string[];
  dirty: Array<string | undefined>;
  cleanup(): Promise<void>;
}

export async function tempRepo(options: Partial<DataRepositoryOptions> = {}): Promise<TempRepo> {
  const root = await mkdtemp(join(tmpdir(), "swamp-data-"));
  const dataRoot = join(root, ".swamp", "data");
  const warnings: string[] = [];
  const dirty: Array<string | undefined> = [];
  const repo = new DataRepository({
    dataRoot,
    logger: { warn: (m) => warnings.push(m) },
    markDirty: async (p) => {
      dirty.push(p);
    },
    ...options,
  });
  return { root, dataRoot, repo, warnings, dirty, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export function resourceSpec(name: string, overrides: Partial<WriteSpec> = {}): WriteSpec {
  return {
    modelType: MODEL_TYPE,
    modelId: MODEL_ID,
    name,
    contentType: "application/json",
    lifetime: "infinite",
    garbageCollection: 10,
    tags: { type: "resource", specName: "result", modelName: "hello-world" },
    ownerDefinition: { ...OWNER },
    ...overrides,
  };
}

export function fileSpec(name: string, overrides: Partial<WriteSpec> = {}): WriteSpec {
  return resourceSpec(name, {
    contentType: "text/plain",
    streaming: true,
    tags: { type: "file", specName: "log", modelName: "hello-world" },
    ...overrides,
  });
}

/** A clock that advances one second per call, from a fixed start. */
export function steppingClock(startIso = "2026-04-07T18:02:58.146Z", stepMs = 1000): () => Date {
  let t = Date.parse(startIso);
  return () => {
    const d = new Date(t);
    t += stepMs;
    return d;
  };
}
