/**
 * Direct type execution (`swamp model @<type> method run <method> <name> --input k=v`): the
 * inputs are routed by schema to method or global arguments, and a definition named <name> is
 * created in auto-definitions (or updated when its global arguments changed).
 */
import { SwampError, ErrorCode } from "../contract/errors.js";
import type { Kernel } from "../runtime/kernel.js";
import { argumentKeys, unknownMethod, validateGlobalArguments } from "./arguments.js";
import { newDefinition, newNameProblem } from "./definition.js";
import { definitionRepository, withNameLock } from "./service.js";
import { loadModelType } from "./types.js";

export interface DirectRun {
  /** The definition's id, to run it. */
  modelId: string;
  /** Inputs routed to the method. */
  methodInputs: Record<string, unknown>;
  created: boolean;
  globalsUpdated: boolean;
  path: string;
}

export async function prepareDirectRun(kernel: Kernel, type: string, method: string, name: string, inputs: Record<string, unknown>): Promise<DirectRun> {
  const problem = newNameProblem(name);
  if (problem) throw new SwampError(ErrorCode.validation, problem, { details: { name } });
  const plugin = await loadModelType(kernel.registry, type);
  const methodDef = plugin.methods[method];
  if (!methodDef) throw unknownMethod(plugin, method);

  const methodKeys = argumentKeys(methodDef.arguments);
  const globalKeys = argumentKeys(plugin.globalArguments) ?? [];
  const methodInputs: Record<string, unknown> = {};
  const globals: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(inputs)) {
    if (methodKeys === null || methodKeys.includes(key)) methodInputs[key] = value;
    else if (globalKeys.includes(key)) globals[key] = value;
    else unknown.push(key);
  }
  if (unknown.length) {
    throw new SwampError(
      ErrorCode.validation,
      `Unknown input(s): ${unknown.join(", ")}. Valid inputs are: ${[...(methodKeys ?? []), ...globalKeys].join(", ") || "none"}`,
      { details: { unknown } },
    );
  }
  const checkedGlobals = validateGlobalArguments(plugin, globals, { partial: true });

  const repo = definitionRepository(kernel);
  return withNameLock(kernel, name, async () => {
    const existing = await repo.find(name);
    if (existing) {
      if (existing.definition.type !== plugin.type) {
        throw new SwampError(
          ErrorCode.conflict,
          `Definition '${name}' exists with type '${existing.definition.type}' but '${type}' resolves to '${plugin.type}'. Type mismatch — delete the existing definition or use a different name.`,
        );
      }
      const changed = Object.keys(globals).length > 0 && JSON.stringify(existing.definition.globalArguments) !== JSON.stringify(checkedGlobals);
      let path = existing.path;
      if (changed) {
        path = await repo.save(
          { ...existing.definition, globalArguments: checkedGlobals, version: existing.definition.version + 1 },
          { auto: existing.auto, previousPath: existing.path },
        );
      }
      return { modelId: existing.definition.id, methodInputs, created: false, globalsUpdated: changed, path };
    }
    const definition = newDefinition(plugin.type, name, plugin.version, checkedGlobals);
    const path = await repo.save(definition, { auto: true });
    return { modelId: definition.id, methodInputs, created: true, globalsUpdated: false, path };
  });
}
