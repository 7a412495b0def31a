/**
 * The evaluation context of definition expressions, built lazily: nothing is loaded up front,
 * so its cost depends on what an expression names, not on how many models or data items the
 * repository holds.
 *
 * Roots: `self`, `inputs`, `model`, `data`, `file`, `env` (runtime phase only), plus any extra
 * variables a caller adds (workflow `run`, `webhook`, …).
 *
 * How lookups happen (cel-js property access is synchronous, its functions may be async):
 *  1. Prefetch. Before an expression runs, its AST is read for `model.<literal>…` chains and
 *     `data.*(…)` / `file.contents(…)` calls with literal arguments; all of those are fetched
 *     concurrently through DefinitionLookup / DataAccess.
 *  2. Evaluate. `data.*` and `file.contents` return the memoised value when it is there and a
 *     Promise otherwise, which cel-js awaits — so calls with computed arguments
 *     (`data.latest(inputs.model, "x")`) just work.
 *  3. Resolve misses. `model` is a proxy: reading a key that has not been looked up yet (a
 *     computed `model[inputs.name]`, or a resource instance) records what is needed. After
 *     the run, if anything was recorded, it is fetched and the expression is evaluated again
 *     (bounded number of rounds). A run that succeeded through `.?`/`has()` over a miss is
 *     re-run too, so the result never depends on what happened to be loaded.
 * Everything fetched is memoised for the life of the context (one definition evaluation).
 */
import { CelDataNamespace, CelFileNamespace, ExpressionError, compileExpression, normalizeCelValue } from "./engine.js";
import type { CompiledExpression, DataFunctions, FileFunctions } from "./engine.js";
import { COMPUTED } from "./ast.js";
import { isFatalExpressionError } from "./budget.js";
import type { ExpressionAnalysis } from "./ast.js";
import type { DataRecord } from "../data/record.js";
import { composeVaryName } from "../data/vary.js";

/** The read shape of one data version (data.md §2.6), as the data layer builds it. */
export type { DataRecord } from "../data/record.js";

/** `model.<m>.file.<spec>.<instance>`. */
export interface FileRecord {
  id: string;
  version: number;
  createdAt: string;
  path: string;
  size: number;
  contentType: string;
}

/** What expressions see of another definition (`model.<x>.definition` / `.input`). */
export interface DefinitionSummary {
  id: string;
  name: string;
  version: number;
  tags: Record<string, string>;
  globalArguments: Record<string, unknown>;
  /** The definition's `inputs` JSON schema (exposed on `.definition` only). */
  inputs?: unknown;
  /** Normalised model type; used by `model validate` to find the type's schemas. */
  type?: string;
}

/** Finds one definition by name or id. Implementations must not load every definition. */
export interface DefinitionLookup {
  find(nameOrId: string): Promise<DefinitionSummary | null>;
}

/**
 * Data reads behind `data.*`, `file.contents` and `model.<m>.resource|file`. Model names are
 * passed as written (they may be namespace-qualified, `ns:model`); namespace rules belong to
 * the implementation.
 */
export interface DataAccess {
  /** Latest version of a data name, or null. */
  latest(model: string, name: string): Promise<DataRecord | null>;
  /** One version, or null. */
  version(model: string, name: string, version: number): Promise<DataRecord | null>;
  /** Every version number of a name (any order; sorted ascending by the caller). */
  listVersions(model: string, name: string): Promise<number[]>;
  /** Latest records carrying tag key=value, de-duplicated. */
  findByTag(key: string, value: string): Promise<DataRecord[]>;
  /**
   * Latest records of one output spec of a model, de-duplicated. With `scope`, only records
   * a workflow run wrote (owner's `workflowRunId`, or the tag of that name).
   */
  findBySpec(model: string, spec: string, scope?: RunScope): Promise<DataRecord[]>;
  /** A CEL query over the catalog; records, or projected values with `select`. */
  query(predicate: string, select?: string): Promise<unknown[]>;
  /** Text of the first instance's file of a spec, or null. */
  fileContents(model: string, spec: string): Promise<string | null>;
  /**
   * `model.<m>.resource.<spec>.<instance>`. Optional: when absent, `latest(model, instance)`
   * is used and kept only if its specName is `spec`.
   */
  resource?(model: string, spec: string, instance: string): Promise<DataRecord | null>;
  /** `model.<m>.file.<spec>.<instance>`. Optional: when absent, file references resolve to nothing. */
  file?(model: string, spec: string, instance: string): Promise<FileRecord | null>;
}

