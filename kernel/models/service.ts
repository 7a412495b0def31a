/**
 * The models side of a kernel: where definitions live for this repo.
 */
import { join, resolve } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { DataRepository } from "../data/repository.js";
import type { DefinitionLookup } from "../expressions/context.js";
import type { Kernel } from "../runtime/kernel.js";
import { assertHeld } from "../runtime/locks.js";
import { newNameProblem, type Definition } from "./definition.js";
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
 * Runs `fn` holding the lock of one model name: everything that gives a model a name (create,
 * edit, a direct type run creating its definition) takes it, so two never claim one name.
 */
export function withNameLock<T>(kernel: Kernel, name: string, fn: () => Promise<T>): Promise<T> {
  return kernel.locks.lock(`.locks/names/${encodeURIComponent(name)}.lock`).withLock(fn);
}

/**
 * Saves a definition whose name must be unique (`model create`, `model edit`): under the name's
 * lock, refuses with `already_exists` when a model with another id holds the name. A name that
 * changes (or a new model) must also follow the rules for new names.
 */
export async function saveWithUniqueName(
  kernel: Kernel,
  repo: DefinitionRepository,
  definition: Definition,
  options: { auto?: boolean; previousPath?: string; previousName?: string } = {},
): Promise<string> {
  if (definition.name !== options.previousName) {
    const problem = newNameProblem(definition.name);
    if (problem) throw new SwampError(ErrorCode.validation, problem, { details: { name: definition.name } });
  }
  return withNameLock(kernel, definition.name, async () => {
    if (await repo.nameTaken(definition.name, definition.id)) {
      throw new SwampError("already_exists", `Model already exists: ${definition.name}`, { details: { name: definition.name } });
    }
    return repo.save(definition, options);
  });
}

/**
 * The repo's versioned data, telling a syncing datastore about every change before it is made,
 * refusing to commit a version once the writer has lost its lock, and making swamp rebuild its
 * repo-local query catalog after our changes.
 */
export function dataRepository(kernel: Kernel): DataRepository {
  return new DataRepository({
    dataRoot: kernel.paths.resolve("data"),
    beforeCommit: assertHeld,
    foreignCatalog: kernel.paths.local("data", "_catalog.db"),
    ...(kernel.marker.autoGc ? { autoGc: true } : {}),
    ...(kernel.markDirty ? { markDirty: kernel.markDirty } : {}),
  });
}

/**
 * Method-run records and logs. Records swamp wrote name no model: their definition ids are
 * looked up (by id in the definitions index; one full listing after the first miss).
 */
export function outputRepository(kernel: Kernel, options: { warn?(message: string): void } = {}): OutputRepository {
  const definitions = definitionRepository(kernel);
  let all: Map<string, string> | null = null;
  const modelName = async (id: string): Promise<string | undefined> => {
    if (!all) {
      const found = await definitions.find(id).catch(() => null);
      if (found?.definition.id === id) return found.definition.name;
      const listed = await definitions.list({ includeAuto: true });
      all = new Map(listed.definitions.map((d) => [d.definition.id, d.definition.name]));
    }
    return all.get(id);
  };
  return new OutputRepository(kernel.paths.resolve("outputs"), kernel.markDirty, { modelName, ...(options.warn ? { warn: options.warn } : {}) });
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
