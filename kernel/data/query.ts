/**
 * `data query` (CEL predicate + optional CEL projection) and `data search` (flag filters and
 * free text), both over the query index (index.ts) — never a walk of the data tree.
 *
 * Query semantics:
 *  - The predicate sees DataRecord fields as root identifiers (list below); any other root
 *    identifier fails with code `query_failed`. Variables bound by macros (`exists(k, …)`,
 *    `cel.bind(x, …)`) are allowed inside their scope.
 *  - Unless the predicate mentions `version` or `isLatest` as an identifier, only the latest
 *    version of each name is considered, and names whose latest version is a tombstone or a
 *    deletion marker are left out (option `includeDeleted` keeps them). Mentioning `version`
 *    (e.g. `version >= 0`) reaches every version, tombstones included.
 *  - `attributes` / `content` are read from `raw` only when the predicate or the projection
 *    uses them; matches are hydrated with their content afterwards (option `hydrate`).
 *  - A record matches only when the predicate yields exactly `true`; evaluation errors (a
 *    missing key, say) are non-matches, except a regex RE2 cannot compile or an evaluation
 *    past the budget, which fail the query (`invalid_regex`, `expression_budget_exceeded`).
 *  - Order: createdAt desc, then modelType, modelId, name, version desc. `limit` cuts after
 *    sorting, so results are deterministic.
 *  - CEL integers are BigInt: `version` and `size` are passed as BigInt and projected values
 *    are converted back to numbers.
 */
import type { ASTNode } from "@marcbachmann/cel-js";
import { SwampError } from "../contract/errors.js";
import { analyzeAst } from "../expressions/ast.js";
import { isFatalExpressionError } from "../expressions/budget.js";
import { createCelEnvironment, errorSummary, parseCel } from "../expressions/engine.js";
import type { CelProgram } from "../expressions/engine.js";
import { mapLimited } from "../runtime/pool.js";
import { DataErrorCode } from "./errors.js";
import type { DataIndex } from "./index.js";
import { parseSinceDuration } from "./lifetime.js";
import type { DataMetadata } from "./metadata.js";
import { isRenamed } from "./metadata.js";
import { DATA_RECORD_FIELDS, loadContent, toDataRecord } from "./record.js";
import type { DataRecord, LoadedContent } from "./record.js";

/** What the query engine needs from a repository (DataRepository satisfies it). */
export interface DataSource {
  readonly dataRoot: string;
  readonly index: DataIndex;
}

/**
 * Root identifiers a predicate may use (data.md §8.1): the DataRecord fields, except that the
 * namespace is `ns` (CEL reserves `namespace`) and `modelId` is not a query field.
 */
export const QUERY_FIELDS: readonly string[] = [...DATA_RECORD_FIELDS.filter((f) => f !== "namespace" && f !== "modelId"), "ns"];

const CEL_BUILTINS = [
  "true",
  "false",
  "null",
  "has",
  "size",
  "int",
  "uint",
  "double",
  "string",
  "bool",
  "bytes",
  "type",
  "list",
  "map",
  "duration",
  "timestamp",
  "matches",
  "contains",
  "startsWith",
  "endsWith",
  "dyn",
];

const ALLOWED_ROOTS = new Set<string>([...QUERY_FIELDS, ...CEL_BUILTINS]);
/** Most characters of names an error lists (every query field fits): the message stays one line. */
const AVAILABLE_BUDGET = 300;

/** `a, b, c` — or as many as fit the budget, then `… (+N more)`. */
export function listForMessage(names: readonly string[], budget = AVAILABLE_BUDGET): string {
  let text = "";
  for (const [i, name] of names.entries()) {
    const next = text ? `${text}, ${name}` : name;
    if (next.length > budget && text) return `${text}, … (+${names.length - i} more)`;
    text = next;
  }
  return text;
}

const AVAILABLE_TEXT = listForMessage([...QUERY_FIELDS].sort());

const env = createCelEnvironment();

interface AstNode {
  op: string;
  args: unknown;
}

function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && typeof (value as AstNode).op === "string" && "args" in value;
}