/** The workflow run whose data a run-scoped read sees. */
export interface RunScope {
  workflowRunId: string;
}

/** The definition being evaluated (`self`). Extra keys (workflow item variables) are allowed. */
export interface SelfInfo {
  id?: string;
  name?: string;
  version?: number;
  tags?: Record<string, string>;
  /** Raw global arguments (expressions unevaluated). */
  globalArguments?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface ExpressionContextOptions {
  self?: SelfInfo;
  /** The run's inputs after coercion/defaults. */
  inputs?: Record<string, unknown>;
  definitions?: DefinitionLookup;
  data?: DataAccess;
  /** Process environment; give it only for the runtime phase. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra root variables (workflow `run`, `webhook`, …); cannot replace the swamp roots. */
  variables?: Record<string, unknown>;
  /** Maximum evaluate→fetch→re-evaluate rounds per expression (default 8). */
  maxLookupRounds?: number;
  /**
   * Inside a workflow run: `data.findBySpec` sees only data this run wrote (a forEach over it
   * never picks up items of earlier runs). `data.latest`, `data.findByTag`, `data.query` and
   * `model.*` stay global.
   */
  runScope?: RunScope;
}

type Entry<T> =
  | { state: "pending"; promise: Promise<T> }
  | { state: "done"; promise: Promise<T>; value: T }
  | { state: "failed"; promise: Promise<T>; error: unknown };

/** Memoised async loads: the value is readable synchronously once it has arrived. */
class Memo {
  private readonly entries = new Map<string, Entry<unknown>>();
  peek(key: string): Entry<unknown> | undefined {
    return this.entries.get(key);
  }
  load<T>(key: string, loader: () => Promise<T>): Entry<T> {
    const existing = this.entries.get(key) as Entry<T> | undefined;
    if (existing) return existing;
    const promise = Promise.resolve().then(loader);
    const entry: Entry<T> = { state: "pending", promise };
    this.entries.set(key, entry as Entry<unknown>);
    promise.then(
      (value) => {
        if (this.entries.get(key) === entry) this.entries.set(key, { state: "done", promise, value });
      },
      (error: unknown) => {
        if (this.entries.get(key) === entry) this.entries.set(key, { state: "failed", promise, error });
      },
    );
    return entry;
  }
  /** The value if loaded, else a Promise of it (a failure throws / rejects). */
  value<T>(key: string, loader: () => Promise<T>): T | Promise<T> {
    const entry = this.load(key, loader);
    if (entry.state === "done") return entry.value;
    if (entry.state === "failed") throw entry.error;
    return entry.promise;
  }
  deleteWhere(test: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (test(key)) this.entries.delete(key);
  }
}

type Need =
  | { kind: "model"; ref: string }
  | { kind: "resource" | "file"; model: string; spec: string; instance: string }
  | { kind: "resources" | "files"; model: string; spec: string };

const SEP = "\u0000";
const modelKey = (ref: string): string => `model${SEP}${ref}`;
const instanceKey = (kind: "resource" | "file", model: string, spec: string, instance: string): string =>
  `${kind}${SEP}${model}${SEP}${spec}${SEP}${instance}`;
const specKey = (kind: "resources" | "files", model: string, spec: string): string => `${kind}${SEP}${model}${SEP}${spec}`;

function needKey(need: Need): string {
  switch (need.kind) {
    case "model":
      return modelKey(need.ref);
    case "resource":
    case "file":
      return instanceKey(need.kind, need.model, need.spec, need.instance);
    default:
      return specKey(need.kind, need.model, need.spec);
  }
}

/** Lookups one evaluation attempt could not satisfy from the memo. */
class Round {
  readonly needs = new Map<string, Need>();
  readonly models = new Map<string, Record<string, unknown>>();
  /** Keys found absent in this attempt → a clearer message than cel-js's "No such key". */
  readonly absent = new Map<string, string>();
  need(n: Need): void {
    this.needs.set(needKey(n), n);
  }
}

/** Keys that are object-protocol probes, never names (a model called "constructor" is unreachable). */
const PROBES = new Set(["constructor", "__proto__", "prototype", "then", "toJSON", "valueOf", "toString"]);

const DESCRIPTOR = (value: unknown): PropertyDescriptor => ({ value, writable: false, enumerable: true, configurable: true });

/**
 * A read-only map-like proxy: `lookup(key)` returns the value, or undefined (absent; reading
 * it is "No such key"). `keys()` lists what is enumerable.
 */
function lazyMap(lookup: (key: string) => unknown, keys: () => string[]): Record<string, unknown> {
  // cel-js reads `.constructor` to type a value; promise machinery reads `.then`. Such probes
  // must neither trigger lookups nor find anything.
  const read = (key: string | symbol): unknown => (typeof key === "string" && !PROBES.has(key) ? lookup(key) : undefined);
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    getOwnPropertyDescriptor(_t, key) {
      const value = read(key);
      return value === undefined ? undefined : DESCRIPTOR(value);
    },
    get(_t, key) {
      return read(key);
    },
    has(_t, key) {
      return read(key) !== undefined;
    },
    ownKeys() {
      return keys();
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/** `self`: known fields, and null for any other key. */
function selfProxy(self: SelfInfo): Record<string, unknown> {
  const target: Record<string, unknown> = {
    id: self.id ?? null,
    name: self.name ?? null,
    version: self.version ?? null,
    tags: self.tags ?? {},
    globalArguments: self.globalArguments ?? {},
  };
  for (const [key, value] of Object.entries(self)) if (!(key in target) && value !== undefined) target[key] = value;
  return new Proxy(target, {
    getOwnPropertyDescriptor(t, key) {
      const own = Object.getOwnPropertyDescriptor(t, key);
      if (own || typeof key !== "string") return own;
      return { value: null, writable: false, enumerable: false, configurable: true };
    },
    get(t, key) {
      if (typeof key !== "string" || Object.hasOwn(t, key) || key === "constructor") return Reflect.get(t, key);
      return null;
    },
  });
}

/**
 * `<name>-<v1>-<v2>` for vary dimensions, through the same encoder the write side uses
 * (kernel/data/vary.ts), so a name written with values is read back with the same values.
 */
export function composeDataName(name: string, vary: readonly unknown[] | undefined): string {
  try {
    return composeVaryName(name, vary, `for data "${name}"`);
  } catch (err) {
    throw new ExpressionError(err instanceof Error ? err.message : String(err), undefined, err);
  }
}

function toVersionNumber(value: unknown): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new ExpressionError(`data.version: the version must be an integer, got ${String(value)}`);
  }
  return n;
}

/** Values handed to cel-js must be plain objects; class instances are copied shallowly. */
function plainRecord<T>(record: T): T {
  if (record === null || typeof record !== "object") return record;
  const proto = Object.getPrototypeOf(record) as unknown;
  if (proto === Object.prototype || proto === null || Array.isArray(record)) return record;
  return { ...record };
}

const DATA_METHODS = new Set(["latest", "version", "listVersions", "findByTag", "findBySpec", "query"]);
const ROOTS = new Set(["self", "inputs", "model", "data", "file", "env"]);

/** Lookups and memos shared by a context and its runtime-phase twin (`withEnv`). */
class Shared {
  readonly memo = new Memo();
  readonly summaryViews = new WeakMap<DefinitionSummary, { input: Record<string, unknown>; definition: Record<string, unknown> }>();
  constructor(
    readonly definitions: DefinitionLookup | undefined,
    readonly data: DataAccess | undefined,
  ) {}
}

export class ExpressionContext {
  private readonly shared: Shared;
  private readonly self: Record<string, unknown>;
  private readonly inputs: Record<string, unknown>;
  private readonly env: Record<string, string> | undefined;
  private readonly variables: Record<string, unknown>;
  private readonly maxRounds: number;
  private readonly dataFns: DataFunctions;
  private readonly fileFns: FileFunctions;
  private readonly dataNs: CelDataNamespace;
  private readonly fileNs: CelFileNamespace;
  private readonly options: ExpressionContextOptions;

