/**
 * In-memory stand-ins for the contexts a model type's code runs with, for unit tests that
 * need no repository:
 *
 *   const fake = createMethodTestContext({ resources: model.resources, files: model.files });
 *   await model.methods.greet.execute({ name: "ada" }, fake.context);
 *   fake.resource("main");          // → the data written for instance "main"
 *   fake.fileText("transcript");    // → the text of file "transcript"
 *   fake.logs;                      // → [{ level: "info", message: "…" }, …]
 *
 *   const run = await runModelMethod(model, "greet", { name: "ada" }, { globalArgs: { prefix: "hi" } });
 *
 * Behaviour follows the host: writes to undeclared specs fail (when specs are given), the
 * instance name `latest` is reserved, resource data must be JSON and is checked against the
 * spec's schema (a mismatch is recorded as a warning, as the host only warns), every write
 * gets a new version and a DataHandle, and file writers follow the DataWriter rules (writeLine
 * appends `line\n`; writeAll/writeText/writeStream/finalize are terminal; abort discards).
 * Secrets: `secretEnv` is exposed as `context.secretEnv`, and `context.redact` replaces each
 * of its values with `***` (unless you pass your own `redact`).
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SwampError } from "../../kernel/contract/errors.js";
import type { CheckContext, DataHandle, DataWriter, MethodContext, MethodResult, WriteOverrides } from "../../kernel/contract/ports/model-type.js";
import type { ExtensionLogger, TypedCheckContext, TypedMethodContext } from "../define.js";
import { field, isFunction, isRecord, isSchema, issueText, show } from "./internal.js";
import { createTestReads, type TestDataVersion, type TestReadsOptions } from "./reads.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogRecord {
  level: LogLevel;
  message: string;
}

export interface ResourceWriteRecord {
  specName: string;
  instanceName: string;
  /** The data as persisted (a JSON copy). */
  data: Record<string, unknown>;
  overrides?: WriteOverrides;
  handle: DataHandle;
}

export interface FileWriteRecord {
  specName: string;
  instanceName: string;
  overrides?: WriteOverrides & { contentType?: string };
  /** `open` until a terminal call; `aborted` after abort(). */
  state: "open" | "finalized" | "aborted";
  /** Content so far (final once finalized). */
  bytes: Uint8Array;
  readonly text: string;
  handle?: DataHandle;
}

export interface ReadRecord {
  instanceName: string;
  version?: number;
  found: boolean;
}

export interface SchemaWarning {
  specName: string;
  instanceName: string;
  message: string;
}

/** A spec map (`model.resources`), or just the names. */
export type SpecDeclaration = Record<string, unknown> | readonly string[];

export interface CheckTestContextOptions {
  repoDir?: string;
  modelType?: string;
  modelId?: string;
  methodName?: string;
  globalArgs?: Record<string, unknown>;
  definition?: Partial<CheckContext["definition"]>;
  /** Abort signal of the run; by default one you can fire with `abort()`. */
  signal?: AbortSignal;
}

export interface MethodTestContextOptions extends CheckTestContextOptions {
  /** Declared resource specs; when given, other spec names fail like on the host. */
  resources?: SpecDeclaration;
  /** Declared file specs; when given, other spec names fail like on the host. */
  files?: SpecDeclaration;
  /** What `readResource` finds before the method writes anything: instance name → data. */
  existingResources?: Record<string, Record<string, unknown>>;
  /** Secrets for child processes (`context.secretEnv`). */
  secretEnv?: Record<string, string>;
  /** Replaces secrets in text; default: every `secretEnv` value becomes `***`. */
  redact?(text: string): string;
  /** Data of other models (or older data of this one) that `context.dataRepository` finds. */
  data?: readonly TestDataVersion[];
  /** Definitions `context.definitionRepository` finds. */
  definitions?: TestReadsOptions["definitions"];
  /** Answers `context.queryData` (the sdk carries no CEL engine). */
  queryData?: TestReadsOptions["queryData"];
  /** Answers `context.createCelEnvironment` (the sdk carries no CEL engine). */
  createCelEnvironment?: TestReadsOptions["createCelEnvironment"];
}

