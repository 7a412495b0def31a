/**
 * metadata.yaml of one version: the record type, an emitter that reproduces the reference's
 * layout byte for byte (key order, quoted createdAt, bare hex checksum), and a loader that
 * accepts any YAML the reference may have written.
 */
import { parse as parseYaml } from "yaml";
import { closingQuote, isPlainSafe, yamlString } from "../runtime/yaml.js";
import { invalid } from "./errors.js";
import { gcPolicyProblem, lifetimeProblem, normalizeLifetime } from "./lifetime.js";
import type { GarbageCollectionPolicy } from "./lifetime.js";

export type OwnerType = "model-method" | "workflow-step" | "manual" | (string & {});

export interface OwnerDefinition {
  ownerType: OwnerType;
  ownerRef: string;
  definitionHash?: string;
  workflowId?: string;
  workflowRunId?: string;
  workflowName?: string;
  jobName?: string;
  stepName?: string;
  source?: string;
}

/** One version's metadata, as stored in `<name>/<N>/metadata.yaml`. */
export interface DataMetadata {
  id: string;
  name: string;
  version: number;
  contentType: string;
  lifetime: string;
  garbageCollection: GarbageCollectionPolicy;
  streaming: boolean;
  tags: Record<string, string>;
  ownerDefinition: OwnerDefinition;
  createdAt: string;
  size?: number;
  checksum?: string;
  /** Only on tombstones and deletion markers; `active` is never written. */
  lifecycle?: "deleted";
  /** Only on rename tombstones. */
  renamedTo?: string;
}

export function isDeleted(meta: Pick<DataMetadata, "lifecycle">): boolean {
  return meta.lifecycle === "deleted";
}

export function isRenamed(meta: Pick<DataMetadata, "lifecycle" | "renamedTo">): boolean {
  return meta.lifecycle === "deleted" && typeof meta.renamedTo === "string";
}

const OWNER_KEY_ORDER = ["ownerType", "ownerRef", "definitionHash", "workflowId", "workflowRunId", "workflowName", "jobName", "stepName", "source"];

// ---- emitting ----

function yamlValue(value: unknown): string {
  if (typeof value === "string") return yamlString(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null || value === undefined) return "null";
  return JSON.stringify(value);
}

function emitMap(lines: string[], key: string, map: Record<string, unknown>, order?: readonly string[]): void {
  const keys = Object.keys(map).filter((k) => map[k] !== undefined);
  if (order) keys.sort((a, b) => rank(order, a) - rank(order, b));
  if (keys.length === 0) {
    lines.push(`${key}: {}`);
    return;
  }
  lines.push(`${key}:`);
  for (const k of keys) lines.push(`  ${yamlString(k)}: ${yamlValue(map[k])}`);
}

function rank(order: readonly string[], key: string): number {
  const at = order.indexOf(key);
  return at === -1 ? order.length : at;
}

/** The exact bytes of metadata.yaml for `meta` (reference key order; undefined fields dropped). */
export function serializeMetadata(meta: DataMetadata): string {
  const lines: string[] = [];
  lines.push(`id: ${yamlString(meta.id)}`);
  lines.push(`name: ${yamlString(meta.name)}`);
  lines.push(`version: ${meta.version}`);
  lines.push(`contentType: ${yamlString(meta.contentType)}`);
  lines.push(`lifetime: ${yamlString(meta.lifetime)}`);
  lines.push(`garbageCollection: ${yamlValue(meta.garbageCollection)}`);
  lines.push(`streaming: ${meta.streaming ? "true" : "false"}`);
  emitMap(lines, "tags", meta.tags);
  emitMap(lines, "ownerDefinition", meta.ownerDefinition as unknown as Record<string, unknown>, OWNER_KEY_ORDER);
  lines.push(`createdAt: ${JSON.stringify(meta.createdAt)}`);
  if (meta.size !== undefined) lines.push(`size: ${meta.size}`);
  if (meta.checksum !== undefined) lines.push(`checksum: ${yamlString(meta.checksum)}`);
  if (meta.lifecycle === "deleted") lines.push("lifecycle: deleted");
  if (meta.renamedTo !== undefined) lines.push(`renamedTo: ${yamlString(meta.renamedTo)}`);
  return lines.join("\n") + "\n";
}

// ---- loading ----

/**
 * Reads the simple layout we (and the reference) emit without a YAML parser: `key: scalar`
 * lines and two one-level maps. Returns undefined for anything else, so the caller falls back
 * to the full YAML parser.
 */
function fastParse(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let currentMap: Record<string, unknown> | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const nested = line.startsWith("  ");
    if (nested) {
      if (!currentMap) return undefined;
      line = line.slice(2);
      if (line.startsWith(" ")) return undefined;
    } else {
      currentMap = null;
    }
    const kv = splitKeyValue(line);
    if (!kv) return undefined;
    const [rawKey, rawValue] = kv;
    const key = scalar(rawKey, true);
    if (typeof key !== "string") return undefined;
    if (nested) {
      if (rawValue === "") return undefined;
      const value = scalar(rawValue, false);
      if (value === undefined) return undefined;
      (currentMap as Record<string, unknown>)[key] = value;
      continue;
    }
    if (rawValue === "") {
      currentMap = {};
      out[key] = currentMap;
      continue;
    }
    if (rawValue === "{}") {
      out[key] = {};
      continue;
    }
    const value = scalar(rawValue, false);
    if (value === undefined) return undefined;
    out[key] = value;
  }
  return out;
}

