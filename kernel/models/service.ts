/**
 * The models side of a kernel: where definitions live for this repo.
 */
import { join, resolve } from "node:path";
import { DataRepository } from "../data/repository.js";
import type { DefinitionLookup } from "../expressions/context.js";
import type { Kernel } from "../runtime/kernel.js";
import { assertHeld } from "../runtime/locks.js";
import { OutputRepository } from "./outputs.js";
import { DefinitionRepository } from "./repository.js";

export function definitionRepository(kernel: Kernel): DefinitionRepository {
  return new DefinitionRepository({
    modelsDir: resolve(kernel.repoDir, "models"),
    autoDir: kernel.paths.resolve("auto-definitions"),
    indexPath: kernel.paths.local("definitions-index.json"),
    ...(kernel.markDirty ? { markDirty: kernel.markDirty } : {}),
  });
}

/**
 * The repo's versioned data, telling a syncing datastore about every change before it is made,
 * and refusing to commit a version once the writer has lost its lock.
 */
export function dataRepository(kernel: Kernel): DataRepository {
  return new DataRepository({
    dataRoot: kernel.paths.resolve("data"),
    beforeCommit: assertHeld,
    ...(kernel.markDirty ? { markDirty: kernel.markDirty } : {}),
  });
}

/** Method-run records and logs. */
export function outputRepository(kernel: Kernel): OutputRepository {
  return new OutputRepository(kernel.paths.resolve("outputs"), kernel.markDirty);
}

/** Repo-relative path for display. */
export function displayPath(kernel: Kernel, abs: string): string {
  const rel = abs.startsWith(kernel.repoDir + "/") ? abs.slice(kernel.repoDir.length + 1) : abs;
  return rel || join(".");
}

/** Definitions as CEL's `model.<name>` sees them. */
export function definitionLookup(repo: DefinitionRepository): DefinitionLookup {
  return {
    async find(ref) {
      const found = await repo.find(ref);
      if (!found) return null;
      const d = found.definition;
      return { id: d.id, name: d.name, version: d.version, tags: d.tags, globalArguments: d.globalArguments, inputs: d.inputs, type: d.type };
    },
  };
}
