/**
 * `data.*`, `file.contents` and `model.<m>.resource|file` for CEL, answered by the versioned
 * data repository. Each call touches only the model it names (point lookups and that model's
 * index); catalog-wide questions go through the query index.
 */
import type { DataAccess, FileRecord, RunScope } from "../expressions/context.js";
import { queryData } from "../data/query.js";
import { loadContent, toDataRecord, type DataRecord } from "../data/record.js";
import type { DataRepository } from "../data/repository.js";
import type { DataMetadata } from "../data/metadata.js";
import type { DefinitionRepository } from "./repository.js";

/** A CEL string literal for `value` (JSON string escapes are valid CEL escapes). */
export function celString(value: string): string {
  return JSON.stringify(value);
}

export class RepositoryDataAccess implements DataAccess {
  /** Model references resolved once per evaluation: each lookup reads and parses a definition file. */
  private readonly models = new Map<string, Promise<{ type: string; id: string; name: string } | null>>();

  constructor(
    private readonly data: DataRepository,
    private readonly definitions: DefinitionRepository,
  ) {}

  private model(ref: string): Promise<{ type: string; id: string; name: string } | null> {
    let found = this.models.get(ref);
    if (!found) {
      found = this.definitions.find(ref).then((s) => (s ? { type: s.definition.type ?? "", id: s.definition.id, name: s.definition.name } : null));
      this.models.set(ref, found);
    }
    return found;
  }

  private async record(type: string, id: string, meta: DataMetadata | null): Promise<DataRecord | null> {
    if (!meta) return null;
    const record = toDataRecord(type, id, meta, true);
    const loaded = await loadContent(this.data.dataRoot, type, id, meta.name, meta.version, meta.contentType);
    record.attributes = loaded.attributes;
    record.content = loaded.content;
    return record;
  }

  async latest(model: string, name: string): Promise<DataRecord | null> {
    const m = await this.model(model);
    return m ? this.record(m.type, m.id, await this.data.get(m.type, m.id, name)) : null;
  }

  async version(model: string, name: string, version: number): Promise<DataRecord | null> {
    const m = await this.model(model);
    if (!m) return null;
    const record = await this.record(m.type, m.id, await this.data.get(m.type, m.id, name, version));
    if (record) {
      const versions = await this.listVersions(model, name);
      record.isLatest = versions[versions.length - 1] === version;
    }
    return record;
  }

  async listVersions(model: string, name: string): Promise<number[]> {
    const m = await this.model(model);
    if (!m) return [];
    return (await this.data.versions(m.type, m.id, name)).map((v) => v.version).sort((a, b) => a - b);
  }

  async findByTag(key: string, value: string): Promise<DataRecord[]> {
    return (await queryData(this.data, `tags[${celString(key)}] == ${celString(value)}`)).records;
  }

  async findBySpec(model: string, spec: string, scope?: RunScope): Promise<DataRecord[]> {
    const m = await this.model(model);
    if (!m) return [];
    const predicate = `modelName == ${celString(m.name)} && specName == ${celString(spec)}`;
    return (await queryData(this.data, predicate, scope ? { workflowRunId: scope.workflowRunId } : {})).records;
  }

  async query(predicate: string, select?: string): Promise<unknown[]> {
    const outcome = await queryData(this.data, predicate, select ? { select } : {});
    return outcome.results ?? outcome.records;
  }

  async fileContents(model: string, spec: string): Promise<string | null> {
    const records = await this.findBySpec(model, spec);
    const first = records.find((r) => r.dataType === "file");
    return first && typeof first.content === "string" ? first.content : null;
  }

  async resource(model: string, spec: string, instance: string): Promise<DataRecord | null> {
    const record = await this.latest(model, instance);
    return record && record.specName === spec ? record : null;
  }

  async file(model: string, spec: string, instance: string): Promise<FileRecord | null> {
    const m = await this.model(model);
    if (!m) return null;
    const meta = await this.data.get(m.type, m.id, instance);
    if (!meta || meta.tags.specName !== spec) return null;
    return {
      id: meta.id,
      version: meta.version,
      createdAt: meta.createdAt,
      path: this.data.contentPath(m.type, m.id, instance, meta.version),
      size: meta.size ?? 0,
      contentType: meta.contentType,
    };
  }
}
