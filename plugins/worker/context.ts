/**
 * Worker-side stand-ins for host objects: the MethodContext a model method runs with, the
 * CheckContext of a check, and a driver's callbacks. Everything that needs the host (writing
 * data, reading resources, running the method in-process for a driver) becomes a `request`
 * message; logging becomes `event` messages. The host services them for the call in flight.
 */
import { modelTypeString } from "../../kernel/contract/ports/model-type-names.js";
import type {
  CelEnvironment,
  CheckContext,
  ContextReads,
  DataHandle,
  DataItem,
  DataWriter,
  DefinitionItem,
  MethodContext,
  WriteOverrides,
} from "../../kernel/contract/ports/model-type.js";
import type { ContextReadMethod } from "../../kernel/contract/wire.js";
import { newCelEnvironment, type EnvironmentClass } from "../../kernel/expressions/cel-environment.js";
import { CEL_SPECIFIER, HOST_GLOBAL } from "./protocol.js";

/** One call being served: its id, its cancellation, and the way back to the host. */
export interface CallScope {
  readonly id: number;
  readonly signal: AbortSignal;
  request(method: string, args: unknown[]): Promise<unknown>;
  event(name: string, args: unknown[]): void;
}

/** What the host sends along with an `execute` or `check` call. */
export interface ContextInit {
  repoDir: string;
  modelType: string;
  modelId: string;
  methodName: string;
  globalArgs: Record<string, unknown>;
  definition: { id: string; name: string; version: number; tags: Record<string, string> };
  secretEnv?: Record<string, string>;
}

type Level = "debug" | "info" | "warn" | "error";

/** `"Hello {name}"` with `{ name: "x" }`, tagged templates, or plain values. */
export function formatLogMessage(message: unknown, rest: unknown[]): string {
  if (Array.isArray(message) && "raw" in message) {
    const parts = message as unknown as readonly string[];
    return parts.map((p, i) => (i < rest.length ? p + stringify(rest[i]) : p)).join("");
  }
  const text = stringify(message);
  const props = rest[0];
  if (rest.length === 1 && props && typeof props === "object" && !Array.isArray(props)) {
    return text.replace(/\{([A-Za-z_$][\w$.]*)\}/g, (whole, key: string) => {
      const value = (props as Record<string, unknown>)[key];
      return value === undefined ? whole : stringify(value);
    });
  }
  return [text, ...rest.map(stringify)].join(" ");
}

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ?? value.message;
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

/** A LogTape-flavoured logger whose lines go to the host as `log` events. */
export function makeLogger(scope: CallScope): MethodContext["logger"] & Record<string, unknown> {
  const emit = (level: Level) => (message: unknown, ...rest: unknown[]) => scope.event("log", [level, formatLogMessage(message, rest)]);
  const logger: Record<string, unknown> = {
    trace: emit("debug"),
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    warning: emit("warn"),
    error: emit("error"),
    fatal: emit("error"),
  };
  logger.with = () => logger;
  logger.getChild = () => logger;
  return logger as unknown as MethodContext["logger"] & Record<string, unknown>;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("expected bytes (Uint8Array) or a string");
}

/**
 * A DataWriter whose every operation is performed by the host's writer. Operations are
 * queued so they reach the host in the order the method issued them.
 */
class RemoteWriter implements DataWriter {
  private created: { writerId: number; dataId: string } | undefined;
  private readonly ready: Promise<{ writerId: number; dataId: string }>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly scope: CallScope,
    readonly name: string,
    spec: string,
    overrides: unknown,
  ) {
    this.ready = (scope.request("writer.create", [spec, name, overrides ?? null]) as Promise<{ writerId: number; dataId: string }>).then((w) => {
      this.created = w;
      return w;
    });
    this.ready.catch(() => {});
  }

  get dataId(): string {
    if (!this.created) {
      throw new Error("writer.dataId is known once the host has created the writer: await any writer call first (extensions run in a worker)");
    }
    return this.created.dataId;
  }

  private op<T>(op: string, args: unknown[]): Promise<T> {
    const run = this.chain.then(async () => {
      const { writerId } = await this.ready;
      return (await this.scope.request("writer.op", [writerId, op, args])) as T;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  writeAll(bytes: Uint8Array): Promise<DataHandle> {
    return this.op("writeAll", [toBytes(bytes)]);
  }
  writeText(text: string): Promise<DataHandle> {
    return this.op("writeText", [String(text)]);
  }
  writeLine(line: string): Promise<void> {
    return this.op("writeLine", [String(line)]);
  }
  async writeStream(stream: AsyncIterable<Uint8Array>, options?: { onLine?(line: string): void }): Promise<DataHandle> {
    await this.op("streamStart", []);
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const bytes = toBytes(chunk);
      if (options?.onLine) {
        pending += decoder.decode(bytes, { stream: true });
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) options.onLine(line);
      }
      await this.op("streamChunk", [bytes]);
    }
    if (options?.onLine) {
      pending += decoder.decode();
      if (pending !== "") options.onLine(pending);
    }
    return this.op("streamEnd", []);
  }
  getFilePath(): Promise<string> {
    return this.op("getFilePath", []);
  }
  finalize(): Promise<DataHandle> {
    return this.op("finalize", []);
  }
  abort(): Promise<void> {
    return this.op("abort", []);
  }
}