  constructor(options: ExpressionContextOptions = {}, shared?: Shared) {
    this.options = options;
    this.shared = shared ?? new Shared(options.definitions, options.data);
    this.self = selfProxy(options.self ?? {});
    this.inputs = options.inputs ?? {};
    this.env = options.env ? plainEnv(options.env) : undefined;
    this.variables = {};
    for (const [key, value] of Object.entries(options.variables ?? {})) if (!ROOTS.has(key)) this.variables[key] = value;
    this.maxRounds = options.maxLookupRounds ?? 8;
    this.dataFns = this.dataFunctions();
    this.fileFns = this.fileFunctions();
    this.dataNs = new CelDataNamespace(this.dataFns);
    this.fileNs = new CelFileNamespace(this.fileFns);
  }

  /** The same context (same memoised lookups) with `env` bound: for the runtime phase. */
  withEnv(env: Readonly<Record<string, string | undefined>>): ExpressionContext {
    return new ExpressionContext({ ...this.options, env }, this.shared);
  }

  /** True when `env` is bound (runtime phase). */
  get hasEnv(): boolean {
    return this.env !== undefined;
  }

  /**
   * Forget memoised reads a write of data `name` may have changed (a workflow step wrote it):
   * its `data.latest` / `data.version` / `data.listVersions` results, the model's
   * `resource`/`file` lookups, and the catalog-wide reads (`findBySpec`, `findByTag`, `query`,
   * `file.contents`). `model` is every way the model may be referred to (its name and its id).
   */
  invalidateLatest(model: string | readonly string[], name: string): void {
    const models = new Set(typeof model === "string" ? [model] : model);
    const prefixes = [...models].flatMap((m) => ["resource", "file", "resources", "files"].map((k) => `${k}${SEP}${m}${SEP}`));
    this.shared.memo.deleteWhere((key) => {
      if (prefixes.some((p) => key.startsWith(p))) return true;
      if (!key.startsWith("[")) return false;
      const [fn, m, n] = JSON.parse(key) as unknown[];
      if (fn === "latest" || fn === "version" || fn === "listVersions") return models.has(m as string) && n === name;
      return fn === "findBySpec" || fn === "findByTag" || fn === "query" || fn === "fileContents";
    });
  }

