/**
 * The read operations of a method context — `dataRepository`, `definitionRepository` and
 * `queryData` — implemented once over the kernel's repositories. Builtin methods get this
 * object directly; extension methods reach the same object through host calls
 * (plugins/host/ports/model.ts), so the two never differ.
 *
 * Every name is checked before it becomes part of a path: a data name with `..`, `/`, `\`,
 * NUL, a leading `.` or `latest`, or an unusable model id or type, fails with
 * `validation_failed` instead of being looked up.
 */
import type {
  ContextReads,
  DataItem,
  DefinitionItem,
  MethodDataRepository,
  MethodDefinitionRepository,
  ModelTypeRef,
} from "../contract/ports/model-type.js";
import { modelTypeString as modelTypeOf } from "../contract/ports/model-type.js";
import { invalid } from "../data/errors.js";
import type { DataMetadata } from "../data/metadata.js";
import { modelTypePath, validateDataName, validateModelId } from "../data/names.js";
import type { DataRepository } from "../data/repository.js";
import { UUID_PATTERN, type Definition } from "./definition.js";
import type { DefinitionRepository } from "./repository.js";

/** A metadata record as the JSON-safe DataItem methods receive. */
export function dataItemOf(meta: DataMetadata): DataItem {
  const owner: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.ownerDefinition)) if (typeof v === "string") owner[k] = v;
  return {
    id: meta.id,
    name: meta.name,
    version: meta.version,
    contentType: meta.contentType,
    lifetime: meta.lifetime,
    garbageCollection: meta.garbageCollection,
    streaming: meta.streaming,
    tags: { ...meta.tags },
    ownerDefinition: { ownerType: meta.ownerDefinition.ownerType, ownerRef: meta.ownerDefinition.ownerRef, ...owner },
    createdAt: meta.createdAt,
    lifecycle: meta.lifecycle === "deleted" ? "deleted" : "active",
    ...(meta.size !== undefined ? { size: meta.size } : {}),
    ...(meta.checksum !== undefined ? { checksum: meta.checksum } : {}),
    ...(meta.renamedTo !== undefined ? { renamedTo: meta.renamedTo } : {}),
  };
}

function definitionItemOf(definition: Definition): DefinitionItem {
  return JSON.parse(JSON.stringify({ ...definition, type: definition.type ?? "" })) as DefinitionItem;
}

/** True when the definition's type normalizes to `normalized`. */
function isType(definition: Definition, normalized: string): boolean {
  try {
    return modelTypePath(definition.type ?? "") === normalized;
  } catch {
    return false;
  }
}

function checkedVersion(version: number | undefined): number | undefined {
  if (version === undefined || version === null) return undefined;
  if (!Number.isSafeInteger(version) || version < 1) throw invalid(`Version must be a positive integer, got ${String(version)}`, { version });
  return version;
}

export interface ContextReadsOptions {
  /**
   * Inside a workflow run: `queryData` sees only data this run wrote (owner's or tag
   * `workflowRunId`), as `data.findBySpec` does. Point reads of `dataRepository` stay global.
   */
  workflowRunId?: string;
}