/** Root identifiers an expression reads (macro-bound variables excluded). */
export function rootIdentifiers(ast: unknown): Set<string> {
  return new Set(analyzeAst(ast as ASTNode).roots);
}

interface Compiled {
  program: CelProgram;
  roots: Set<string>;
  ast: unknown;
}

const compiledCache = new Map<string, Compiled>();
const CACHE_LIMIT = 256;

/** Parses (once, cached) and validates a CEL expression over DataRecord fields. */
export function compileQueryExpression(source: string, role: "predicate" | "select" = "predicate"): Compiled {
  const cacheKey = `${role}\u0000${source}`;
  const hit = compiledCache.get(cacheKey);
  if (hit) return hit;
  let parsed: CelProgram;
  try {
    parsed = parseCel(env, source);
  } catch (err) {
    throw new SwampError(DataErrorCode.queryFailed, `Invalid CEL ${role === "predicate" ? "predicate" : "select expression"}: ${errorSummary(err)}`, {
      details: { expression: source },
    });
  }
  const roots = rootIdentifiers(parsed.ast);
  for (const root of roots) {
    if (!ALLOWED_ROOTS.has(root)) {
      const where = role === "predicate" ? "query predicate" : "select expression";
      throw new SwampError(DataErrorCode.queryFailed, `Unknown field "${root}" in ${where}. Available: ${AVAILABLE_TEXT}`, {
        details: { field: root },
      });
    }
  }
  const compiled: Compiled = { program: parsed, roots, ast: parsed.ast };
  if (compiledCache.size >= CACHE_LIMIT) {
    const oldest = compiledCache.keys().next().value;
    if (oldest !== undefined) compiledCache.delete(oldest);
  }
  compiledCache.set(cacheKey, compiled);
  return compiled;
}

/** `field == "literal"` constraints of the top-level `&&` chain (a pre-filter only). */
function equalityConstraints(ast: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (node: unknown) => {
    if (!isNode(node)) return;
    if (node.op === "&&") {
      for (const child of node.args as unknown[]) visit(child);
      return;
    }
    if (node.op !== "==") return;
    const [a, b] = node.args as [unknown, unknown];
    for (const [idNode, valueNode] of [[a, b], [b, a]] as const) {
      if (isNode(idNode) && idNode.op === "id" && isNode(valueNode) && valueNode.op === "value" && typeof valueNode.args === "string") {
        const field = idNode.args as string;
        if (field === "modelName" || field === "name" || field === "modelType" || field === "dataType" || field === "specName") {
          out.set(field, valueNode.args);
        }
      }
    }
  };
  visit(ast);
  return out;
}

export interface QueryOptions {
  /** CEL projection evaluated per match (failures give null). */
  select?: string;
  limit?: number;
  /** Keep names whose latest version is a tombstone or deletion marker in latest-only results. */
  includeDeleted?: boolean;
  /** Load content of matches that were not loaded for the predicate (default true; off with select). */
  hydrate?: boolean;
  namespace?: string;
  /** Only data a workflow run wrote: the owner's `workflowRunId`, or the tag of that name. */
  workflowRunId?: string;
}

export interface QueryOutcome {
  predicate: string;
  /** Matching records, sorted, cut to `limit`. */
  records: DataRecord[];
  /** Projected values (only with `select`), parallel to `records`. */
  results?: unknown[];
  /** Number of returned records. */
  total: number;
  /** Every match, before `limit`. */
  matched: number;
  /** True when `limit` cut the results. */
  limited: boolean;
}

interface Candidate {
  type: string;
  modelId: string;
  meta: DataMetadata;
  isLatest: boolean;
}

function celContext(c: Candidate, namespace: string, loaded: LoadedContent | null): Record<string, unknown> {
  const meta = c.meta;
  const owner = meta.ownerDefinition;
  return {
    id: meta.id,
    name: meta.name,
    version: big(meta.version),
    isLatest: c.isLatest,
    createdAt: meta.createdAt,
    ns: namespace,
    attributes: loaded ? loaded.attributes : {},
    tags: meta.tags,
    modelName: meta.tags.modelName ?? "",
    modelId: c.modelId,
    modelType: c.type,
    specName: meta.tags.specName ?? "",
    dataType: meta.tags.type ?? "",
    contentType: meta.contentType,
    lifetime: meta.lifetime,
    ownerType: owner.ownerType,
    streaming: meta.streaming,
    size: big(meta.size ?? 0),
    content: loaded ? loaded.content : "",
    ownerRef: owner.ownerRef,
    workflowRunId: owner.workflowRunId ?? "",
    workflowName: owner.workflowName ?? "",
    jobName: owner.jobName ?? "",
    stepName: owner.stepName ?? "",
    source: owner.source ?? "",
  };
}

