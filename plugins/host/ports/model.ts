/**
 * Extension model types across the worker boundary.
 *
 * The ModelTypePlugin is built from the descriptor in the manifest (arguments and resource
 * schemas as JSON Schema, validated host-side with ajv), so describing a type or validating
 * a definition never starts a worker. `methods[m].execute(args, context)` runs the method in
 * the worker: the worker's MethodContext sends requests (writeResource, file writers,
 * readResource, deleteResource) and events (log lines, console output) that are serviced here
 * with the real MethodContext of the run; the run's abort signal becomes a cancel message.
 *
 * Files that `export const extension` add methods, checks and output specs to a type; each
 * method and check runs in the worker of the file that declared it.
 */
import { ErrorCode, SwampError } from "../../../kernel/contract/errors.js";
import type {
  CheckContext,
  CheckDefinition,
  CheckResult,
  DataWriter,
  MethodContext,
  MethodDefinition,
  MethodResult,
  ModelTypePlugin,
} from "../../../kernel/contract/ports/model-type.js";
import { contextReadSchemas, isContextReadMethod, type ContextReadMethod } from "../../../kernel/contract/wire.js";
import { jsonSchemaParser, type JsonSchema } from "../../../kernel/models/types.js";
import { isolationFor } from "../../isolation.js";
import type { ManifestEntry } from "../../manifest.js";
import type { ContextInit } from "../../worker/context.js";
import type { ModelDescriptor } from "../../worker/protocol.js";
import type { ExtensionHost, HostContext } from "../host.js";
import type { CallServices } from "../instance.js";

/** An async iterable fed by chunks the worker sends. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private done = false;
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.wake?.();
  }

  end(): void {
    this.done = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.chunks.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  return new TextEncoder().encode(String(value));
}

type Logger = MethodContext["logger"];

function logTo(logger: Logger, level: string, text: string): void {
  if (level === "debug") logger.debug(text);
  else if (level === "warn") logger.warn(text);
  else if (level === "error") logger.error(text);
  else logger.info(text);
}

/**
 * Answers one of the context's read-only host calls from the run's own MethodContext (the
 * kernel's one implementation of these reads). The arguments are checked against the wire
 * schema first; names are checked by the implementation before any path is built.
 */
