/**
 * Model-type port: what a type declares (arguments, outputs, methods, checks) and the context
 * a method runs with. Builtins (`command/shell`) and `export const model` extensions share it.
 */
import * as z from "zod";
import { CALVER_PATTERN, LIFETIME_PATTERN, type ModelTypeRef } from "./model-type-names.js";

// Plain values (no zod), apart so an extension worker can use them without building schemas.
export { CALVER_PATTERN, LIFETIME_PATTERN, modelTypeString, type ModelTypeRef } from "./model-type-names.js";

/** `ephemeral | infinite | job | workflow | <n><mo|y|h|m|d|w>` */
export type Lifetime = string;
/** Keep N versions, or keep versions younger than a duration. */
export type GarbageCollectionPolicy = number | string;

export type MethodKind = "create" | "read" | "update" | "delete" | "list" | "action";

export interface ResourceOutputSpec {
  description?: string;
  /** Zod schema validating what the method writes (a mismatch warns, never fails). */
  schema: unknown;
  lifetime: Lifetime;
  garbageCollection: GarbageCollectionPolicy;
  tags?: Record<string, string>;
  sensitiveOutput?: boolean;
  vaultName?: string;
}

export interface FileOutputSpec {
  description?: string;
  contentType: string;
  lifetime: Lifetime;
  garbageCollection: GarbageCollectionPolicy;
  streaming?: boolean;
  tags?: Record<string, string>;
}

export interface DataHandle {
  name: string;
  specName: string;
  kind: "resource" | "file";
  dataId: string;
  version: number;
  size: number;
  tags: Record<string, string>;
  metadata: {
    contentType: string;
    lifetime: Lifetime;
    garbageCollection: GarbageCollectionPolicy;
    streaming?: boolean;
    tags: Record<string, string>;
    ownerDefinition: { ownerType: string; ownerRef: string };
    lifecycle?: "active" | "deleted";
  };
  attributes?: Record<string, unknown>;
}

/**
 * A single-use writer of one new version of a file (or resource) output.
 *
 * - `writeLine(line)` appends `line + "\n"` (a line may itself contain `\n`: it is appended
 *   as is, so batching several lines into one call is allowed and cheap).
 * - `writeAll`/`writeText` write the whole content when nothing was written yet; after
 *   `writeLine`/`getFilePath` they append the bytes as the final chunk and finalize. This is
 *   how a streaming writer ends its content without a trailing newline.
 * - `writeAll`, `writeText`, `writeStream` and `finalize` are terminal: each commits the
 *   version and returns its handle; any later call throws.
 * - Nothing written through a writer is visible to readers until it is finalized. A writer
 *   that is never finalized must be discarded by the host when the method settles.
 */
export interface DataWriter {
  readonly dataId: string;
  readonly name: string;
  writeAll(bytes: Uint8Array): Promise<DataHandle>;
  writeText(text: string): Promise<DataHandle>;
  writeLine(line: string): Promise<void>;
  writeStream(stream: AsyncIterable<Uint8Array>, options?: { onLine?(line: string): void }): Promise<DataHandle>;
  getFilePath(): Promise<string>;
  finalize(): Promise<DataHandle>;
  /**
   * Drops everything written so far without committing a version (no-op once finalized).
   * Optional: a method calls it when it gives up on the content (e.g. command/shell on a
   * failing command); the host discards unfinalized writers anyway.
   */
  abort?(): Promise<void>;
}

export interface MethodLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /**
   * Optional: several lines of a command's output at once, `text` being the lines joined by
   * "\n" — the same as `info` (stdout) or `warn` (stderr) for each line, without a call per
   * line. Callers fall back to per-line calls when a logger has none.
   */
  output?(text: string, stream: "stdout" | "stderr"): void;
}

export interface WriteOverrides {
  tags?: Record<string, string>;
  lifetime?: Lifetime;
  garbageCollection?: GarbageCollectionPolicy;
}

/**
 * One version of a data item as the data repository returns it (metadata only; the bytes come
 * from `getContent`). `lifecycle` is `deleted` on tombstones and deletion markers.
 */
export interface DataItem {
  id: string;
  name: string;
  version: number;
  contentType: string;
  lifetime: Lifetime;
  garbageCollection: GarbageCollectionPolicy;
  streaming: boolean;
  tags: Record<string, string>;
  ownerDefinition: { ownerType: string; ownerRef: string; [field: string]: string };
  createdAt: string;
  lifecycle: "active" | "deleted";
  size?: number;
  checksum?: string;
  renamedTo?: string;
}

/**
 * A model type as methods pass it: the type string, or an object carrying it (`normalized`
 * or `raw`, as swamp's ModelType has).
 */