  /**
   * Start every lookup the expressions name with literal arguments, concurrently, and wait
   * for them. Failures are not thrown here; the evaluation that needs the value reports them.
   */
  async prefetch(expressions: readonly CompiledExpression[]): Promise<void> {
    const started = this.startPrefetch(expressions);
    if (started) await started;
  }

  /** Start the prefetch; undefined when there is nothing to fetch (no await needed). */
  private startPrefetch(expressions: readonly CompiledExpression[]): Promise<unknown> | undefined {
    const pending: Promise<unknown>[] = [];
    for (const compiled of expressions) {
      const { chains, calls } = compiled.analysis;
      if (calls.length > 0 || chains.some((c) => c.root === "model")) this.collectPrefetch(compiled.analysis, pending);
    }
    return pending.length > 0 ? Promise.allSettled(pending) : undefined;
  }

  /** Evaluate one CEL expression (text inside `${{ }}`) to a normalised value. Throws on failure. */
  async evaluate(expression: string | CompiledExpression): Promise<unknown> {
    const compiled = typeof expression === "string" ? compileExpression(expression) : expression;
    const prefetching = this.startPrefetch([compiled]);
    if (prefetching) await prefetching;
    for (let round = 0; ; round++) {
      const attempt = new Round();
      let ok = false;
      let value: unknown;
      let error: unknown;
      try {
        value = compiled.run(this.activation(attempt));
        if (value instanceof Promise) value = await value;
        ok = true;
      } catch (err) {
        if (isFatalExpressionError(err)) throw err; // another round would fail the same way
        error = err;
      }
      if (attempt.needs.size === 0) {
        if (ok) return normalizeCelValue(value);
        throw clarify(error, attempt);
      }
      if (round + 1 >= this.maxRounds) {
        throw new ExpressionError(`Expression needed more than ${this.maxRounds} rounds of lookups: ${compiled.source}`);
      }
      await this.resolveNeeds(attempt.needs.values());
    }
  }