function redactor(secretEnv: Record<string, string> | undefined): ((text: string) => string) | undefined {
  const values = Object.values(secretEnv ?? {}).filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  if (values.length === 0) return undefined;
  return (text: string) => {
    let out = String(text);
    for (const v of values) out = out.split(v).join("***");
    return out;
  };
}

/**
 * The context's read operations as host calls: each is one `request` the host answers from its
 * repositories (read-only). Optional arguments cross as null; bytes come back as Uint8Array.
 */
export function remoteReads(scope: CallScope): ContextReads {
  const call = <T>(method: ContextReadMethod, args: unknown[]) => scope.request(method, args) as Promise<T>;
  const type = (t: Parameters<typeof modelTypeString>[0]) => modelTypeString(t);
  return {
    dataRepository: {
      namespace: "",
      findByName: (t, modelId, dataName, version) => call<DataItem | null>("data.findByName", [type(t), modelId, dataName, version ?? null]),
      findById: (t, modelId, dataId, version) => call<DataItem | null>("data.findById", [type(t), modelId, dataId, version ?? null]),
      listVersions: (t, modelId, dataName) => call<number[]>("data.listVersions", [type(t), modelId, dataName]),
      getLatestVersion: (t, modelId, dataName) => call<number | null>("data.getLatestVersion", [type(t), modelId, dataName]),
      findAllForModel: (t, modelId) => call<DataItem[]>("data.findAllForModel", [type(t), modelId]),
      findAllGlobal: () => call("data.findAllGlobal", []),
      getContent: async (t, modelId, dataName, version) => {
        const bytes = await call<unknown>("data.getContent", [type(t), modelId, dataName, version ?? null]);
        return bytes === null || bytes === undefined ? null : toBytes(bytes);
      },
    },
    definitionRepository: {
      findById: (t, id) => call<DefinitionItem | null>("definitions.findById", [type(t), id]),
      findByName: (t, name) => call<DefinitionItem | null>("definitions.findByName", [type(t), name]),
      findAll: (t) => call<DefinitionItem[]>("definitions.findAll", [type(t)]),
      findByNameGlobal: (name) => call("definitions.findByNameGlobal", [name]),
      findAllGlobal: () => call("definitions.findAllGlobal", []),
    },
    queryData: (predicate, select) => call<unknown[]>("queryData", [predicate, select ?? null]),
  };
}

/** A fresh cel-js Environment from the cel-js the host provided to this worker. */
function createCelEnvironment(): CelEnvironment {
  const host = (globalThis as Record<string, unknown>)[HOST_GLOBAL] as { modules?: Record<string, { Environment?: EnvironmentClass }> } | undefined;
  const Environment = host?.modules?.[CEL_SPECIFIER]?.Environment;
  if (!Environment) throw new Error("createCelEnvironment() is not available: the CEL engine was not provided to this worker");
  return newCelEnvironment(Environment) as unknown as CelEnvironment;
}

export function methodContext(init: ContextInit, scope: CallScope): MethodContext {
  const redact = redactor(init.secretEnv);
  return {
    ...checkContext(init, scope),
    ...remoteReads(scope),
    createCelEnvironment,
    writeResource: (spec, instance, data, overrides) =>
      scope.request("writeResource", [spec, instance, data, overrides ?? null]) as Promise<DataHandle>,
    createFileWriter: (spec, instance, overrides) => new RemoteWriter(scope, instance, spec, overrides as WriteOverrides | undefined),
    readResource: (instance, version) => scope.request("readResource", [instance, version ?? null]) as Promise<Record<string, unknown> | null>,
    deleteResource: async (instance) => {
      await scope.request("deleteResource", [instance]);
    },
    ...(init.secretEnv ? { secretEnv: init.secretEnv } : {}),
    ...(redact ? { redact } : {}),
  };
}

/** What checks get; a method's context is this plus the writers. */
export function checkContext(init: ContextInit, scope: CallScope): CheckContext {
  return {
    signal: scope.signal,
    repoDir: init.repoDir,
    modelType: init.modelType,
    modelId: init.modelId,
    methodName: init.methodName,
    globalArgs: init.globalArgs,
    definition: init.definition,
    logger: makeLogger(scope),
  };
}

/** A driver's ExecutionCallbacks: output as events, the in-process run as a request. */
export function driverCallbacks(scope: CallScope, options: { runInProcess?: boolean } | undefined): Record<string, unknown> {
  return {
    signal: scope.signal,
    onLog: (line: unknown, stream: unknown) => scope.event("driver.log", [String(line), stream === "stderr" ? "stderr" : "stdout"]),
    ...(options?.runInProcess ? { runInProcess: () => scope.request("driver.runInProcess", []) } : {}),
  };
}
