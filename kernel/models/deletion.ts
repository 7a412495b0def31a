/**
 * What a method's kind means for the model's resources (seed 001 "Deletion Markers"): after a
 * successful `delete` method every declared resource item that is still live gets a deletion
 * marker (a version with `lifecycle: deleted` holding its last attributes, `deletedAt` and
 * `deletedByMethod`); a `read` or `update` method refuses to run once every declared resource
 * item is deleted, so it never works on something that no longer exists.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import type { DataHandle, ModelTypePlugin } from "../contract/ports/model-type.js";
import type { DataMetadata } from "../data/metadata.js";
import { isDeleted } from "../data/metadata.js";
import type { DataRepository } from "../data/repository.js";

/** The latest version of each data item written under one of the type's declared resource specs. */
async function declaredResourceItems(data: DataRepository, plugin: ModelTypePlugin, modelType: string, modelId: string): Promise<DataMetadata[]> {
  const specs = new Set(Object.keys(plugin.resources ?? {}));
  if (specs.size === 0) return [];
  return (await data.list(modelType, modelId)).filter((meta) => specs.has(meta.tags.specName ?? "") && meta.renamedTo === undefined);
}

/** Throws `resource_deleted` when every declared resource item of the model is deleted. */
export async function refuseWhenDeleted(data: DataRepository, plugin: ModelTypePlugin, modelType: string, modelId: string): Promise<void> {
  const items = await declaredResourceItems(data, plugin, modelType, modelId);
  if (items.length === 0 || !items.every(isDeleted)) return;
  const last = items.reduce((a, b) => (a.createdAt >= b.createdAt ? a : b));
  throw new SwampError(ErrorCode.resourceDeleted, `Resource '${last.name}' was deleted at ${last.createdAt} — run a 'create' method to re-create it first`, {
    details: { name: last.name, deletedAt: last.createdAt },
  });
}

/** Writes a deletion marker for every live declared resource item; returns their handles. */
export async function markResourcesDeleted(data: DataRepository, plugin: ModelTypePlugin, modelType: string, modelId: string, method: string): Promise<DataHandle[]> {
  const handles: DataHandle[] = [];
  for (const meta of await declaredResourceItems(data, plugin, modelType, modelId)) {
    if (isDeleted(meta)) continue;
    handles.push(await data.writeDeletionMarker(modelType, modelId, meta.name, { deletedByMethod: method }));
  }
  return handles;
}