  // ---- activation ------------------------------------------------------------------------

  private activation(round: Round): Record<string, unknown> {
    const activation: Record<string, unknown> = {
      ...this.variables,
      self: this.self,
      inputs: this.inputs,
      model: this.modelRoot(round),
      data: this.dataNs,
      file: this.fileNs,
    };
    if (this.env) activation.env = this.env;
    return activation;
  }

  private modelRoot(round: Round): Record<string, unknown> {
    const memo = this.shared.memo;
    return lazyMap(
      (ref) => {
        const entry = memo.peek(modelKey(ref));
        if (!entry || entry.state !== "done") {
          round.need({ kind: "model", ref });
          return undefined;
        }
        const summary = entry.value as DefinitionSummary | null;
        if (!summary) {
          round.absent.set(ref, `Model "${ref}" not found`);
          return undefined;
        }
        let model = round.models.get(ref);
        if (!model) {
          model = this.modelObject(round, summary);
          round.models.set(ref, model);
        }
        return model;
      },
      () => [...round.models.keys()],
    );
  }

  private modelObject(round: Round, summary: DefinitionSummary): Record<string, unknown> {
    let views = this.shared.summaryViews.get(summary);
    if (!views) {
      const input = {
        id: summary.id,
        name: summary.name,
        version: summary.version,
        tags: summary.tags ?? {},
        globalArguments: summary.globalArguments ?? {},
      };
      const definition: Record<string, unknown> = { ...input };
      if (summary.inputs !== undefined) definition.inputs = summary.inputs;
      views = { input, definition };
      this.shared.summaryViews.set(summary, views);
    }
    return {
      input: views.input,
      definition: views.definition,
      resource: this.specMap(round, "resource", summary.name),
      file: this.specMap(round, "file", summary.name),
    };
  }

  /** `model.<m>.resource` / `.file`: any spec name gives an instance map. */
  private specMap(round: Round, kind: "resource" | "file", model: string): Record<string, unknown> {
    const specs = new Map<string, Record<string, unknown>>();
    return lazyMap(
      (spec) => {
        let instances = specs.get(spec);
        if (!instances) {
          instances = this.instanceMap(round, kind, model, spec);
          specs.set(spec, instances);
        }
        return instances;
      },
      () => [],
    );
  }

  private instanceMap(round: Round, kind: "resource" | "file", model: string, spec: string): Record<string, unknown> {
    const memo = this.shared.memo;
    const listKind = kind === "resource" ? "resources" : "files";
    const listed = (): Record<string, unknown> | undefined => {
      const entry = memo.peek(specKey(listKind, model, spec));
      return entry?.state === "done" ? (entry.value as Record<string, unknown>) : undefined;
    };
    return lazyMap(
      (instance) => {
        const all = listed();
        let found: unknown;
        if (all) found = Object.hasOwn(all, instance) ? all[instance] : undefined;
        else {
          const entry = memo.peek(instanceKey(kind, model, spec, instance));
          if (!entry || entry.state !== "done") {
            round.need({ kind, model, spec, instance });
            return undefined;
          }
          found = entry.value;
        }
        if (found === null || found === undefined) {
          round.absent.set(instance, `No ${kind} "${instance}" of spec "${spec}" for model "${model}"`);
          return undefined;
        }
        return found;
      },
      () => {
        const all = listed();
        if (all) return Object.keys(all);
        round.need({ kind: listKind, model, spec });
        return [];
      },
    );
  }