/** The context a fake hands to a method: usable where any typed model's context is expected. */
export type FakeMethodContext = TypedMethodContext<any, any, any> & MethodContext & { logger: ExtensionLogger };

export interface MethodTestContext {
  context: FakeMethodContext;
  /** Fires the context's signal (only for the default signal). */
  abort(reason?: unknown): void;
  logs: LogRecord[];
  /** Every writeResource call, in order. */
  writes: ResourceWriteRecord[];
  /** Every file writer created, in order. */
  files: FileWriteRecord[];
  reads: ReadRecord[];
  /** Instance names passed to deleteResource. */
  deletes: string[];
  /** Every handle produced (resources and finalized files), in order. */
  handles: DataHandle[];
  /** Resource data that did not match its spec's schema. */
  schemaWarnings: SchemaWarning[];
  /** Latest data of a resource instance (undefined when absent or deleted). */
  resource(instanceName: string): Record<string, unknown> | undefined;
  /** Text of the last finalized file with this instance name. */
  fileText(instanceName: string): string | undefined;
  /** Removes temporary files made for `getFilePath()`. */
  cleanup(): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`expected bytes (Uint8Array) or a string, got ${show(value)}`);
}

/** `"created {id}"` with `{ id: 1 }` → `"created 1"`; extra values are appended. */
export function formatLogMessage(message: unknown, rest: unknown[]): string {
  const str = (v: unknown) => (typeof v === "string" ? v : v instanceof Error ? v.message : show(v));
  if (Array.isArray(message) && "raw" in message) {
    const parts = message as unknown as readonly string[];
    return parts.map((p, i) => (i < rest.length ? p + str(rest[i]) : p)).join("");
  }
  const text = str(message);
  const props = rest[0];
  if (rest.length === 1 && isRecord(props)) {
    return text.replace(/\{([A-Za-z_$][\w$.]*)\}/g, (whole, key: string) => (props[key] === undefined ? whole : str(props[key])));
  }
  return [text, ...rest.map(str)].join(" ");
}

/** A recording ExtensionLogger (trace → debug, warning → warn, fatal → error). */
export function createTestLogger(logs: LogRecord[] = []): ExtensionLogger & { logs: LogRecord[] } {
  const emit =
    (level: LogLevel) =>
    (message: unknown, ...rest: unknown[]): void => {
      logs.push({ level, message: formatLogMessage(message, rest) });
    };
  const logger = {
    logs,
    trace: emit("debug"),
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    warning: emit("warn"),
    error: emit("error"),
    fatal: emit("error"),
    with: () => logger,
    getChild: () => logger,
  };
  return logger;
}

/** Replaces each value (longest first) with `***`. */
export function secretRedactor(values: Iterable<string>): (text: string) => string {
  const sorted = [...values].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = String(text);
    for (const v of sorted) out = out.split(v).join("***");
    return out;
  };
}

function namesOf(decl: SpecDeclaration | undefined): Set<string> | null {
  if (decl === undefined) return null;
  return new Set(Array.isArray(decl) ? decl : Object.keys(decl));
}

function specOf(decl: SpecDeclaration | undefined, name: string): Record<string, unknown> | undefined {
  if (decl === undefined || Array.isArray(decl)) return undefined;
  const spec = (decl as Record<string, unknown>)[name];
  return isRecord(spec) ? spec : undefined;
}

