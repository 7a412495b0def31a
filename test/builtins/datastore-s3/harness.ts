/**
 * Test harness: repos whose datastore is the S3 test server, each with its own SWAMP_HOME (so
 * its own cache), built through the real kernel (createKernel + attachSync) and the real
 * DataRepository with the markDirty hook wired as the kernel will wire it.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { datastore as s3Datastore } from "../../../builtins/datastore-s3/index.js";
import type { DataMetadata } from "../../../kernel/data/metadata.js";
import { DataRepository, type WriteSpec } from "../../../kernel/data/repository.js";
import { createKernel, type Kernel } from "../../../kernel/runtime/kernel.js";
import { readMarker, writeMarker } from "../../../kernel/runtime/marker.js";
import { PluginRegistry } from "../../../kernel/runtime/registry.js";
import { initRepo } from "../../../kernel/runtime/repo-init.js";
import { attachSync, datastoreSync, markDirtyHook, type DatastoreSync } from "../../../kernel/runtime/sync.js";
import type { S3TestServer } from "../../helpers/s3-server.js";

export const MODEL_TYPE = "command/shell";

export function registryWithS3(): PluginRegistry {
  const registry = new PluginRegistry();
  registry.register({
    kind: "datastore",
    type: "s3",
    name: s3Datastore.name,
    description: s3Datastore.description,
    origin: "builtin",
    load: async () => s3Datastore as never,
  });
  registry.alias("datastore", "@swamp/s3-datastore", "s3");
  return registry;
}

export interface TestRepo {
  name: string;
  repoDir: string;
  home: string;
  env: Record<string, string | undefined>;
  kernel: Kernel;
  sync: DatastoreSync;
  data: DataRepository;
  cache: string;
  /** A fresh kernel on the same repo (as a new process would build). */
  reopen(): Promise<TestRepo>;
}

export async function makeRepo(root: string, name: string, server: S3TestServer, prefix: string, extraEnv: Record<string, string> = {}): Promise<TestRepo> {
  const repoDir = join(root, name, "repo");
  const home = join(root, name, "home");
  await mkdir(home, { recursive: true });
  await initRepo(repoDir, { force: false, version: "test" });
  const marker = await readMarker(repoDir);
  marker.datastore = { type: "s3", config: server.config({ prefix }) };
  await writeMarker(repoDir, marker);
  const env = { ...process.env, ...server.clientEnv(), SWAMP_HOME: home, ...extraEnv };
  return open(name, repoDir, home, env);
}

async function open(name: string, repoDir: string, home: string, env: Record<string, string | undefined>): Promise<TestRepo> {
  const kernel = attachSync(await createKernel({ repoDir, env, registry: registryWithS3() }));
  const sync = datastoreSync(kernel);
  if (!sync) throw new Error("expected a syncing datastore");
  const hook = markDirtyHook(kernel);
  const data = new DataRepository({ dataRoot: kernel.paths.resolve("data"), ...(hook ? { markDirty: hook } : {}) });
  const repo: TestRepo = {
    name,
    repoDir,
    home,
    env,
    kernel,
    sync,
    data,
    cache: kernel.paths.datastoreBase,
    reopen: () => open(name, repoDir, home, env),
  };
  return repo;
}

export function spec(modelId: string, name: string, overrides: Partial<WriteSpec> = {}): WriteSpec {
  return {
    modelType: MODEL_TYPE,
    modelId,
    name,
    contentType: "text/plain",
    lifetime: "infinite",
    garbageCollection: 1000,
    tags: { type: "resource", specName: "result", modelName: "m" },
    ownerDefinition: { ownerType: "model-method", ownerRef: modelId },
    ...overrides,
  };
}

/** Writes one version of `name` under the model lock, as a method run would. */
export async function writeVersion(repo: TestRepo, modelId: string, name: string, content: string): Promise<DataMetadata> {
  return repo.kernel.locks.withModelLocks([{ modelType: MODEL_TYPE, modelId }], () => repo.data.save(spec(modelId, name), content));
}

export async function versionsOf(repo: TestRepo, modelId: string, name: string): Promise<number[]> {
  return (await repo.data.versions(MODEL_TYPE, modelId, name)).map((m) => m.version).sort((a, b) => a - b);
}
