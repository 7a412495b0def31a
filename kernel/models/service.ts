/**
 * The models side of a kernel: where definitions live for this repo.
 */
import { join, resolve } from "node:path";
import type { Kernel } from "../runtime/kernel.js";
import { DefinitionRepository } from "./repository.js";

export function definitionRepository(kernel: Kernel): DefinitionRepository {
  return new DefinitionRepository({
    modelsDir: resolve(kernel.repoDir, kernel.marker.modelsDir ?? "models"),
    autoDir: kernel.paths.resolve("auto-definitions"),
    indexPath: kernel.paths.local("definitions-index.json"),
  });
}

/** Repo-relative path for display. */
export function displayPath(kernel: Kernel, abs: string): string {
  const rel = abs.startsWith(kernel.repoDir + "/") ? abs.slice(kernel.repoDir.length + 1) : abs;
  return rel || join(".");
}
