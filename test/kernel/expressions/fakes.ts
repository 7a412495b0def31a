/**
 * In-memory DefinitionLookup / DataAccess / VaultAccess that count every call, so tests can
 * assert that evaluation touches only what an expression names.
 */
import type {
  DataAccess,
  DataRecord,
  DefinitionLookup,
  DefinitionSummary,
  FileRecord,
  RunScope,
} from "../../../kernel/expressions/context.js";
import type { VaultAccess } from "../../../kernel/expressions/evaluate.js";
import type { TypeInfo, TypeLookup } from "../../../kernel/expressions/validate-paths.js";

export function record(model: string, name: string, version: number, attributes: Record<string, unknown> = {}, extra: Partial<DataRecord> = {}): DataRecord {
  return {
    id: `${model}-${name}-${version}`,
    name,
    version,
    isLatest: true,
    createdAt: "2026-01-01T00:00:00.000Z",
    namespace: "",
    attributes,
    tags: { modelName: model, specName: extra.specName ?? "state", type: "resource" },
    modelName: model,
    modelId: `id-${model}`,
    modelType: "test/type",
    specName: "state",
    dataType: "resource",
    contentType: "application/json",
    lifetime: "infinite",
    ownerType: "model-method",
    streaming: false,
    size: 10,
    content: attributes,
    ownerRef: "",
    workflowRunId: "",
    workflowName: "",
    jobName: "",
    stepName: "",
    source: "",
    ...extra,
  };
}

export function summary(name: string, globalArguments: Record<string, unknown> = {}, extra: Partial<DefinitionSummary> = {}): DefinitionSummary {
  return { id: `id-${name}`, name, version: 1, tags: {}, globalArguments, type: "test/type", ...extra };
}

export class FakeDefinitions implements DefinitionLookup {
  readonly calls: string[] = [];
  readonly byRef = new Map<string, DefinitionSummary>();
  constructor(defs: DefinitionSummary[] = []) {
    for (const d of defs) this.add(d);
  }
  add(d: DefinitionSummary): this {
    this.byRef.set(d.name, d);
    this.byRef.set(d.id, d);
    return this;
  }
  async find(nameOrId: string): Promise<DefinitionSummary | null> {
    this.calls.push(nameOrId);
    return this.byRef.get(nameOrId) ?? null;
  }
}

type Call = [method: string, ...args: unknown[]];

export class FakeData implements DataAccess {
  readonly calls: Call[] = [];
  /** model → name → versions (ascending). */
  readonly store = new Map<string, Map<string, DataRecord[]>>();
  readonly files = new Map<string, FileRecord>();
  readonly contents = new Map<string, string>();
  queryResult: unknown[] = [];
  latency = 0;

  add(r: DataRecord): this {
    let names = this.store.get(r.modelName);
    if (!names) this.store.set(r.modelName, (names = new Map()));
    const versions = names.get(r.name) ?? [];
    versions.push(r);
    names.set(r.name, versions);
    return this;
  }
  /** Calls in progress now, and the most ever in progress at once. */
  inFlight = 0;
  maxInFlight = 0;
  private async tick(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.latency > 0) await new Promise((r) => setTimeout(r, this.latency));
    } finally {
      this.inFlight--;
    }
  }
  count(method: string): number {
    return this.calls.filter((c) => c[0] === method).length;
  }
  async latest(model: string, name: string): Promise<DataRecord | null> {
    this.calls.push(["latest", model, name]);
    await this.tick();
    const versions = this.store.get(model)?.get(name);
    return versions?.[versions.length - 1] ?? null;
  }
  async version(model: string, name: string, version: number): Promise<DataRecord | null> {
    this.calls.push(["version", model, name, version]);
    await this.tick();
    return this.store.get(model)?.get(name)?.find((r) => r.version === version) ?? null;
  }
  async listVersions(model: string, name: string): Promise<number[]> {
    this.calls.push(["listVersions", model, name]);
    await this.tick();
    return (this.store.get(model)?.get(name) ?? []).map((r) => r.version).reverse();
  }
  async findByTag(key: string, value: string): Promise<DataRecord[]> {
    this.calls.push(["findByTag", key, value]);
    await this.tick();
    const out: DataRecord[] = [];
    for (const names of this.store.values()) {
      for (const versions of names.values()) {
        const last = versions[versions.length - 1];
        if (last && last.tags[key] === value) out.push(last);
      }
    }
    return out;
  }
  async findBySpec(model: string, spec: string, scope?: RunScope): Promise<DataRecord[]> {
    this.calls.push(scope ? ["findBySpec", model, spec, scope.workflowRunId] : ["findBySpec", model, spec]);
    await this.tick();
    const out: DataRecord[] = [];
    for (const versions of this.store.get(model)?.values() ?? []) {
      const last = versions[versions.length - 1];
      if (last && last.specName === spec && (!scope || last.workflowRunId === scope.workflowRunId)) out.push(last);
    }
    return out;
  }
  async query(predicate: string, select?: string): Promise<unknown[]> {
    this.calls.push(["query", predicate, select]);
    await this.tick();
    return this.queryResult;
  }
  async fileContents(model: string, spec: string): Promise<string | null> {
    this.calls.push(["fileContents", model, spec]);
    await this.tick();
    return this.contents.get(`${model}/${spec}`) ?? null;
  }
  async file(model: string, spec: string, instance: string): Promise<FileRecord | null> {
    this.calls.push(["file", model, spec, instance]);
    await this.tick();
    return this.files.get(`${model}/${spec}/${instance}`) ?? null;
  }
}

/** A repository of `models` definitions and `items` data names (3 versions each). */
export function bigRepo(models: number, items: number): { definitions: FakeDefinitions; data: FakeData } {
  const definitions = new FakeDefinitions();
  for (let i = 0; i < models; i++) definitions.add(summary(`m${i}`, { index: i, url: `https://m${i}.example` }));
  const data = new FakeData();
  for (let i = 0; i < items; i++) {
    const model = `m${i % Math.max(models, 1)}`;
    const name = `d${Math.floor(i / Math.max(models, 1))}`;
    for (let v = 1; v <= 3; v++) data.add(record(model, name, v, { i, v, ip: `10.0.${i % 250}.${v}` }));
  }
  return { definitions, data };
}

export class FakeVault implements VaultAccess {
  readonly calls: Array<[string, string]> = [];
  constructor(private readonly secrets: Record<string, string>) {}
  async get(vault: string, key: string): Promise<string> {
    this.calls.push([vault, key]);
    const value = this.secrets[`${vault}/${key}`];
    if (value === undefined) throw new Error(`Secret "${key}" not found in vault "${vault}"\nsecond line`);
    return value;
  }
}

export class FakeTypes implements TypeLookup {
  readonly calls: string[] = [];
  constructor(private readonly types: Record<string, TypeInfo>) {}
  async find(type: string): Promise<TypeInfo | null> {
    this.calls.push(type);
    return this.types[type] ?? null;
  }
}
