import type { DataHandle } from "../contract/ports/model-type.js";
import type { DataMetadata } from "./metadata.js";

/** The DataHandle the model-type port returns for a committed version. */
export function handleFor(meta: DataMetadata, specName?: string, attributes?: Record<string, unknown>): DataHandle {
  const handle: DataHandle = {
    name: meta.name,
    specName: specName ?? meta.tags.specName ?? "",
    kind: meta.tags.type === "resource" ? "resource" : "file",
    dataId: meta.id,
    version: meta.version,
    size: meta.size ?? 0,
    tags: meta.tags,
    metadata: {
      contentType: meta.contentType,
      lifetime: meta.lifetime,
      garbageCollection: meta.garbageCollection,
      streaming: meta.streaming,
      tags: meta.tags,
      ownerDefinition: meta.ownerDefinition,
      ...(meta.lifecycle === "deleted" ? { lifecycle: "deleted" as const } : {}),
    },
  };
  if (attributes !== undefined) handle.attributes = attributes;
  return handle;
}

