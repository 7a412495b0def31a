/**
 * The workflow side of a kernel: this repo's workflow files, and what validating them looks
 * things up in (the repo's definitions and the registered model types).
 */
import type { Kernel } from "../runtime/kernel.js";
import { compileExpression } from "../expressions/engine.js";
import { definitionRepository } from "../models/service.js";
import { loadModelType } from "../models/types.js";
import { WorkflowRepository, workflowsDirFor, type ShadowedWorkflow } from "./repository.js";
import type { StoredWorkflow } from "./types.js";
import type { ValidationEnvironment } from "./validate.js";

export function workflowRepository(kernel: Kernel): WorkflowRepository {
  return new WorkflowRepository({
    dir: workflowsDirFor(kernel.repoDir, kernel.marker),
    repoDir: kernel.repoDir,
    // Create and rename claim a name under its lock, so two never take one name.
    withNameLock: (name, fn) => kernel.locks.lock(`.locks/workflow-names/${encodeURIComponent(name)}.lock`).withLock(fn),
    ...(kernel.extensionWorkflowDirs ? { extensionDirs: kernel.extensionWorkflowDirs } : {}),
  });
}

export function validationEnvironment(
  kernel: Kernel,
  repo: WorkflowRepository,
  allWorkflows?: readonly StoredWorkflow[],
  shadowed?: readonly ShadowedWorkflow[],
): ValidationEnvironment {
  const definitions = definitionRepository(kernel);
  return {
    async findDefinition(ref) {
      return (await definitions.find(ref))?.definition ?? null;
    },
    loadType: (type) => loadModelType(kernel.registry, type),
    ...(allWorkflows ? { allWorkflows } : {}),
    ...(shadowed ? { shadowed } : {}),
    displayPath: (path) => repo.displayPath(path),
    parseExpression: (source) => void compileExpression(source),
  };
}
