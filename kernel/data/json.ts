/**
 * The `--json` shapes of the `swamp data` commands, built from repository results, so the CLI
 * renders the reference's shapes without re-deriving them.
 */
import type { DataMetadata } from "./metadata.js";
import type { QueryOutcome } from "./query.js";
import type { DataRecord } from "./record.js";
import { isJsonContentType } from "./record.js";
import type { RenameResult, VersionSummary } from "./repository.js";
import { renameWarning } from "./repository.js";

export interface ModelIdentity {
  modelId: string;
  modelName: string;
  /** Normalized model type. */
  modelType: string;
}

/** `data get --json`. `content` is parsed JSON for application/json (when it parses), else UTF-8 text; omitted when null. */
export function dataGetJson(meta: DataMetadata, model: ModelIdentity, contentPath: string, raw: Uint8Array | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: meta.id,
    name: meta.name,
    modelId: model.modelId,
    modelName: model.modelName,
    modelType: model.modelType,
    version: meta.version,
    contentType: meta.contentType,
    lifetime: meta.lifetime,
    garbageCollection: meta.garbageCollection,
    streaming: meta.streaming,
    tags: meta.tags,
    ownerDefinition: meta.ownerDefinition,
    createdAt: meta.createdAt,
  };
  if (meta.size !== undefined) out.size = meta.size;
  if (meta.checksum !== undefined) out.checksum = meta.checksum;
  if (meta.lifecycle !== undefined) out.lifecycle = meta.lifecycle;
  if (meta.renamedTo !== undefined) out.renamedTo = meta.renamedTo;
  out.contentPath = contentPath;
  if (raw !== null) {
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
    let content: unknown = text;
    if (isJsonContentType(meta.contentType)) {
      try {
        content = JSON.parse(text);
      } catch {
        content = text;
      }
    }
    out.content = content;
  }
  return out;
}

/** `data versions --json`. */
export function dataVersionsJson(dataName: string, model: ModelIdentity, versions: VersionSummary[]): Record<string, unknown> {
  return { dataName, modelId: model.modelId, modelName: model.modelName, modelType: model.modelType, versions, total: versions.length };
}

const STANDARD_GROUPS = ["log", "file", "resource", "data"];

export interface ListItemJson {
  id: string;
  name: string;
  version: number;
  contentType: string;
  type: string;
  streaming: boolean;
  size?: number;
  createdAt: string;
}

/** Order of `data list` groups: log, file, resource, data, then other types alphabetically. */
export function compareGroupTypes(a: string, b: string): number {
  const ra = STANDARD_GROUPS.indexOf(a);
  const rb = STANDARD_GROUPS.indexOf(b);
  if (ra !== -1 || rb !== -1) return (ra === -1 ? 99 : ra) - (rb === -1 ? 99 : rb);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `data list --json` (model scope): grouped by the `type` tag, standard groups first, items by name. */
export function dataListJson(model: ModelIdentity, items: DataMetadata[]): Record<string, unknown> {
  const groups = new Map<string, ListItemJson[]>();
  for (const meta of items) {
    const type = meta.tags.type ?? "";
    let group = groups.get(type);
    if (!group) {
      group = [];
      groups.set(type, group);
    }
    const item: ListItemJson = {
      id: meta.id,
      name: meta.name,
      version: meta.version,
      contentType: meta.contentType,
      type,
      streaming: meta.streaming,
      createdAt: meta.createdAt,
    };
    if (meta.size !== undefined) {
      const { createdAt, ...rest } = item;
      group.push({ ...rest, size: meta.size, createdAt });
    } else group.push(item);
  }
  const order = [...groups.keys()].sort(compareGroupTypes);
  const out = order.map((type) => ({
    type,
    items: (groups.get(type) as ListItemJson[]).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }));
  return { modelId: model.modelId, modelName: model.modelName, modelType: model.modelType, groups: out, total: items.length };
}

/** One `data query --json` result: the record without `attributes` (its `content` holds them). */
export function queryRecordJson(record: DataRecord): Record<string, unknown> {
  const { attributes: _attributes, ...rest } = record;
  return rest;
}

/** `data query --json`. */
export function dataQueryJson(outcome: QueryOutcome): Record<string, unknown> {
  if (outcome.results !== undefined) return { results: outcome.results, total: outcome.total, limited: outcome.limited };
  return { predicate: outcome.predicate, results: outcome.records.map(queryRecordJson), total: outcome.total, limited: outcome.limited };
}

/** `data rename --json`. */
export function dataRenameJson(result: RenameResult, model: ModelIdentity): Record<string, unknown> {
  return {
    oldName: result.oldName,
    newName: result.newName,
    modelId: model.modelId,
    modelName: model.modelName,
    modelType: model.modelType,
    copiedVersion: result.copiedVersion,
    newVersion: result.newVersion,
    warning: renameWarning(result.oldName, result.newName),
  };
}