type FieldSetter = (ctx: Record<string, unknown>, c: Candidate, loaded: LoadedContent | null) => void;

const SMALL_BIGINTS = Array.from({ length: 4096 }, (_, i) => BigInt(i));
const big = (n: number): bigint => (n >= 0 && n < SMALL_BIGINTS.length ? (SMALL_BIGINTS[n] as bigint) : BigInt(n));

/** Per-field context setters (the predicate's roots only), so evaluation allocates little. */
const FIELD_SETTERS: Record<string, FieldSetter> = {
  id: (x, c) => (x.id = c.meta.id),
  name: (x, c) => (x.name = c.meta.name),
  version: (x, c) => (x.version = big(c.meta.version)),
  isLatest: (x, c) => (x.isLatest = c.isLatest),
  createdAt: (x, c) => (x.createdAt = c.meta.createdAt),
  attributes: (x, _c, l) => (x.attributes = l ? l.attributes : {}),
  tags: (x, c) => (x.tags = c.meta.tags),
  modelName: (x, c) => (x.modelName = c.meta.tags.modelName ?? ""),
  modelType: (x, c) => (x.modelType = c.type),
  specName: (x, c) => (x.specName = c.meta.tags.specName ?? ""),
  dataType: (x, c) => (x.dataType = c.meta.tags.type ?? ""),
  contentType: (x, c) => (x.contentType = c.meta.contentType),
  lifetime: (x, c) => (x.lifetime = c.meta.lifetime),
  ownerType: (x, c) => (x.ownerType = c.meta.ownerDefinition.ownerType),
  streaming: (x, c) => (x.streaming = c.meta.streaming),
  size: (x, c) => (x.size = big(c.meta.size ?? 0)),
  content: (x, _c, l) => (x.content = l ? l.content : ""),
  ownerRef: (x, c) => (x.ownerRef = c.meta.ownerDefinition.ownerRef),
  workflowRunId: (x, c) => (x.workflowRunId = c.meta.ownerDefinition.workflowRunId ?? ""),
  workflowName: (x, c) => (x.workflowName = c.meta.ownerDefinition.workflowName ?? ""),
  jobName: (x, c) => (x.jobName = c.meta.ownerDefinition.jobName ?? ""),
  stepName: (x, c) => (x.stepName = c.meta.ownerDefinition.stepName ?? ""),
  source: (x, c) => (x.source = c.meta.ownerDefinition.source ?? ""),
};

/** BigInt → number (and Map → object), recursively, so projections serialize as JSON. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toJsonSafe(v);
    return out;
  }
  if (value instanceof Uint8Array || value instanceof Date) return value;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.meta.createdAt !== b.meta.createdAt) return a.meta.createdAt < b.meta.createdAt ? 1 : -1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.modelId !== b.modelId) return a.modelId < b.modelId ? -1 : 1;
  if (a.meta.name !== b.meta.name) return a.meta.name < b.meta.name ? -1 : 1;
  return b.meta.version - a.meta.version;
}

/** The `k` smallest items by `cmp`, sorted (a bounded heap when k is small, else a full sort). */
export function smallest<T>(items: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (k * 8 >= items.length) return items.sort(cmp).slice(0, k);
  // max-heap of the best k so far: the root is the worst kept item
  const heap: T[] = [];
  const less = (i: number, j: number) => cmp(heap[i] as T, heap[j] as T) > 0;
  const swap = (i: number, j: number) => {
    const t = heap[i] as T;
    heap[i] = heap[j] as T;
    heap[j] = t;
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && less(l, top)) top = l;
      if (r < heap.length && less(r, top)) top = r;
      if (top === i) return;
      swap(i, top);
      i = top;
    }
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (cmp(item, heap[0] as T) < 0) {
      heap[0] = item;
      down(0);
    }
  }
  return heap.sort(cmp);
}