/**
 * The read side of the repository's versioned data, as methods see it. `modelId` may be a
 * definition's UUID or its name. Data names are validated (no `..`, `/`, `\`, NUL, leading
 * `.`, nor `latest`): a bad name fails with `validation_failed`, it never reaches a path.
 */
export interface MethodDataRepository {
  /** The repository's namespace ("" in solo mode). */
  readonly namespace: string;
  /** Latest version (following renames) or exactly `version`; null when absent. */
  findByName(type: ModelTypeRef, modelId: string, dataName: string, version?: number): Promise<DataItem | null>;
  /** The item with this data id (latest version, or exactly `version`); null when absent. */
  findById(type: ModelTypeRef, modelId: string, dataId: string, version?: number): Promise<DataItem | null>;
  /** Every committed version number of `dataName`, ascending. */
  listVersions(type: ModelTypeRef, modelId: string, dataName: string): Promise<number[]>;
  /** The latest version number of `dataName`, or null. */
  getLatestVersion(type: ModelTypeRef, modelId: string, dataName: string): Promise<number | null>;
  /** The latest version of every data item of the model (renames resolved, deletion markers included). */
  findAllForModel(type: ModelTypeRef, modelId: string): Promise<DataItem[]>;
  /** The latest version of every data item of every model. */
  findAllGlobal(): Promise<Array<{ data: DataItem; modelType: string; modelId: string }>>;
  /** The bytes of the latest version (not following renames) or of `version`; null when absent. */
  getContent(type: ModelTypeRef, modelId: string, dataName: string, version?: number): Promise<Uint8Array | null>;
}

/** A stored model definition as read from its YAML (`id`, `name`, `type`, `version`, `tags`, …). */
export type DefinitionItem = Record<string, unknown> & { id: string; name: string; type: string };

/** The read side of the repository's model definitions, as methods see it. */
export interface MethodDefinitionRepository {
  findById(type: ModelTypeRef, id: string): Promise<DefinitionItem | null>;
  findByName(type: ModelTypeRef, name: string): Promise<DefinitionItem | null>;
  findAll(type: ModelTypeRef): Promise<DefinitionItem[]>;
  findByNameGlobal(name: string): Promise<{ definition: DefinitionItem; type: string } | null>;
  findAllGlobal(): Promise<Array<{ definition: DefinitionItem; type: string }>>;
}

/**
 * The read operations a method context offers, in one object: the data and definition
 * repositories and the CEL query of `swamp data query`. The host implements it once
 * (kernel/models/context-reads.ts); extension workers reach it through host calls.
 */
export interface ContextReads {
  dataRepository: MethodDataRepository;
  definitionRepository: MethodDefinitionRepository;
  /** Records (or, with `select`, projected values) matching a CEL predicate, as `swamp data query`. */
  queryData(predicate: string, select?: string): Promise<unknown[]>;
}

/**
 * A fresh cel-js Environment with swamp's options (unlisted variables are dyn, optional types,
 * mixed int/double arithmetic) and no swamp namespaces. Typed loosely: the sdk does not depend
 * on cel-js.
 */
export interface CelEnvironment {
  evaluate(expression: string, context?: Record<string, unknown>): unknown;
  [member: string]: unknown;
}

export interface MethodContext {
  signal: AbortSignal;
  repoDir: string;
  modelType: string;
  modelId: string;
  methodName: string;
  globalArgs: Record<string, unknown>;
  definition: { id: string; name: string; version: number; tags: Record<string, string> };
  logger: MethodLogger;
  writeResource(specName: string, instanceName: string, data: Record<string, unknown>, overrides?: WriteOverrides): Promise<DataHandle>;
  createFileWriter(specName: string, instanceName: string, overrides?: WriteOverrides & { contentType?: string }): DataWriter;
  readResource(instanceName: string, version?: number): Promise<Record<string, unknown> | null>;
  deleteResource(instanceName: string): Promise<void>;
  /** Reads any model's versioned data (read-only). */
  dataRepository: MethodDataRepository;
  /** Reads the repository's model definitions (read-only). */
  definitionRepository: MethodDefinitionRepository;
  /** The CEL query of `swamp data query`: records, or projected values with `select`. */
  queryData(predicate: string, select?: string): Promise<unknown[]>;
  /** A fresh, isolated cel-js Environment (no swamp namespaces). */
  createCelEnvironment(): CelEnvironment;
  /**
   * Secret values for child processes, keyed by environment variable name (the host passes
   * vault secrets as `__SWAMP_VAULT_<n>` and rewrites `run` to reference them). A method that
   * spawns processes merges these into the child environment; they never appear in argv,
   * logs or data. Absent when the run resolved no secrets.
   */
  secretEnv?: Record<string, string>;
  /**
   * Replaces every registered secret value in `text` with `***`. Methods apply it to output
   * they log or persist (command/shell: each stdout/stderr line and the command text).
   * Absent means nothing to redact.
   */
  redact?(text: string): string;
}