function splitKeyValue(line: string): [string, string] | undefined {
  if (line.startsWith('"')) {
    const end = closingQuote(line);
    if (end < 0 || line[end + 1] !== ":") return undefined;
    const rest = line.slice(end + 2);
    if (rest !== "" && !rest.startsWith(" ")) return undefined;
    return [line.slice(0, end + 1), rest.trim()];
  }
  const at = line.indexOf(": ");
  if (at < 0) {
    if (line.endsWith(":")) return [line.slice(0, -1), ""];
    return undefined;
  }
  return [line.slice(0, at), line.slice(at + 2).trim()];
}

function scalar(raw: string, isKey: boolean): unknown {
  if (raw.startsWith('"')) {
    if (!raw.endsWith('"') || raw.length < 2) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (!isKey && /^(0|[1-9][0-9]*)$/.test(raw)) {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (isPlainSafe(raw)) return raw;
  return undefined;
}

/** Parses and validates metadata.yaml text. `where` names the file in error messages. */
export function parseMetadata(text: string, where = "metadata.yaml"): DataMetadata {
  let doc: unknown = fastParse(text);
  if (doc === undefined) {
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw invalid(`Invalid metadata in ${where}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return validateMetadata(doc, where);
}

function fail(where: string, problem: string): never {
  throw invalid(`Invalid metadata in ${where}: ${problem}`);
}

/** Checks a parsed document against the metadata schema and returns a clean, ordered record. */
export function validateMetadata(doc: unknown, where = "metadata.yaml"): DataMetadata {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail(where, "not a mapping");
  const d = doc as Record<string, unknown>;
  const str = (key: string): string => {
    const v = d[key];
    if (typeof v !== "string" || v.length === 0) fail(where, `${key} must be a non-empty string`);
    return v;
  };
  const id = str("id");
  const name = str("name");
  const version = d.version;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) fail(where, "version must be a positive integer");
  const contentType = str("contentType");
  const lifetimeProblemText = lifetimeProblem(d.lifetime);
  if (lifetimeProblemText) fail(where, lifetimeProblemText);
  const gcProblem = gcPolicyProblem(d.garbageCollection);
  if (gcProblem) fail(where, gcProblem);
  const streaming = d.streaming === undefined ? false : d.streaming;
  if (typeof streaming !== "boolean") fail(where, "streaming must be a boolean");
  const tags = d.tags;
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) fail(where, "tags must be a mapping");
  const cleanTags: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v !== "string") fail(where, `tag ${JSON.stringify(k)} must be a string`);
    cleanTags[k] = v;
  }
  if (typeof cleanTags.type !== "string" || cleanTags.type.length === 0) fail(where, 'tags must include "type"');
  const owner = d.ownerDefinition;
  if (typeof owner !== "object" || owner === null || Array.isArray(owner)) fail(where, "ownerDefinition must be a mapping");
  const o = owner as Record<string, unknown>;
  if (typeof o.ownerType !== "string" || typeof o.ownerRef !== "string" || o.ownerRef.length === 0) {
    fail(where, "ownerDefinition needs ownerType and ownerRef");
  }
  const ownerDefinition: OwnerDefinition = { ownerType: o.ownerType, ownerRef: o.ownerRef };
  for (const key of Object.keys(o)) {
    if (key === "ownerType" || key === "ownerRef") continue;
    const v = o[key];
    if (v === undefined || v === null) continue;
    (ownerDefinition as unknown as Record<string, unknown>)[key] = typeof v === "string" ? v : String(v);
  }
  const createdAt = d.createdAt;
  let created: string;
  if (typeof createdAt === "string" && createdAt.length > 0) created = createdAt;
  else if (createdAt instanceof Date) created = createdAt.toISOString();
  else fail(where, "createdAt must be an ISO-8601 string");
  const meta: DataMetadata = {
    id,
    name,
    version,
    contentType,
    lifetime: normalizeLifetime(d.lifetime as string),
    garbageCollection: d.garbageCollection as GarbageCollectionPolicy,
    streaming,
    tags: cleanTags,
    ownerDefinition,
    createdAt: created,
  };
  if (d.size !== undefined && d.size !== null) {
    if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) fail(where, "size must be a non-negative integer");
    meta.size = d.size;
  }
  if (d.checksum !== undefined && d.checksum !== null) {
    if (typeof d.checksum !== "string") fail(where, "checksum must be a string");
    meta.checksum = d.checksum.startsWith("sha256:") ? d.checksum.slice(7) : d.checksum;
  }
  if (d.lifecycle !== undefined && d.lifecycle !== null && d.lifecycle !== "active") {
    if (d.lifecycle !== "deleted") fail(where, 'lifecycle must be "active" or "deleted"');
    meta.lifecycle = "deleted";
  }
  if (typeof d.renamedTo === "string" && d.renamedTo.length > 0) meta.renamedTo = d.renamedTo;
  return meta;
}