export function createContextReads(data: DataRepository, definitions: DefinitionRepository, options: ContextReadsOptions = {}): ContextReads {
  /** The definition UUID for `ref` (a UUID, or a definition's name). */
  const resolveModelId = async (ref: string): Promise<string> => {
    if (typeof ref === "string" && !UUID_PATTERN.test(ref)) {
      const found = await definitions.find(ref).catch(() => null);
      if (found) return found.definition.id;
    }
    validateModelId(ref);
    return ref;
  };
  /** Normalized type and model id, both checked. */
  const model = async (type: ModelTypeRef, modelId: string): Promise<[string, string]> => [modelTypePath(modelTypeOf(type)), await resolveModelId(modelId)];
  const named = async (type: ModelTypeRef, modelId: string, dataName: string): Promise<[string, string, string]> => {
    validateDataName(dataName);
    const [t, id] = await model(type, modelId);
    return [t, id, dataName];
  };

  const dataRepository: MethodDataRepository = {
    namespace: "",
    async findByName(type, modelId, dataName, version) {
      const [t, id, name] = await named(type, modelId, dataName);
      const meta = await data.get(t, id, name, checkedVersion(version));
      return meta ? dataItemOf(meta) : null;
    },
    async findById(type, modelId, dataId, version) {
      const [t, id] = await model(type, modelId);
      const wanted = checkedVersion(version);
      const latest = (await data.list(t, id)).find((m) => m.id === dataId);
      if (!latest) return null;
      if (wanted === undefined) return dataItemOf(latest);
      const meta = await data.get(t, id, latest.name, wanted);
      return meta ? dataItemOf(meta) : null;
    },
    async listVersions(type, modelId, dataName) {
      const [t, id, name] = await named(type, modelId, dataName);
      return (await data.versions(t, id, name)).map((m) => m.version).sort((a, b) => a - b);
    },
    async getLatestVersion(type, modelId, dataName) {
      const [t, id, name] = await named(type, modelId, dataName);
      return (await data.getLatestNoFollow(t, id, name))?.version ?? null;
    },
    async findAllForModel(type, modelId) {
      const [t, id] = await model(type, modelId);
      return (await data.list(t, id)).map(dataItemOf);
    },
    async findAllGlobal() {
      const snapshots = await data.index.loadAll({ history: false });
      const out: Array<{ data: DataItem; modelType: string; modelId: string }> = [];
      for (const snap of snapshots) for (const meta of snap.latest) out.push({ data: dataItemOf(meta), modelType: snap.type, modelId: snap.id });
      return out;
    },
    async getContent(type, modelId, dataName, version) {
      const [t, id, name] = await named(type, modelId, dataName);
      const wanted = checkedVersion(version) ?? (await data.getLatestNoFollow(t, id, name))?.version;
      if (wanted === undefined) return null;
      const bytes = await data.getContent(t, id, name, wanted);
      return bytes ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    },
  };

  const ofType = async (type: ModelTypeRef) => {
    const t = modelTypePath(modelTypeOf(type));
    const { definitions: all } = await definitions.list({ includeAuto: true });
    return all.filter((s) => isType(s.definition, t));
  };
  /** A definition by UUID or name (names are unique across types), when it has this type. */
  const findOfType = async (type: ModelTypeRef, ref: string, by: "id" | "name") => {
    const t = modelTypePath(modelTypeOf(type));
    const found = await definitions.find(ref);
    if (!found || found.definition[by] !== ref || !isType(found.definition, t)) return null;
    return definitionItemOf(found.definition);
  };
  const definitionRepository: MethodDefinitionRepository = {
    findById: (type, id) => findOfType(type, id, "id"),
    findByName: (type, name) => findOfType(type, name, "name"),
    async findAll(type) {
      return (await ofType(type)).map((s) => definitionItemOf(s.definition));
    },
    async findByNameGlobal(name) {
      const found = UUID_PATTERN.test(name) ? null : await definitions.find(name);
      return found ? { definition: definitionItemOf(found.definition), type: found.definition.type ?? "" } : null;
    },
    async findAllGlobal() {
      const { definitions: all } = await definitions.list({ includeAuto: true });
      return all.map((s) => ({ definition: definitionItemOf(s.definition), type: s.definition.type ?? "" }));
    },
  };

  return {
    dataRepository,
    definitionRepository,
    async queryData(predicate, select) {
      // Loaded on use: the query module builds a CEL environment when it loads.
      const { queryData } = await import("../data/query.js");
      const outcome = await queryData(data, predicate, {
        ...(select !== undefined && select !== null ? { select } : {}),
        ...(options.workflowRunId !== undefined ? { workflowRunId: options.workflowRunId } : {}),
      });
      return JSON.parse(JSON.stringify(outcome.results ?? outcome.records)) as unknown[];
    },
  };
}