  // ---- lookups -----------------------------------------------------------------------------

  private loadNeed(need: Need): Promise<unknown> {
    const memo = this.shared.memo;
    const data = this.shared.data;
    switch (need.kind) {
      case "model": {
        const definitions = this.shared.definitions;
        return memo.load(modelKey(need.ref), async () => (definitions ? await definitions.find(need.ref) : null)).promise;
      }
      case "resource":
        return memo.load(instanceKey("resource", need.model, need.spec, need.instance), async () => {
          if (!data) return null;
          if (data.resource) return plainRecord(await data.resource(need.model, need.spec, need.instance));
          const record = await data.latest(need.model, need.instance);
          return record && record.specName === need.spec ? plainRecord(record) : null;
        }).promise;
      case "file":
        return memo.load(instanceKey("file", need.model, need.spec, need.instance), async () =>
          data?.file ? plainRecord(await data.file(need.model, need.spec, need.instance)) : null,
        ).promise;
      case "resources":
        return memo.load(specKey("resources", need.model, need.spec), async () => {
          const out: Record<string, unknown> = {};
          for (const record of data ? await data.findBySpec(need.model, need.spec) : []) out[record.name] = plainRecord(record);
          return out;
        }).promise;
      case "files":
        return memo.load(specKey("files", need.model, need.spec), async () => {
          const out: Record<string, unknown> = {};
          if (!data?.file) return out;
          const records = await data.findBySpec(need.model, need.spec);
          const files = await Promise.all(records.map((r) => data.file?.(need.model, need.spec, r.name) ?? null));
          records.forEach((r, i) => {
            const file = files[i];
            if (file) out[r.name] = plainRecord(file);
          });
          return out;
        }).promise;
    }
  }

  private async resolveNeeds(needs: Iterable<Need>): Promise<void> {
    await Promise.all([...needs].map((need) => this.loadNeed(need)));
  }

  private collectPrefetch(analysis: ExpressionAnalysis, pending: Promise<unknown>[]): void {
    const swallow = (p: Promise<unknown>): void => {
      pending.push(p.catch(() => undefined));
    };
    for (const chain of analysis.chains) {
      if (chain.root !== "model") continue;
      const [ref, kind, spec, instance] = chain.segments;
      if (typeof ref !== "string") continue;
      const model = this.loadNeed({ kind: "model", ref });
      if ((kind === "resource" || kind === "file") && typeof spec === "string" && typeof instance === "string") {
        swallow(
          model.then((summary) => {
            const name = (summary as DefinitionSummary | null)?.name;
            return name === undefined ? undefined : this.loadNeed({ kind, model: name, spec, instance });
          }),
        );
      } else {
        swallow(model);
      }
    }
    for (const call of analysis.calls) {
      if (call.args.includes(COMPUTED)) continue;
      const args = call.args as unknown[];
      try {
        let result: unknown;
        if (call.namespace === "data" && DATA_METHODS.has(call.method)) result = this.invokeData(call.method, args);
        else if (call.namespace === "file" && call.method === "contents" && args.length === 2) {
          result = this.fileFns.contents(String(args[0]), String(args[1]));
        }
        if (result instanceof Promise) swallow(result);
      } catch {
        // Bad literal arguments: the evaluation reports them.
      }
    }
  }

  /** Call a data function as CEL would, from literal arguments (prefetch). */
  private invokeData(method: string, args: unknown[]): unknown {
    const fns = this.dataFns;
    const str = (v: unknown): string => {
      if (typeof v !== "string") throw new TypeError("not a string");
      return v;
    };
    const list = (v: unknown): unknown[] => {
      if (!Array.isArray(v)) throw new TypeError("not a list");
      return v;
    };
    switch (`${method}/${args.length}`) {
      case "latest/2":
        return fns.latest(str(args[0]), str(args[1]));
      case "latest/3":
        return fns.latest(str(args[0]), str(args[1]), list(args[2]));
      case "version/3":
        return fns.version(str(args[0]), str(args[1]), undefined, args[2]);
      case "version/4":
        return fns.version(str(args[0]), str(args[1]), list(args[2]), args[3]);
      case "listVersions/2":
        return fns.listVersions(str(args[0]), str(args[1]));
      case "listVersions/3":
        return fns.listVersions(str(args[0]), str(args[1]), list(args[2]));
      case "findByTag/2":
        return fns.findByTag(str(args[0]), str(args[1]));
      case "findBySpec/2":
        return fns.findBySpec(str(args[0]), str(args[1]));
      case "query/1":
        return fns.query(str(args[0]));
      case "query/2":
        return fns.query(str(args[0]), str(args[1]));
      default:
        return undefined;
    }
  }