export interface MethodResult {
  dataHandles?: DataHandle[];
}

export interface MethodDefinition {
  description: string;
  kind?: MethodKind;
  rollbackOnFailure?: boolean;
  /** Zod schema of the method's arguments. */
  arguments: unknown;
  execute(args: Record<string, unknown>, context: MethodContext): Promise<MethodResult | void>;
}

export interface CheckContext {
  signal: AbortSignal;
  repoDir: string;
  modelType: string;
  modelId: string;
  methodName: string;
  globalArgs: Record<string, unknown>;
  definition: { id: string; name: string; version: number; tags: Record<string, string> };
  logger: MethodLogger;
}

export interface CheckResult {
  pass: boolean;
  errors?: string[];
}

export interface CheckDefinition {
  description: string;
  labels?: string[];
  appliesTo?: string[];
  execute(context: CheckContext): Promise<CheckResult>;
}

/** What a model-type plugin (`export const model`) provides. */
export interface ModelTypePlugin {
  type: string;
  /** CalVer `YYYY.MM.DD.MICRO`. */
  version: string;
  globalArguments?: unknown;
  resources?: Record<string, ResourceOutputSpec>;
  files?: Record<string, FileOutputSpec>;
  methods: Record<string, MethodDefinition>;
  checks?: Record<string, CheckDefinition>;
  reports?: string[];
}


// ---- Wire schemas ----

/** Built on first use: constructing zod schemas is start-up time most commands never need. */
function buildWireSchemas() {
  const DataHandleSchema = z.object({
    name: z.string(),
    specName: z.string(),
    kind: z.enum(["resource", "file"]),
    dataId: z.string(),
    version: z.number().int().positive(),
    size: z.number().int().nonnegative(),
    tags: z.record(z.string(), z.string()),
    metadata: z.object({
      contentType: z.string(),
      lifetime: z.string(),
      garbageCollection: z.union([z.number().int().positive(), z.string()]),
      streaming: z.boolean().optional(),
      tags: z.record(z.string(), z.string()),
      ownerDefinition: z.object({ ownerType: z.string(), ownerRef: z.string() }),
      lifecycle: z.enum(["active", "deleted"]).optional(),
    }),
    attributes: z.record(z.string(), z.unknown()).optional(),
  });

  const CheckResultSchema = z.object({
    pass: z.boolean(),
    errors: z.array(z.string()).optional(),
  });

  /** A model type's declared shape with its zod schemas turned into JSON Schema. */
  const ModelTypeDescriptionSchema = z.object({
    type: z.string(),
    version: z.string().regex(CALVER_PATTERN),
    globalArguments: z.record(z.string(), z.unknown()).optional(),
    resources: z.record(z.string(), z.object({
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()),
      lifetime: z.string().regex(LIFETIME_PATTERN),
      garbageCollection: z.union([z.number().int().positive(), z.string()]),
      tags: z.record(z.string(), z.string()).optional(),
      sensitiveOutput: z.boolean().optional(),
      vaultName: z.string().optional(),
    })).optional(),
    files: z.record(z.string(), z.object({
      description: z.string().optional(),
      contentType: z.string(),
      lifetime: z.string().regex(LIFETIME_PATTERN),
      garbageCollection: z.union([z.number().int().positive(), z.string()]),
      streaming: z.boolean().optional(),
      tags: z.record(z.string(), z.string()).optional(),
    })).optional(),
    methods: z.record(z.string(), z.object({
      description: z.string(),
      kind: z.enum(["create", "read", "update", "delete", "list", "action"]).optional(),
      rollbackOnFailure: z.boolean().optional(),
      arguments: z.record(z.string(), z.unknown()),
    })),
    checks: z.record(z.string(), z.object({
      description: z.string(),
      labels: z.array(z.string()).optional(),
      appliesTo: z.array(z.string()).optional(),
    })).optional(),
    reports: z.array(z.string()).optional(),
  });
  return { DataHandleSchema, CheckResultSchema, ModelTypeDescriptionSchema };
}

let wire: ReturnType<typeof buildWireSchemas> | undefined;
export const wireSchemas = () => (wire ??= buildWireSchemas());

export type ModelTypeDescription = z.infer<ReturnType<typeof wireSchemas>["ModelTypeDescriptionSchema"]>;
