/**
 * The MethodContext a method body runs with: its writers persist through the data repository
 * with the tag chain, lifetime overrides and redaction applied, and every handle produced is
 * collected so the run can report it even when the method forgets to return it.
 */
import { SwampError } from "../contract/errors.js";
import type {
  CelEnvironment,
  ContextReads,
  DataHandle,
  DataWriter,
  MethodContext,
  MethodLogger,
  ModelTypePlugin,
  WriteOverrides,
} from "../contract/ports/model-type.js";
import type { OwnerDefinition } from "../data/metadata.js";
import type { DataRepository } from "../data/repository.js";
import { resolveTags } from "../data/tags.js";
import type { Redactor } from "../runtime/redact.js";
import type { VaultStore } from "../contract/ports/vault.js";
import { revealingResolver } from "../vaults/lazy.js";
import { redactExceptReferences, resolveVaultReferences } from "../vaults/references.js";
import { protectSensitiveFields } from "../vaults/sensitive.js";
import type { Definition } from "./definition.js";
import { mergeSpecOverrides, type SpecOverride } from "./step-data.js";

export interface MethodContextOptions {
  data: DataRepository;
  plugin: ModelTypePlugin;
  /** The evaluated definition. */
  definition: Definition;
  methodName: string;
  repoDir: string;
  signal: AbortSignal;
  globalArgs: Record<string, unknown>;
  runtimeTags: Record<string, string>;
  logger: MethodLogger;
  redactor: Redactor;
  secretEnv?: Record<string, string>;
  /**
   * The repository's vaults: sensitive resource fields are stored there (and replaced by
   * `${{ vault.get(…) }}` references), and `readResource` resolves those references. Without
   * it, writing a sensitive field fails (it is never persisted in plain text).
   */
  vaults?: VaultStore;
  /** The read operations (data, definitions, query) of kernel/models/context-reads.ts. */
  reads: ContextReads;
  /** Builds a fresh cel-js Environment (the CEL engine is loaded by the caller). */
  createCelEnvironment(): CelEnvironment;
  /**
   * Per-spec lifetime, gc, vaultName and tags (mergeSpecOverrides of step-data.ts). Absent:
   * the definition's `resources:` overrides.
   */
  specOverrides?: ReadonlyMap<string, SpecOverride>;
  /** Inside a workflow step: how its writes are marked (step-data.ts). */
  step?: StepMarks;
}

/** What a workflow step adds to each write. */
export interface StepMarks {
  /** Tag layer 7. */
  tags: Record<string, string>;
  owner: OwnerDefinition;
  /** Encoded vary values per spec: they suffix every instance name written under it. */
  vary: ReadonlyMap<string, readonly string[]>;
}