  private dataAccess(fn: string): DataAccess {
    const data = this.shared.data;
    if (!data) throw new ExpressionError(`data.${fn}() is not available in this context (no data access configured)`);
    return data;
  }

  private dataFunctions(): DataFunctions {
    const memo = this.shared.memo;
    const key = (...parts: unknown[]): string => JSON.stringify(parts);
    return {
      latest: (model, name, vary) => {
        const full = composeDataName(name, vary);
        return memo.value(key("latest", model, full), async () => plainRecord(await this.dataAccess("latest").latest(model, full)));
      },
      version: (model, name, vary, version) => {
        const full = composeDataName(name, vary);
        const n = toVersionNumber(version);
        return memo.value(key("version", model, full, n), async () =>
          plainRecord(await this.dataAccess("version").version(model, full, n)),
        );
      },
      listVersions: (model, name, vary) => {
        const full = composeDataName(name, vary);
        return memo.value(key("listVersions", model, full), async () =>
          [...(await this.dataAccess("listVersions").listVersions(model, full))].sort((a, b) => a - b),
        );
      },
      findByTag: (tagKey, value) =>
        memo.value(key("findByTag", tagKey, value), async () =>
          (await this.dataAccess("findByTag").findByTag(tagKey, value)).map(plainRecord),
        ),
      findBySpec: (model, spec) =>
        memo.value(key("findBySpec", model, spec), async () => {
          const scope = this.options.runScope;
          const access = this.dataAccess("findBySpec");
          return (await (scope ? access.findBySpec(model, spec, scope) : access.findBySpec(model, spec))).map(plainRecord);
        }),
      query: (predicate, select) =>
        memo.value(key("query", predicate, select ?? null), async () =>
          (await this.dataAccess("query").query(predicate, select)).map(plainRecord),
        ),
    };
  }

  private fileFunctions(): FileFunctions {
    const memo = this.shared.memo;
    return {
      contents: (model, spec) =>
        memo.value(JSON.stringify(["fileContents", model, spec]), async () => {
          const data = this.shared.data;
          if (!data) throw new ExpressionError("file.contents() is not available in this context (no data access configured)");
          return data.fileContents(model, spec);
        }),
    };
  }
}

/** Replace cel-js's "No such key: x" by what x was, when the context knows. */
function clarify(error: unknown, round: Round): unknown {
  if (round.absent.size === 0 || !(error instanceof Error)) return error;
  const m = /^No such key: (.*)$/.exec(error.message.split("\n")[0] ?? "");
  const better = m ? round.absent.get(m[1] as string) : undefined;
  return better ? new ExpressionError(better, undefined, error) : error;
}

function plainEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/** `self` for a definition: {id, name, version, tags, globalArguments (raw)}. */
export function selfFromDefinition(definition: {
  id?: unknown;
  name?: unknown;
  version?: unknown;
  tags?: unknown;
  globalArguments?: unknown;
}): SelfInfo {
  const self: SelfInfo = {};
  if (typeof definition.id === "string") self.id = definition.id;
  if (typeof definition.name === "string") self.name = definition.name;
  if (typeof definition.version === "number") self.version = definition.version;
  if (definition.tags && typeof definition.tags === "object") self.tags = definition.tags as Record<string, string>;
  if (definition.globalArguments && typeof definition.globalArguments === "object") {
    self.globalArguments = definition.globalArguments as Record<string, unknown>;
  }
  return self;
}