function latestVisible(meta: DataMetadata, includeDeleted: boolean): boolean {
  if (isRenamed(meta)) return includeDeleted;
  return includeDeleted || meta.lifecycle !== "deleted";
}

function loadFor(source: DataSource, c: Candidate): Promise<LoadedContent> {
  return loadContent(source.dataRoot, c.type, c.modelId, c.meta.name, c.meta.version, c.meta.contentType);
}

function recordOf(c: Candidate, namespace: string, loaded: LoadedContent | null): DataRecord {
  const record = toDataRecord(c.type, c.modelId, c.meta, c.isLatest, namespace);
  if (loaded) {
    record.attributes = loaded.attributes;
    record.content = loaded.content;
  }
  return record;
}

/** Runs a `data query`. Throws `query_failed` for a bad predicate or projection. */
export async function queryData(source: DataSource, predicate: string, options: QueryOptions = {}): Promise<QueryOutcome> {
  if (typeof predicate !== "string" || predicate.trim().length === 0) {
    throw new SwampError(DataErrorCode.queryFailed, "A CEL predicate is required.");
  }
  const compiled = compileQueryExpression(predicate, "predicate");
  const projection = options.select !== undefined ? compileQueryExpression(options.select, "select") : null;
  const namespace = options.namespace ?? "";
  const allVersions = compiled.roots.has("version") || compiled.roots.has("isLatest");
  const needContent = compiled.roots.has("attributes") || compiled.roots.has("content");
  const projectionNeedsContent = projection !== null && (projection.roots.has("attributes") || projection.roots.has("content"));
  const includeDeleted = options.includeDeleted === true;
  await Promise.all([compiled.program.ready(), projection?.program.ready()]);
  const equal = equalityConstraints(compiled.ast);
  const wantModelName = equal.get("modelName");
  const wantName = equal.get("name");
  const wantModelType = equal.get("modelType");
  const wantDataType = equal.get("dataType");
  const wantSpecName = equal.get("specName");
  const wantRun = options.workflowRunId;

  const snapshots = await source.index.loadAll({ history: allVersions });
  const visitAll = (visit: (type: string, modelId: string, meta: DataMetadata, isLatest: boolean) => void) => {
    for (const snap of snapshots) {
      if (wantModelType !== undefined && snap.type !== wantModelType) continue;
      const lists: Array<[DataMetadata[], boolean]> = [[snap.latest, true]];
      if (allVersions && snap.history) lists.push([snap.history, false]);
      for (const [list, isLatest] of lists) {
        for (const meta of list) {
          if (isLatest && !allVersions && !latestVisible(meta, includeDeleted)) continue;
          if (wantName !== undefined && meta.name !== wantName) continue;
          if (wantModelName !== undefined && (meta.tags.modelName ?? "") !== wantModelName) continue;
          if (wantDataType !== undefined && (meta.tags.type ?? "") !== wantDataType) continue;
          if (wantSpecName !== undefined && (meta.tags.specName ?? "") !== wantSpecName) continue;
          if (wantRun !== undefined && meta.ownerDefinition.workflowRunId !== wantRun && meta.tags.workflowRunId !== wantRun) continue;
          visit(snap.type, snap.id, meta, isLatest);
        }
      }
    }
  };

  // Only the fields the predicate reads are filled in, on one reused context object.
  const setters = [...compiled.roots].map((root) => FIELD_SETTERS[root]).filter((f): f is FieldSetter => f !== undefined);
  const ctx: Record<string, unknown> = {};
  for (const root of compiled.roots) if (root in FIELD_SETTERS) ctx[root] = null;
  ctx.ns = namespace;
  const test = (c: Candidate, loaded: LoadedContent | null): boolean => {
    for (const set of setters) set(ctx, c, loaded);
    try {
      return compiled.program.run(ctx) === true; // anything but exactly true (errors too) is a non-match
    } catch (err) {
      if (isFatalExpressionError(err)) throw err;
      return false;
    }
  };

  const matches: Candidate[] = [];
  const contentOf = new Map<Candidate, LoadedContent>();
  if (needContent) {
    const candidates: Candidate[] = [];
    visitAll((type, modelId, meta, isLatest) => candidates.push({ type, modelId, meta, isLatest }));
    const BATCH = 256;
    for (let i = 0; i < candidates.length; i += BATCH) {
      const batch = candidates.slice(i, i + BATCH);
      const loaded = await mapLimited(batch, 32, (c) => loadFor(source, c));
      batch.forEach((c, j) => {
        const content = loaded[j] as LoadedContent;
        if (test(c, content)) {
          matches.push(c);
          contentOf.set(c, content);
        }
      });
    }
  } else {
    const probe: Candidate = { type: "", modelId: "", meta: undefined as unknown as DataMetadata, isLatest: false };
    visitAll((type, modelId, meta, isLatest) => {
      probe.type = type;
      probe.modelId = modelId;
      probe.meta = meta;
      probe.isLatest = isLatest;
      if (test(probe, null)) matches.push({ type, modelId, meta, isLatest });
    });
  }

  const matched = matches.length;
  const limit = options.limit !== undefined && options.limit >= 0 ? Math.floor(options.limit) : undefined;
  const keptCandidates = limit !== undefined ? smallest(matches, limit, compareCandidates) : matches.sort(compareCandidates);
  const kept = keptCandidates.map((c) => ({ c, loaded: contentOf.get(c) ?? null }));

  const hydrate = options.hydrate ?? projection === null;
  const loadMissing = hydrate || projectionNeedsContent;
  if (loadMissing) {
    const missing = kept.filter((m) => m.loaded === null);
    const loaded = await mapLimited(missing, 32, (m) => loadFor(source, m.c));
    missing.forEach((m, i) => (m.loaded = loaded[i] as LoadedContent));
  }

  const records = kept.map((m) => recordOf(m.c, namespace, m.loaded));
  const outcome: QueryOutcome = {
    predicate,
    records,
    total: records.length,
    matched,
    limited: limit !== undefined && matched > limit,
  };
  if (projection) {
    outcome.results = kept.map((m) => {
      try {
        return toJsonSafe(projection.program.run(celContext(m.c, namespace, m.loaded)));
      } catch (err) {
        if (isFatalExpressionError(err)) throw err;
        return null;
      }
    });
  }
  return outcome;
}