function parseJsonObject(bytes: Buffer | null): Record<string, unknown> | null {
  if (!bytes) return null;
  try {
    const value = JSON.parse(bytes.toString("utf8")) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export class MethodRun {
  readonly handles: DataHandle[] = [];
  private readonly open = new Set<DataWriter>();
  private readonly specs: ReadonlyMap<string, SpecOverride>;
  readonly context: MethodContext;

  constructor(private readonly o: MethodContextOptions) {
    const def = o.definition;
    this.specs = o.specOverrides ?? mergeSpecOverrides(def.resources, undefined);
    const modelType = def.type ?? o.plugin.type;
    this.context = {
      signal: o.signal,
      repoDir: o.repoDir,
      modelType,
      modelId: def.id,
      methodName: o.methodName,
      globalArgs: o.globalArgs,
      definition: { id: def.id, name: def.name, version: def.version, tags: def.tags },
      logger: o.logger,
      writeResource: (spec, instance, data, overrides) => this.writeResource(spec, instance, data, overrides),
      createFileWriter: (spec, instance, overrides) => this.createFileWriter(spec, instance, overrides),
      readResource: async (instance, version) => {
        const meta = await o.data.get(modelType, def.id, instance, version);
        const parsed = meta ? parseJsonObject(await o.data.getContent(modelType, def.id, meta.name, meta.version)) : null;
        if (!parsed || !o.vaults) return parsed;
        // The method reads its own data: references resolve to values, each registered for redaction.
        return resolveVaultReferences(parsed, revealingResolver(o.vaults, this.caller, (s) => o.redactor.register(s)));
      },
      deleteResource: async (instance) => {
        if (await o.data.get(modelType, def.id, instance)) await o.data.delete(modelType, def.id, instance);
      },
      dataRepository: o.reads.dataRepository,
      definitionRepository: o.reads.definitionRepository,
      queryData: (predicate, select) => o.reads.queryData(predicate, select),
      createCelEnvironment: () => o.createCelEnvironment(),
      redact: (text) => o.redactor.redact(text),
      ...(o.secretEnv && Object.keys(o.secretEnv).length ? { secretEnv: o.secretEnv } : {}),
    };
  }

  /** Audit caller context of this run's vault operations. */
  private get caller(): string {
    return `model-method:${this.o.definition.name}:${this.o.methodName}`;
  }

  /** Step override, else definition override (already merged field by field), else the write's, else the spec's. */
  private lifecycle(spec: string, declared: { lifetime: string; garbageCollection: number | string }, overrides?: WriteOverrides) {
    const merged = this.specs.get(spec);
    return {
      lifetime: merged?.lifetime ?? overrides?.lifetime ?? declared.lifetime,
      garbageCollection: merged?.garbageCollection ?? overrides?.garbageCollection ?? declared.garbageCollection,
    };
  }

  private tags(kind: "resource" | "file", spec: string, specTags?: Record<string, string>, writeTags?: Record<string, string>) {
    return resolveTags({
      kind,
      definitionTags: this.o.definition.tags,
      specTags,
      writeTags,
      specName: spec,
      modelName: this.o.definition.name,
      workflowTags: this.o.step?.tags,
      runtimeTags: this.o.runtimeTags,
      outputOverrideTags: this.specs.get(spec)?.tags,
    });
  }

  /** The data name an instance is written under: with the step's vary suffix for the spec. */
  private dataName(spec: string, instance: string): string {
    const parts = this.o.step?.vary.get(spec);
    return parts && parts.length > 0 ? [instance, ...parts].join("-") : instance;
  }

  private owner(): OwnerDefinition {
    return this.o.step?.owner ?? { ownerType: "model-method", ownerRef: this.context.modelId };
  }

  private async writeResource(spec: string, written: string, data: Record<string, unknown>, overrides?: WriteOverrides): Promise<DataHandle> {
    const declared = this.o.plugin.resources?.[spec];
    if (!declared) {
      const names = Object.keys(this.o.plugin.resources ?? {});
      throw new SwampError(
        "validation_failed",
        `Undeclared resource spec '${spec}' in model '${this.o.plugin.type}'. Declared resource specs: ${names.join(", ") || "(none)"}`,
      );
    }
    const instance = this.dataName(spec, written);
    const vaultName = this.specs.get(spec)?.vaultName;
    // Sensitive fields go to a vault first (their values are registered with the redactor, so
    // nothing logged from here on can show them); the references are what gets persisted.
    const { data: persisted, stored } = await protectSensitiveFields(data, {
      spec: declared,
      specName: spec,
      instanceName: instance,
      modelType: this.context.modelType,
      modelId: this.context.modelId,
      methodName: this.o.methodName,
      ...(vaultName ? { definitionVaultName: vaultName } : {}),
      ...(this.o.vaults ? { store: this.o.vaults } : {}),
      onSecret: (secret) => this.o.redactor.register(secret),
      caller: this.caller,
    });
    for (const s of stored) this.o.logger.debug(`Stored sensitive field '${s.fieldPath}' of resource '${spec}' in vault '${s.vaultName}' under key '${s.vaultKey}'`);
    const schema = declared.schema as { safeParse?: (v: unknown) => { success: boolean; error?: { message: string } } } | undefined;
    if (schema?.safeParse) {
      const result = schema.safeParse(data);
      if (!result.success) this.o.logger.warn(`Resource '${spec}' (instance '${instance}') data does not match schema: ${result.error?.message ?? ""}`);
    }
    const handle = await this.o.data.saveResource(
      {
        modelType: this.context.modelType,
        modelId: this.context.modelId,
        name: instance,
        ...this.lifecycle(spec, declared, overrides),
        tags: this.tags("resource", spec, declared.tags, overrides?.tags),
        ownerDefinition: this.owner(),
        specName: spec,
      },
      redactExceptReferences(this.o.redactor, persisted),
    );
    this.handles.push(handle);
    return handle;
  }

  private createFileWriter(spec: string, instance: string, overrides?: WriteOverrides & { contentType?: string }): DataWriter {
    const declared = this.o.plugin.files?.[spec];
    if (!declared) {
      const names = Object.keys(this.o.plugin.files ?? {});
      throw new SwampError(
        "validation_failed",
        `Undeclared file spec '${spec}' in model '${this.o.plugin.type}'. Declared file specs: ${names.join(", ") || "(none)"}`,
      );
    }
    const writer = this.o.data.createWriter({
      modelType: this.context.modelType,
      modelId: this.context.modelId,
      name: this.dataName(spec, instance),
      contentType: overrides?.contentType ?? declared.contentType,
      ...this.lifecycle(spec, declared, overrides),
      streaming: declared.streaming === true,
      tags: this.tags("file", spec, declared.tags, overrides?.tags),
      ownerDefinition: this.owner(),
      specName: spec,
    });
    this.open.add(writer);
    const settle = async (p: Promise<DataHandle>): Promise<DataHandle> => {
      const handle = await p;
      this.open.delete(writer);
      this.handles.push(handle);
      return handle;
    };
    return {
      dataId: writer.dataId,
      name: writer.name,
      writeAll: (bytes) => settle(writer.writeAll(bytes)),
      writeText: (text) => settle(writer.writeText(text)),
      writeLine: (line) => writer.writeLine(line),
      writeStream: (stream, options) => settle(writer.writeStream(stream, options)),
      getFilePath: () => writer.getFilePath(),
      finalize: () => settle(writer.finalize()),
      abort: async () => {
        this.open.delete(writer);
        await writer.abort();
      },
    };
  }

  /** Drops versions a method started but never finalized (a failed or careless method). */
  async discardUnfinalized(): Promise<void> {
    const writers = [...this.open];
    this.open.clear();
    await Promise.allSettled(writers.map((w) => w.abort?.()));
  }
}