export async function answerContextRead(context: Pick<MethodContext, "dataRepository" | "definitionRepository" | "queryData">, method: ContextReadMethod, raw: unknown[]): Promise<unknown> {
  const parsed = contextReadSchemas().args[method].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (argument ${issue.path.map(String).join(".")})` : "";
    throw new SwampError(ErrorCode.validation, `${method}: invalid arguments${where}: ${issue?.message ?? "invalid"}`);
  }
  const a = parsed.data as unknown[];
  const str = (i: number) => a[i] as string;
  const version = (i: number) => (a[i] === null ? undefined : (a[i] as number));
  const data = context.dataRepository;
  const defs = context.definitionRepository;
  switch (method) {
    case "data.findByName":
      return data.findByName(str(0), str(1), str(2), version(3));
    case "data.findById":
      return data.findById(str(0), str(1), str(2), version(3));
    case "data.listVersions":
      return data.listVersions(str(0), str(1), str(2));
    case "data.getLatestVersion":
      return data.getLatestVersion(str(0), str(1), str(2));
    case "data.findAllForModel":
      return data.findAllForModel(str(0), str(1));
    case "data.findAllGlobal":
      return data.findAllGlobal();
    case "data.getContent":
      return data.getContent(str(0), str(1), str(2), version(3));
    case "definitions.findById":
      return defs.findById(str(0), str(1));
    case "definitions.findByName":
      return defs.findByName(str(0), str(1));
    case "definitions.findAll":
      return defs.findAll(str(0));
    case "definitions.findByNameGlobal":
      return defs.findByNameGlobal(str(0));
    case "definitions.findAllGlobal":
      return defs.findAllGlobal();
    case "queryData":
      return context.queryData(str(0), a[1] === null ? undefined : str(1));
  }
}

/** Services a running method's requests with the host's MethodContext. */
export function methodServices(context: MethodContext): CallServices {
  const writers = new Map<number, { writer: DataWriter; stream?: ChunkQueue; streaming?: Promise<unknown> }>();
  let nextWriter = 1;
  const writer = (id: unknown) => {
    const w = writers.get(Number(id));
    if (!w) throw new SwampError(ErrorCode.extensionError, `unknown writer ${String(id)}`);
    return w;
  };
  return {
    event(name, args) {
      if (name === "log" || name === "console") logTo(context.logger, String(args[0]), String(args[1] ?? ""));
    },
    async request(method, args) {
      if (isContextReadMethod(method)) return answerContextRead(context, method, args);
      switch (method) {
        case "writeResource":
          return context.writeResource(String(args[0]), String(args[1]), (args[2] ?? {}) as Record<string, unknown>, (args[3] ?? undefined) as never);
        case "readResource":
          return context.readResource(String(args[0]), typeof args[1] === "number" ? args[1] : undefined);
        case "deleteResource":
          await context.deleteResource(String(args[0]));
          return null;
        case "writer.create": {
          const created = context.createFileWriter(String(args[0]), String(args[1]), (args[2] ?? undefined) as never);
          const id = nextWriter++;
          writers.set(id, { writer: created });
          return { writerId: id, dataId: created.dataId };
        }
        case "writer.op": {
          const w = writer(args[0]);
          const op = String(args[1]);
          const opArgs = (args[2] as unknown[]) ?? [];
          switch (op) {
            case "writeAll":
              return w.writer.writeAll(toBytes(opArgs[0]));
            case "writeText":
              return w.writer.writeText(String(opArgs[0]));
            case "writeLine":
              await w.writer.writeLine(String(opArgs[0]));
              return null;
            case "getFilePath":
              return w.writer.getFilePath();
            case "finalize":
              return w.writer.finalize();
            case "abort":
              await w.writer.abort?.();
              return null;
            case "streamStart": {
              const queue = new ChunkQueue();
              w.stream = queue;
              w.streaming = w.writer.writeStream(queue);
              w.streaming.catch(() => {});
              return null;
            }
            case "streamChunk":
              w.stream?.push(toBytes(opArgs[0]));
              return null;
            case "streamEnd":
              w.stream?.end();
              return await w.streaming;
          }
          throw new SwampError(ErrorCode.extensionError, `unknown writer operation ${op}`);
        }
      }
      throw new SwampError(ErrorCode.extensionError, `${method} is not available to model methods`);
    },
  };
}

function contextInit(context: CheckContext | MethodContext): ContextInit {
  const secretEnv = (context as MethodContext).secretEnv;
  return {
    repoDir: context.repoDir,
    modelType: context.modelType,
    modelId: context.modelId,
    methodName: context.methodName,
    globalArgs: JSON.parse(JSON.stringify(context.globalArgs ?? {})) as Record<string, unknown>,
    definition: { ...context.definition, tags: { ...context.definition.tags } },
    ...(secretEnv ? { secretEnv: { ...secretEnv } } : {}),
  };
}

/** One file's contribution: the entry, its descriptor, and what it declares. */
export interface ModelSource {
  entry: ManifestEntry;
  descriptor: ModelDescriptor;
}

/**
 * The ModelTypePlugin of `base` (a `model` export) extended by `extensions` (files that
 * `export const extension` for the same type). Throws on a name collision.
 */
export function modelProxy(host: ExtensionHost, ctx: HostContext, base: ModelSource, extensions: ModelSource[] = []): ModelTypePlugin {
  const d = base.descriptor;
  const plugin: ModelTypePlugin = {
    type: d.type,
    version: d.version ?? "0000.00.00.0",
    ...(d.globalArguments ? { globalArguments: d.globalArguments } : {}),
    methods: {},
    ...(d.reports ? { reports: [...d.reports] } : {}),
  };
  for (const source of [base, ...extensions]) addSource(host, ctx, plugin, source, source === base);
  return plugin;
}

/** Adds one file's methods, checks and specs to `plugin` (which may be a builtin's). */
export function addSource(host: ExtensionHost, ctx: HostContext, plugin: ModelTypePlugin, source: ModelSource, isBase: boolean): void {
  const d = source.descriptor;
  const collide = (what: string, name: string) =>
    new SwampError(ErrorCode.pluginDuplicate, `${what} '${name}' already exists on model type '${plugin.type}' (from ${source.entry.source})`);
  const process = () => host.process(ctx, source.entry, d.type, isolationFor(ctx.isolation, "model", d.type));
  for (const [name, m] of Object.entries(d.methods)) {
    if (!isBase && plugin.methods[name]) throw collide("Method", name);
    const method: MethodDefinition = {
      description: m.description,
      ...(m.kind ? { kind: m.kind } : {}),
      ...(m.rollbackOnFailure !== undefined ? { rollbackOnFailure: m.rollbackOnFailure } : {}),
      arguments: m.arguments as JsonSchema,
      execute: async (args: Record<string, unknown>, context: MethodContext): Promise<MethodResult> => {
        const r = await process().root.call("execute", [name, JSON.parse(JSON.stringify(args ?? {})), contextInit(context)], {
          deadlineMs: null,
          label: `method ${name}`,
          services: methodServices(context),
          signal: context.signal,
        });
        return (r.value ?? {}) as MethodResult;
      },
    };
    plugin.methods[name] = method;
  }
  if (d.checks) {
    plugin.checks ??= {};
    for (const [name, c] of Object.entries(d.checks)) {
      if (!isBase && plugin.checks[name]) throw collide("Check", name);
      const check: CheckDefinition = {
        description: c.description,
        ...(c.labels ? { labels: c.labels } : {}),
        ...(c.appliesTo ? { appliesTo: c.appliesTo } : {}),
        execute: async (context: CheckContext): Promise<CheckResult> => {
          const r = await process().root.call("check", [name, contextInit(context)], {
            deadlineMs: null,
            label: `check ${name}`,
            services: { event: (ev, args) => ev === "log" || ev === "console" ? logTo(context.logger, String(args[0]), String(args[1] ?? "")) : undefined },
            signal: context.signal,
          });
          return r.value as CheckResult;
        },
      };
      plugin.checks[name] = check;
    }
  }
  if (d.resources) {
    plugin.resources ??= {};
    for (const [name, spec] of Object.entries(d.resources)) {
      if (!isBase && plugin.resources[name]) throw collide("Resource spec", name);
      plugin.resources[name] = { ...spec, schema: jsonSchemaParser(spec.schema as JsonSchema) };
    }
  }
  if (d.files) {
    plugin.files ??= {};
    for (const [name, spec] of Object.entries(d.files)) {
      if (!isBase && plugin.files[name]) throw collide("File spec", name);
      plugin.files[name] = { ...spec };
    }
  }
}