// ---- search ----

export interface SearchFilters {
  /** Free text: case-insensitive substring of name, data type, model type, model name or ownerRef. */
  query?: string;
  /** Data type tag (resource, file, report, …). */
  type?: string;
  lifetime?: string;
  ownerType?: string;
  /** Tag `workflow`. */
  workflow?: string;
  /** Exact model name (tag `modelName`). */
  model?: string;
  contentType?: string;
  /** Only data created within this duration (1h, 7d, 1mo, …). */
  since?: string;
  /** Output id: a `:`-separated segment of ownerRef, or the data id. */
  output?: string;
  /** Workflow run id: the owner's `workflowRunId` (or the `workflowRunId` tag) equals it. */
  run?: string;
  /** Every pair must match. */
  tags?: Record<string, string>;
  /** Only streaming data. */
  streaming?: boolean;
  /** Default 50. */
  limit?: number;
  /** Keep deletion markers (renamed names are always represented by their new name). */
  includeDeleted?: boolean;
  /** Clock for `since` (tests). */
  now?: Date;
}

export interface SearchResultItem {
  id: string;
  name: string;
  version: number;
  contentType: string;
  type: string;
  lifetime: string;
  ownerType: string;
  ownerRef: string;
  modelId: string;
  modelName: string;
  modelType: string;
  streaming: boolean;
  size: number;
  createdAt: string;
  tags: Record<string, string>;
  workflowTag?: string;
  jobTag?: string;
  stepTag?: string;
}

export interface SearchOutcome {
  query: string;
  filters: Record<string, string>;
  results: SearchResultItem[];
  /** Matches before the limit. */
  total: number;
  limited: boolean;
}