/** The fields a method context and a check context share. */
function baseTestContext(options: CheckTestContextOptions, controller: AbortController, logs: LogRecord[]) {
  const modelId = options.modelId ?? randomUUID();
  return {
    signal: options.signal ?? controller.signal,
    repoDir: options.repoDir ?? "/tmp/swamp-test-repo",
    modelType: options.modelType ?? "@test/model",
    modelId,
    methodName: options.methodName ?? "execute",
    globalArgs: { ...(options.globalArgs ?? {}) },
    definition: {
      id: options.definition?.id ?? modelId,
      name: options.definition?.name ?? "test-model",
      version: options.definition?.version ?? 1,
      tags: { ...(options.definition?.tags ?? {}) },
    },
    logger: createTestLogger(logs),
  };
}

export function createMethodTestContext(options: MethodTestContextOptions = {}): MethodTestContext {
  const controller = new AbortController();
  const logs: LogRecord[] = [];
  const base = baseTestContext(options, controller, logs);
  const { modelType, modelId } = base;
  const writes: ResourceWriteRecord[] = [];
  const files: FileWriteRecord[] = [];
  const reads: ReadRecord[] = [];
  const deletes: string[] = [];
  const handles: DataHandle[] = [];
  const schemaWarnings: SchemaWarning[] = [];
  const tempDirs: string[] = [];
  const resourceNames = namesOf(options.resources);
  const fileNames = namesOf(options.files);
  /** instance name → versions (index = version - 1); null marks a deleted instance. */
  const stored = new Map<string, Array<Record<string, unknown>> | null>();
  const versions = new Map<string, number>();
  const dataIds = new Map<string, string>();
  for (const [name, data] of Object.entries(options.existingResources ?? {})) {
    stored.set(name, [JSON.parse(JSON.stringify(data)) as Record<string, unknown>]);
    versions.set(name, 1);
  }

  const checkInstance = (instanceName: unknown): string => {
    if (typeof instanceName !== "string" || instanceName.trim() === "") {
      throw new SwampError("validation_failed", `Instance name must be a non-empty string, got ${show(instanceName)}`);
    }
    if (instanceName.toLowerCase() === "latest") throw new SwampError("validation_failed", `Instance name '${instanceName}' is reserved`);
    return instanceName;
  };
  const checkSpec = (kind: "resource" | "file", specName: unknown, declared: Set<string> | null): string => {
    if (typeof specName !== "string" || specName === "") throw new SwampError("validation_failed", `${kind} spec name must be a non-empty string`);
    if (declared && !declared.has(specName)) {
      throw new SwampError(
        "validation_failed",
        `Undeclared ${kind} spec '${specName}' in model '${modelType}'. Declared ${kind} specs: ${[...declared].join(", ") || "(none)"}`,
      );
    }
    return specName;
  };

  const makeHandle = (
    kind: "resource" | "file",
    specName: string,
    name: string,
    size: number,
    spec: Record<string, unknown> | undefined,
    overrides: (WriteOverrides & { contentType?: string }) | undefined,
    attributes?: Record<string, unknown>,
  ): DataHandle => {
    const version = (versions.get(name) ?? 0) + 1;
    versions.set(name, version);
    let dataId = dataIds.get(name);
    if (!dataId) dataIds.set(name, (dataId = randomUUID()));
    const specTags = isRecord(spec?.["tags"]) ? (spec["tags"] as Record<string, string>) : {};
    const tags: Record<string, string> = { type: kind, ...specTags, ...(overrides?.tags ?? {}), specName, modelName: options.definition?.name ?? "test-model" };
    const contentType =
      kind === "resource" ? "application/json" : overrides?.contentType ?? (typeof spec?.["contentType"] === "string" ? spec["contentType"] : "application/octet-stream");
    const handle: DataHandle = {
      name,
      specName,
      kind,
      dataId,
      version,
      size,
      tags,
      metadata: {
        contentType,
        lifetime: overrides?.lifetime ?? (typeof spec?.["lifetime"] === "string" ? spec["lifetime"] : "infinite"),
        garbageCollection: overrides?.garbageCollection ?? (spec?.["garbageCollection"] as number | string | undefined) ?? 10,
        tags,
        ownerDefinition: { ownerType: "model-method", ownerRef: modelId },
      },
    };
    if (attributes) handle.attributes = attributes;
    handles.push(handle);
    return handle;
  };

  const createFileWriter = (specName: string, instanceName: string, overrides?: WriteOverrides & { contentType?: string }): DataWriter => {
    checkSpec("file", specName, fileNames);
    checkInstance(instanceName);
    const spec = specOf(options.files, specName);
    const record: FileWriteRecord = {
      specName,
      instanceName,
      ...(overrides ? { overrides } : {}),
      state: "open",
      bytes: new Uint8Array(0),
      get text() {
        return decoder.decode(this.bytes);
      },
    };
    files.push(record);
    let filePath: string | undefined;
    const dataId = dataIds.get(instanceName) ?? randomUUID();
    dataIds.set(instanceName, dataId);

    const ensureOpen = (op: string) => {
      if (record.state !== "open") throw new Error(`DataWriter.${op}() called after the writer was ${record.state} (file '${instanceName}')`);
    };
    const append = (bytes: Uint8Array) => {
      if (filePath) appendFileSync(filePath, bytes);
      else record.bytes = concat(record.bytes, bytes);
    };
    const finish = (): DataHandle => {
      if (filePath) record.bytes = new Uint8Array(readFileSync(filePath));
      record.state = "finalized";
      record.handle = makeHandle("file", specName, instanceName, record.bytes.byteLength, spec, overrides);
      return record.handle;
    };
    return {
      dataId,
      name: instanceName,
      async writeAll(bytes: Uint8Array) {
        ensureOpen("writeAll");
        append(toBytes(bytes));
        return finish();
      },
      async writeText(text: string) {
        ensureOpen("writeText");
        append(encoder.encode(String(text)));
        return finish();
      },
      async writeLine(line: string) {
        ensureOpen("writeLine");
        append(encoder.encode(`${String(line)}\n`));
      },
      async writeStream(stream: AsyncIterable<Uint8Array>, streamOptions?: { onLine?(line: string): void }) {
        ensureOpen("writeStream");
        let pending = "";
        const lineDecoder = new TextDecoder();
        for await (const chunk of stream) {
          const bytes = toBytes(chunk);
          append(bytes);
          if (streamOptions?.onLine) {
            pending += lineDecoder.decode(bytes, { stream: true });
            const lines = pending.split("\n");
            pending = lines.pop() ?? "";
            for (const line of lines) streamOptions.onLine(line);
          }
        }
        if (streamOptions?.onLine) {
          pending += lineDecoder.decode();
          if (pending !== "") streamOptions.onLine(pending);
        }
        return finish();
      },
      async getFilePath() {
        ensureOpen("getFilePath");
        if (!filePath) {
          const dir = mkdtempSync(join(tmpdir(), "swamp-sdk-file-"));
          tempDirs.push(dir);
          filePath = join(dir, "raw");
          writeFileSync(filePath, record.bytes);
        }
        return filePath;
      },
      async finalize() {
        ensureOpen("finalize");
        return finish();
      },
      async abort() {
        if (record.state !== "open") return;
        record.state = "aborted";
        record.bytes = new Uint8Array(0);
      },
    };
  };

  const secretEnv = options.secretEnv ? { ...options.secretEnv } : undefined;
  const redact = options.redact ?? (secretEnv ? secretRedactor(Object.values(secretEnv)) : undefined);

  // What this context wrote (and was seeded with) is what its dataRepository reads.
  const ownData = (): TestDataVersion[] => {
    const out: TestDataVersion[] = [...(options.data ?? [])];
    for (const [name, list] of stored) {
      (list ?? []).forEach((content, i) => out.push({ modelType, modelId, name, version: i + 1, content, tags: { type: "resource" } }));
    }
    for (const f of files) {
      if (f.state !== "finalized" || !f.handle) continue;
      out.push({ modelType, modelId, name: f.instanceName, version: f.handle.version, content: f.bytes, contentType: f.handle.metadata.contentType, tags: f.handle.tags });
    }
    return out;
  };
  const contextReads = createTestReads({
    data: ownData,
    ...(options.definitions ? { definitions: options.definitions } : {}),
    ...(options.queryData ? { queryData: options.queryData } : {}),
    ...(options.createCelEnvironment ? { createCelEnvironment: options.createCelEnvironment } : {}),
  });

  const context = {
    ...base,
    ...contextReads,
    async writeResource(specName: string, instanceName: string, data: Record<string, unknown>, overrides?: WriteOverrides) {
      checkSpec("resource", specName, resourceNames);
      checkInstance(instanceName);
      if (!isRecord(data)) throw new SwampError("validation_failed", `Resource '${specName}' (instance '${instanceName}') data must be an object, got ${show(data)}`);
      let json: string;
      try {
        json = JSON.stringify(data);
      } catch (err) {
        throw new SwampError("validation_failed", `Resource '${specName}' (instance '${instanceName}') data is not JSON: ${(err as Error).message}`);
      }
      const copy = JSON.parse(json) as Record<string, unknown>;
      const spec = specOf(options.resources, specName);
      const schema = spec?.["schema"];
      if (isSchema(schema)) {
        const parsed = schema.safeParse(copy);
        if (!parsed.success) {
          schemaWarnings.push({
            specName,
            instanceName,
            message: `Resource '${specName}' (instance '${instanceName}') data does not match schema: ${issueText(parsed.error)}`,
          });
        }
      }
      const list = stored.get(instanceName) ?? [];
      list.push(copy);
      stored.set(instanceName, list);
      const handle = makeHandle("resource", specName, instanceName, new TextEncoder().encode(json).byteLength, spec, overrides, copy);
      writes.push({ specName, instanceName, data: copy, ...(overrides ? { overrides } : {}), handle });
      return handle;
    },
    createFileWriter,
    async readResource(instanceName: string, version?: number) {
      const list = stored.get(instanceName);
      const data = list ? (version === undefined ? list[list.length - 1] : list[version - 1]) : undefined;
      reads.push({ instanceName, ...(version !== undefined ? { version } : {}), found: data !== undefined });
      return data === undefined ? null : (JSON.parse(JSON.stringify(data)) as Record<string, unknown>);
    },
    async deleteResource(instanceName: string) {
      deletes.push(instanceName);
      if (stored.has(instanceName)) stored.set(instanceName, null);
    },
    ...(secretEnv ? { secretEnv } : {}),
    ...(redact ? { redact } : {}),
  };

  return {
    context: context as unknown as FakeMethodContext,
    abort: (reason?: unknown) => controller.abort(reason),
    logs,
    writes,
    files,
    reads,
    deletes,
    handles,
    schemaWarnings,
    resource(instanceName: string) {
      const list = stored.get(instanceName);
      const last = list?.[list.length - 1];
      return last === undefined ? undefined : (JSON.parse(JSON.stringify(last)) as Record<string, unknown>);
    },
    fileText(instanceName: string) {
      for (let i = files.length - 1; i >= 0; i--) {
        const f = files[i];
        if (f && f.instanceName === instanceName && f.state === "finalized") return f.text;
      }
      return undefined;
    },
    cleanup() {
      for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FakeCheckContext = TypedCheckContext<any> & CheckContext & { logger: ExtensionLogger };

/** The context a check runs with (no writers), recording log lines. */
export function createCheckTestContext(options: CheckTestContextOptions = {}): { context: FakeCheckContext; logs: LogRecord[]; abort(reason?: unknown): void } {
  const controller = new AbortController();
  const logs: LogRecord[] = [];
  const context = baseTestContext(options, controller, logs);
  return { context: context as unknown as FakeCheckContext, logs, abort: (reason?: unknown) => controller.abort(reason) };
}

// ---------------------------------------------------------------------------------------------
// running a method the way the host does

/** Methods (or checks) as one map; an `extension` export lists them as an array of maps. */
export function asMap(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return Object.assign({}, ...value.filter(isRecord)) as Record<string, unknown>;
  return isRecord(value) ? value : {};
}

/**
 * Names of the arguments a schema declares (zod object shape or JSON Schema properties), or
 * null for an open schema (a record): global arguments merge only into declared names.
 */
function argumentKeys(schema: unknown): string[] | null {
  const shape = field(schema, "shape");
  if (isRecord(shape)) return Object.keys(shape);
  const properties = field(schema, "properties");
  if (isRecord(properties)) return Object.keys(properties);
  return null;
}

function parseWith(schema: unknown, value: unknown, what: string): Record<string, unknown> {
  if (!isSchema(schema)) return (value ?? {}) as Record<string, unknown>;
  const result = schema.safeParse(value);
  if (!result.success) throw new SwampError("validation_failed", `${what} validation failed: ${issueText(result.error)}`);
  return (result.data ?? {}) as Record<string, unknown>;
}

export interface RunModelMethodOptions extends Omit<MethodTestContextOptions, "resources" | "files" | "methodName" | "modelType"> {
  /** Raw global arguments; parsed with the type's `globalArguments` schema. */
  globalArgs?: Record<string, unknown>;
}

export interface ModelMethodRun extends MethodTestContext {
  /** What `execute` returned. */
  result: MethodResult | void;
  /** The arguments `execute` received (parsed). */
  args: Record<string, unknown>;
}

/**
 * Runs `methodName` of a model type (a `model` export, or its module) as the host would:
 * global arguments parsed by `globalArguments`, those the method's schema declares merged
 * under the method's arguments (none for an open `z.record` schema), arguments parsed by the
 * method's schema, then
 * `execute` with a fake context that knows the type's declared specs. Rejects with what the
 * method threw, or with a `validation_failed` error for bad arguments.
 */
export async function runModelMethod(
  model: unknown,
  methodName: string,
  args: Record<string, unknown> = {},
  options: RunModelMethodOptions = {},
): Promise<ModelMethodRun> {
  const m = (isRecord(model) && model["methods"] === undefined && isRecord(model["model"]) ? model["model"] : model) as Record<string, unknown>;
  const method = asMap(m["methods"])[methodName];
  if (!isRecord(method) || !isFunction(method["execute"])) {
    throw new SwampError("unknown_method", `Model type '${String(m["type"])}' has no method '${methodName}'. Methods: ${Object.keys(asMap(m["methods"])).join(", ")}`);
  }
  const isExtension = m["version"] === undefined;
  const globals = parseWith(m["globalArguments"], options.globalArgs ?? {}, "Global arguments");
  const keys = argumentKeys(method["arguments"]);
  const fromGlobals = keys ? Object.fromEntries(Object.entries(globals).filter(([k]) => keys.includes(k))) : {};
  const merged = { ...fromGlobals, ...args };
  const parsed = parseWith(method["arguments"], merged, "Method arguments");
  const fake = createMethodTestContext({
    ...options,
    modelType: typeof m["type"] === "string" ? m["type"] : "@test/model",
    methodName,
    globalArgs: globals,
    // A `model` declares its specs; an `extension` writes to specs of the type it extends.
    ...(isExtension ? {} : { resources: isRecord(m["resources"]) ? m["resources"] : [] }),
    ...(isExtension ? {} : { files: isRecord(m["files"]) ? m["files"] : [] }),
  });
  const result = (await (method["execute"] as (a: unknown, c: unknown) => Promise<MethodResult | void>).call(method, parsed, fake.context)) as
    | MethodResult
    | void;
  return Object.assign(fake, { result, args: parsed });
}
