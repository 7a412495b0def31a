/**
 * In-memory stand-ins for a method context's read operations (`dataRepository`,
 * `definitionRepository`, `queryData`, `createCelEnvironment`), for unit tests:
 *
 *   const reads = createTestReads({
 *     data: () => [{ modelType: "@acme/vm", modelId: id, name: "state", content: { ip: "10.0.0.1" } }],
 *     definitions: [{ id, name: "web", type: "@acme/vm" }],
 *   });
 *
 * They follow the host: `modelId` may be a definition's id or name, a data name with `..`,
 * `/`, `\`, NUL, a leading `.` or `latest` fails with `validation_failed`, content comes back
 * as a Uint8Array, versions ascend. `queryData` and `createCelEnvironment` need the CEL engine,
 * which the sdk does not carry: pass your own, or they throw saying so.
 */
import { SwampError } from "../../kernel/contract/errors.js";
import {
  modelTypeString,
  type CelEnvironment,
  type ContextReads,
  type DataItem,
  type DefinitionItem,
  type ModelTypeRef,
} from "../../kernel/contract/ports/model-type.js";

/** One version of a data item a test seeds (or a fake context wrote). */
export interface TestDataVersion {
  modelType: string;
  modelId: string;
  name: string;
  /** Default 1 (or the next after earlier entries of the same name). */
  version?: number;
  /** A JSON value (stored as application/json), a string or bytes. */
  content: unknown;
  contentType?: string;
  tags?: Record<string, string>;
  id?: string;
  createdAt?: string;
  lifecycle?: "active" | "deleted";
}

export interface TestReadsOptions {
  /** Every stored version (read on each call, so it can follow what a fake context writes). */
  data?: () => readonly TestDataVersion[];
  definitions?: readonly DefinitionItem[];
  queryData?(predicate: string, select?: string): unknown[] | Promise<unknown[]>;
  createCelEnvironment?(): CelEnvironment;
}

const encoder = new TextEncoder();

function normalizeType(type: ModelTypeRef): string {
  return modelTypeString(type).toLowerCase().replace(/::/g, "/").replace(/\s+|\./g, "/").replace(/\/{2,}/g, "/").replace(/^\/+|\/+$/g, "");
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "" || /\.\.|[/\\\0]/.test(name) || name.startsWith(".") || name.toLowerCase() === "latest") {
    throw new SwampError("validation_failed", `Invalid data name ${JSON.stringify(name)}`);
  }
  return name;
}

function bytesOf(entry: TestDataVersion): Uint8Array {
  const c = entry.content;
  if (c instanceof Uint8Array) return c;
  if (typeof c === "string" && entry.contentType !== undefined && entry.contentType !== "application/json") return encoder.encode(c);
  return encoder.encode(JSON.stringify(c));
}

export function createTestReads(options: TestReadsOptions = {}): ContextReads & { createCelEnvironment(): CelEnvironment } {
  const definitions = options.definitions ?? [];
  const idOf = (ref: string) => definitions.find((d) => d.name === ref)?.id ?? ref;
  /** Versions of one model, with numbers filled in, oldest first. */
  const versionsOf = (type: ModelTypeRef, modelId: string) => {
    const t = normalizeType(type);
    const id = idOf(modelId);
    const next = new Map<string, number>();
    const out: Array<{ entry: TestDataVersion; item: DataItem }> = [];
    for (const entry of options.data?.() ?? []) {
      if (normalizeType(entry.modelType) !== t || entry.modelId !== id) continue;
      const version = entry.version ?? (next.get(entry.name) ?? 0) + 1;
      next.set(entry.name, version);
      const bytes = bytesOf(entry);
      out.push({
        entry,
        item: {
          id: entry.id ?? `${id}/${entry.name}`,
          name: entry.name,
          version,
          contentType: entry.contentType ?? "application/json",
          lifetime: "infinite",
          garbageCollection: 10,
          streaming: false,
          tags: { ...(entry.tags ?? {}) },
          ownerDefinition: { ownerType: "model-method", ownerRef: id },
          createdAt: entry.createdAt ?? new Date(0).toISOString(),
          lifecycle: entry.lifecycle ?? "active",
          size: bytes.byteLength,
        },
      });
    }
    return out;
  };
  const latestOf = (type: ModelTypeRef, modelId: string, name: string) =>
    versionsOf(type, modelId)
      .filter((v) => v.item.name === name)
      .sort((a, b) => a.item.version - b.item.version)
      .pop();
  const exact = (type: ModelTypeRef, modelId: string, name: string, version?: number) =>
    version === undefined ? latestOf(type, modelId, name) : versionsOf(type, modelId).find((v) => v.item.name === name && v.item.version === version);
  const latestAll = (type: ModelTypeRef, modelId: string) => {
    const names = new Set(versionsOf(type, modelId).map((v) => v.item.name));
    return [...names].sort().map((n) => latestOf(type, modelId, n)?.item as DataItem);
  };
  const ofType = (type: ModelTypeRef) => definitions.filter((d) => normalizeType(d.type) === normalizeType(type));
  const needCel = (what: string) => () => {
    throw new SwampError("extension_error", `${what} needs the CEL engine: pass \`${what}\` in the test context options`);
  };

  return {
    dataRepository: {
      namespace: "",
      findByName: async (type, modelId, name, version) => exact(type, modelId, checkName(name), version)?.item ?? null,
      findById: async (type, modelId, dataId, version) => {
        const latest = latestAll(type, modelId).find((d) => d.id === dataId);
        return latest ? (exact(type, modelId, latest.name, version)?.item ?? null) : null;
      },
      listVersions: async (type, modelId, name) => {
        checkName(name);
        return versionsOf(type, modelId)
          .filter((v) => v.item.name === name)
          .map((v) => v.item.version)
          .sort((a, b) => a - b);
      },
      getLatestVersion: async (type, modelId, name) => latestOf(type, modelId, checkName(name))?.item.version ?? null,
      findAllForModel: async (type, modelId) => latestAll(type, modelId),
      findAllGlobal: async () => {
        const models = new Map<string, TestDataVersion>();
        for (const e of options.data?.() ?? []) models.set(`${normalizeType(e.modelType)}\0${e.modelId}`, e);
        return [...models.values()].flatMap((e) => latestAll(e.modelType, e.modelId).map((data) => ({ data, modelType: normalizeType(e.modelType), modelId: e.modelId })));
      },
      getContent: async (type, modelId, name, version) => {
        const found = exact(type, modelId, checkName(name), version);
        return found ? bytesOf(found.entry) : null;
      },
    },
    definitionRepository: {
      findById: async (type, id) => ofType(type).find((d) => d.id === id) ?? null,
      findByName: async (type, name) => ofType(type).find((d) => d.name === name) ?? null,
      findAll: async (type) => ofType(type),
      findByNameGlobal: async (name) => {
        const d = definitions.find((x) => x.name === name);
        return d ? { definition: d, type: d.type } : null;
      },
      findAllGlobal: async () => definitions.map((d) => ({ definition: d, type: d.type })),
    },
    queryData: async (predicate, select) => (options.queryData ? options.queryData(predicate, select) : needCel("queryData")()),
    createCelEnvironment: options.createCelEnvironment ?? (needCel("createCelEnvironment") as () => CelEnvironment),
  };
}