/** The `filters` echo of `data search --json`. */
export function searchFilterEcho(filters: SearchFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (filters.type !== undefined) out.type = filters.type;
  if (filters.lifetime !== undefined) out.lifetime = filters.lifetime;
  if (filters.ownerType !== undefined) out.ownerType = filters.ownerType;
  if (filters.workflow !== undefined) out.workflow = filters.workflow;
  if (filters.model !== undefined) out.model = filters.model;
  if (filters.contentType !== undefined) out.contentType = filters.contentType;
  if (filters.since !== undefined) out.since = filters.since;
  if (filters.output !== undefined) out.output = filters.output;
  if (filters.run !== undefined) out.run = filters.run;
  if (filters.streaming) out.streaming = "true";
  for (const [k, v] of Object.entries(filters.tags ?? {})) out[`tag:${k}`] = v;
  return out;
}

/** Runs a `data search` over the latest version of every item. */
export async function searchData(source: DataSource, filters: SearchFilters = {}): Promise<SearchOutcome> {
  const sinceMs = filters.since !== undefined ? parseSinceDuration(filters.since) : null;
  const now = (filters.now ?? new Date()).getTime();
  const sinceIso = sinceMs !== null ? new Date(now - sinceMs).toISOString() : null;
  const text = (filters.query ?? "").toLowerCase();
  const limit = filters.limit !== undefined && filters.limit >= 0 ? Math.floor(filters.limit) : 50;
  const tagPairs = Object.entries(filters.tags ?? {});
  const snapshots = await source.index.loadAll({ history: false });
  const hits: Candidate[] = [];
  for (const snap of snapshots) {
    for (const meta of snap.latest) {
      if (isRenamed(meta)) continue;
      if (meta.lifecycle === "deleted" && !filters.includeDeleted) continue;
      const tags = meta.tags;
      const owner = meta.ownerDefinition;
      if (filters.type !== undefined && tags.type !== filters.type) continue;
      if (filters.lifetime !== undefined && meta.lifetime !== filters.lifetime) continue;
      if (filters.ownerType !== undefined && owner.ownerType !== filters.ownerType) continue;
      if (filters.workflow !== undefined && tags.workflow !== filters.workflow) continue;
      if (filters.model !== undefined && (tags.modelName ?? "") !== filters.model) continue;
      if (filters.contentType !== undefined && meta.contentType !== filters.contentType) continue;
      if (sinceIso !== null && Date.parse(meta.createdAt) < now - (sinceMs as number)) continue;
      if (filters.output !== undefined && meta.id !== filters.output && !owner.ownerRef.split(":").includes(filters.output)) continue;
      if (filters.run !== undefined && owner.workflowRunId !== filters.run && tags.workflowRunId !== filters.run) continue;
      if (filters.streaming && !meta.streaming) continue;
      if (tagPairs.some(([k, v]) => tags[k] !== v)) continue;
      if (text.length > 0) {
        const haystacks = [meta.name, tags.type ?? "", snap.type, tags.modelName ?? "", owner.ownerRef];
        if (!haystacks.some((h) => h.toLowerCase().includes(text))) continue;
      }
      hits.push({ type: snap.type, modelId: snap.id, meta, isLatest: true });
    }
  }
  hits.sort(compareCandidates);
  const results = hits.slice(0, limit).map((c): SearchResultItem => {
    const meta = c.meta;
    const item: SearchResultItem = {
      id: meta.id,
      name: meta.name,
      version: meta.version,
      contentType: meta.contentType,
      type: meta.tags.type ?? "",
      lifetime: meta.lifetime,
      ownerType: meta.ownerDefinition.ownerType,
      ownerRef: meta.ownerDefinition.ownerRef,
      modelId: c.modelId,
      modelName: meta.tags.modelName ?? c.modelId,
      modelType: c.type,
      streaming: meta.streaming,
      size: meta.size ?? 0,
      createdAt: meta.createdAt,
      tags: meta.tags,
    };
    if (meta.tags.workflow !== undefined) item.workflowTag = meta.tags.workflow;
    if (meta.tags.job !== undefined) item.jobTag = meta.tags.job;
    if (meta.tags.step !== undefined) item.stepTag = meta.tags.step;
    return item;
  });
  return { query: filters.query ?? "", filters: searchFilterEcho(filters), results, total: hits.length, limited: hits.length > limit };
}
