/**
 * The dispatcher: serves one extension instance over a channel (a MessagePort in a worker
 * thread, the IPC channel in a sandbox process), speaking the wire protocol of
 * kernel/contract/wire.ts.
 *
 * Handle 0 is the extension's export. A call whose result is a stateful object (a provider, a
 * lock, a verifier, a sync service, a vault provider, a driver) registers it under a new
 * handle, which later calls address. Each port has a fixed table of operations per role, so
 * the host can only reach what the port defines. Errors cross as wire errors (code, message,
 * details, stack); the extension's own `code` is kept.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CallMessage } from "../../kernel/contract/wire.js";
import { toWireError, WIRE_PROTOCOL_VERSION, type WireError } from "../../kernel/contract/wire-error.js";
import { checkContext, driverCallbacks, formatLogMessage, makeLogger, methodContext, type CallScope, type ContextInit } from "./context.js";
import { describeExport, validateExport } from "./describe.js";
import { loadBundle } from "./load.js";
import type { DescribeResult, InstanceInit } from "./protocol.js";

export interface WorkerChannel {
  post(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Stops listening (lets the thread or process finish). */
  close(): void;
}

type Role = "export" | "provider" | "lock" | "verifier" | "sync" | "vault" | "driver";
type Target = Record<string, unknown>;

interface OpResult {
  value?: unknown;
  handle?: { role: Role; target: Target };
}

interface OpApi {
  kind: InstanceInit["kind"];
  exportName: string;
  register(role: Role, target: Target): number;
}

type Op = (target: Target, args: unknown[], scope: CallScope, api: OpApi) => Promise<OpResult> | OpResult;

class ExtensionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const isFunction = (v: unknown): v is (...args: unknown[]) => unknown => typeof v === "function";
const isRecord = (v: unknown): v is Target => typeof v === "object" && v !== null;

function missing(target: unknown, methods: readonly string[]): string[] {
  return methods.filter((m) => !isRecord(target) || !isFunction(target[m]));
}

function requireShape(target: unknown, methods: readonly string[], what: string): Target {
  const absent = missing(target, methods);
  if (absent.length > 0) throw new ExtensionError("extension_invalid", `${what} returned an invalid object: missing methods: ${absent.join(", ")}`);
  return target as Target;
}

async function callMethod(target: Target, method: string, args: unknown[]): Promise<unknown> {
  const fn = target[method];
  if (!isFunction(fn)) throw new ExtensionError("extension_error", `the extension does not implement ${method}()`);
  return await fn.apply(target, args);
}

/** Options argument with the call's signal added (the host strips signals: they cannot cross). */
function withSignal(options: unknown, scope: CallScope): Record<string, unknown> {
  return { ...(isRecord(options) ? options : {}), signal: scope.signal };
}

function plain(method: string): Op {
  return async (target, args) => ({ value: await callMethod(target, method, args) });
}

function methodsOf(value: unknown): Target {
  if (Array.isArray(value)) return Object.assign({}, ...value.filter(isRecord)) as Target;
  return isRecord(value) ? value : {};
}

/**
 * Computes `fn(dir)` for a probe directory so the host can answer for other directories. A
 * value that does not depend on the directory (a configured absolute path) is its own template.
 */
function probeTemplate(fn: (dir: string) => unknown, probe: string, realDir: string, realValue: unknown): string | null {
  if (typeof realValue !== "string") return null;
  try {
    const probed = fn(probe);
    if (typeof probed === "string" && probed.split(probe).join(realDir) === realValue) return probed;
  } catch {
    // not derivable: the host answers only for the real repo directory
  }
  return null;
}

const SYNC_METHODS = ["pullChanged", "pushChanged", "markDirty"] as const;

function syncSummary(service: Target): Record<string, unknown> {
  let capabilities: unknown;
  if (isFunction(service.capabilities)) {
    try {
      capabilities = service.capabilities();
    } catch {
      capabilities = undefined;
    }
  }
  return {
    capabilities: isRecord(capabilities) ? JSON.parse(JSON.stringify(capabilities)) : null,
    hasCapabilities: isFunction(service.capabilities),
    has: {
      hydrateFile: isFunction(service.hydrateFile),
      previewPush: isFunction(service.previewPush),
    },
  };
}

const OPS: Record<Role, Record<string, Op>> = {
  export: {
    // datastore
    async createProvider(target, args, _scope, api) {
      if (api.kind === "vault") {
        const [vaultName, config, context] = args;
        const provider = await callMethod(target, "createProvider", isRecord(context) ? [vaultName, config, context] : [vaultName, config]);
        const absent = missing(provider, ["get", "put", "list", "getName"]);
        if (absent.length > 0) {
          throw new ExtensionError(
            "extension_invalid",
            `createProvider for vault type '${String(target.type)}' (vault '${String(vaultName)}') returned an invalid provider: missing methods: ${absent.join(", ")}`,
          );
        }
        const p = provider as Target;
        return {
          handle: { role: "vault", target: p },
          value: {
            name: String((p.getName as () => unknown)()),
            has: {
              delete: isFunction(p.delete),
              annotations: isFunction(p.getAnnotation) && isFunction(p.putAnnotation) && isFunction(p.deleteAnnotation),
              listAnnotations: isFunction(p.listAnnotations),
              refreshHooks: isFunction(p.getRefreshHook) && isFunction(p.putRefreshHook) && isFunction(p.deleteRefreshHook),
            },
          },
        };
      }
      const [config, ctxRaw] = args;
      const ctx = (isRecord(ctxRaw) ? ctxRaw : {}) as { repoDir?: string; defaultCachePath?: string; probeDir?: string };
      const provider = requireShape(await callMethod(target, "createProvider", [config]), ["createLock", "createVerifier", "resolveDatastorePath"], "createProvider");
      const repoDir = String(ctx.repoDir ?? "");
      const resolveDs = (dir: string) => (provider.resolveDatastorePath as (d: string) => unknown).call(provider, dir);
      const datastorePath = resolveDs(repoDir);
      if (typeof datastorePath !== "string" || datastorePath === "") {
        throw new ExtensionError("extension_invalid", `resolveDatastorePath(${JSON.stringify(repoDir)}) must return a non-empty string, got ${JSON.stringify(datastorePath)}`);
      }
      const hasCache = isFunction(provider.resolveCachePath);
      const resolveCache = (dir: string) => (provider.resolveCachePath as (d: string) => unknown).call(provider, dir);
      const cacheRaw = hasCache ? resolveCache(repoDir) : undefined;
      const cachePath = typeof cacheRaw === "string" && cacheRaw !== "" ? cacheRaw : null;
      const probe = ctx.probeDir ?? "/__swamp_probe_dir__";
      const value: Record<string, unknown> = {
        datastorePath,
        cachePath,
        datastorePathProbe: probeTemplate(resolveDs, probe, repoDir, datastorePath),
        cachePathProbe: hasCache && cachePath !== null ? probeTemplate(resolveCache, probe, repoDir, cachePath) : null,
        probeDir: probe,
        has: {
          createSyncService: isFunction(provider.createSyncService),
          listLockKeys: isFunction(provider.listLockKeys),
          resolveCachePath: hasCache,
        },
      };
      if (isFunction(provider.createSyncService)) {
        const cacheFor = cachePath ?? String(ctx.defaultCachePath ?? "");
        const service = requireShape(provider.createSyncService(repoDir, cacheFor), SYNC_METHODS, "createSyncService");
        value.sync = { handle: api.register("sync", service), repoDir, cachePath: cacheFor, ...syncSummary(service) };
      }
      return { handle: { role: "provider", target: provider }, value };
    },
    // driver
    async createDriver(target, args) {
      const driver = requireShape(await callMethod(target, "createDriver", [args[0]]), ["execute"], "createDriver");
      return {
        handle: { role: "driver", target: driver },
        value: {
          type: typeof driver.type === "string" ? driver.type : String(target.type),
          has: { initialize: isFunction(driver.initialize), shutdown: isFunction(driver.shutdown) },
        },
      };
    },
    // model: run a method / a check
    async execute(target, args, scope, api) {
      if (api.kind === "report") {
        const ctx = { ...(isRecord(args[0]) ? args[0] : {}), logger: makeLogger(scope), signal: scope.signal };
        const out = (await callMethod(target, "execute", [ctx])) as { markdown?: unknown; json?: unknown } | undefined;
        if (!isRecord(out) || typeof out.markdown !== "string" || !isRecord(out.json)) {
          throw new ExtensionError("extension_invalid", "report execute() must return { markdown: string, json: object }");
        }
        return { value: { markdown: out.markdown, json: out.json } };
      }
      const [method, methodArgs, init] = args as [string, Record<string, unknown>, ContextInit];
      const def = methodsOf(target.methods)[method];
      if (!isRecord(def) || !isFunction(def.execute)) throw new ExtensionError("unknown_method", `the extension has no method "${method}"`);
      const result = (await def.execute(methodArgs, methodContext(init, scope))) as { dataHandles?: unknown } | undefined;
      return { value: isRecord(result) && Array.isArray(result.dataHandles) ? { dataHandles: result.dataHandles } : {} };
    },
    async check(target, args, scope) {
      const [name, init] = args as [string, ContextInit];
      const check = methodsOf(target.checks)[name];
      if (!isRecord(check) || !isFunction(check.execute)) throw new ExtensionError("extension_error", `the extension has no check "${name}"`);
      const result = (await check.execute(checkContext(init, scope))) as unknown;
      return { value: isRecord(result) ? { pass: result.pass, ...(Array.isArray(result.errors) ? { errors: result.errors.map(String) } : {}) } : null };
    },
    $describe(target, _args, _scope, api) {
      return { value: describeExport(api.kind, api.exportName, validateExport(api.kind, api.exportName, target)) };
    },
  },
  provider: {
    createLock(target, args) {
      const lock = requireShape(
        (target.createLock as (...a: unknown[]) => unknown).call(target, args[0], args[1] ?? undefined),
        ["acquire", "release", "inspect", "forceRelease"],
        "createLock",
      );
      return { handle: { role: "lock", target: lock } };
    },
    createVerifier(target) {
      const verifier = requireShape((target.createVerifier as () => unknown).call(target), ["verify"], "createVerifier");
      return { handle: { role: "verifier", target: verifier } };
    },
    createSyncService(target, args) {
      const service = requireShape(callSync(target, "createSyncService", args), SYNC_METHODS, "createSyncService");
      return { handle: { role: "sync", target: service }, value: syncSummary(service) };
    },
    listLockKeys: plain("listLockKeys"),
    resolveDatastorePath: plain("resolveDatastorePath"),
    resolveCachePath: plain("resolveCachePath"),
  },
  lock: {
    acquire: plain("acquire"),
    release: plain("release"),
    inspect: plain("inspect"),
    forceRelease: plain("forceRelease"),
  },
  verifier: {
    verify: plain("verify"),
  },
  sync: {
    pullChanged: async (t, a, s) => ({ value: await callMethod(t, "pullChanged", [withSignal(a[0], s)]) }),
    pushChanged: async (t, a, s) => ({ value: await callMethod(t, "pushChanged", [withSignal(a[0], s)]) }),
    markDirty: async (t, a, s) => ({ value: await callMethod(t, "markDirty", [withSignal(a[0], s)]) }),
    previewPush: async (t, a, s) => ({ value: await callMethod(t, "previewPush", [withSignal(a[0], s)]) }),
    hydrateFile: async (t, a, s) => ({ value: await callMethod(t, "hydrateFile", [a[0], withSignal(a[1], s)]) }),
    capabilities: (t) => ({ value: syncSummary(t).capabilities }),
  },
  vault: {
    get: plain("get"),
    put: plain("put"),
    list: plain("list"),
    delete: plain("delete"),
    getName: plain("getName"),
    getAnnotation: plain("getAnnotation"),
    putAnnotation: plain("putAnnotation"),
    deleteAnnotation: plain("deleteAnnotation"),
    listAnnotations: plain("listAnnotations"),
    getRefreshHook: plain("getRefreshHook"),
    putRefreshHook: plain("putRefreshHook"),
    deleteRefreshHook: plain("deleteRefreshHook"),
  },
  driver: {
    async execute(target, args, scope) {
      const result = (await callMethod(target, "execute", [args[0], driverCallbacks(scope, args[1] as { runInProcess?: boolean })])) as Target;
      if (!isRecord(result)) throw new ExtensionError("extension_invalid", "driver execute() must return an ExecutionResult");
      const cause = result.cause;
      const error = typeof result.error === "string" ? result.error : cause instanceof Error ? cause.message : undefined;
      return {
        value: {
          status: result.status === "success" ? "success" : "error",
          ...(error !== undefined ? { error } : {}),
          outputs: Array.isArray(result.outputs) ? result.outputs : [],
          logs: Array.isArray(result.logs) ? result.logs.map(String) : [],
          durationMs: typeof result.durationMs === "number" ? result.durationMs : 0,
        },
      };
    },
    initialize: plain("initialize"),
    shutdown: plain("shutdown"),
  },
};

function callSync(target: Target, method: string, args: unknown[]): unknown {
  const fn = target[method];
  if (!isFunction(fn)) throw new ExtensionError("extension_error", `the extension does not implement ${method}()`);
  return fn.apply(target, args);
}

/**
 * What a permission-model refusal names: the permission (`FileSystemRead`, `ChildProcess`, …)
 * and resource when Node sets them; a refused API without them (`process.binding`) names
 * itself in the message only. Empty fields are left out.
 */
function permissionDetails(err: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const permission = typeof err.permission === "string" ? err.permission : "";
  const message = typeof err.message === "string" ? err.message : "";
  if (permission) out.permission = permission;
  else if (message && !/^Access to this API has been restricted/.test(message)) out.operation = message.slice(0, 200);
  if (typeof err.resource === "string" && err.resource !== "") out.resource = err.resource;
  return out;
}

/** A wire error, with the permission model's details kept and everything made cloneable. */
export function wireErrorOf(err: unknown): WireError {
  const wire = toWireError(err);
  if (isRecord(err) && (err.code === "ERR_ACCESS_DENIED" || typeof err.permission === "string")) {
    wire.details = { ...(wire.details ?? {}), ...permissionDetails(err) };
  }
  if (wire.details) {
    try {
      wire.details = JSON.parse(JSON.stringify(wire.details)) as Record<string, unknown>;
    } catch {
      delete wire.details;
    }
  }
  return wire;
}

/** The console of a worker: output goes to the host as events, never to the CLI's stdout. */
let consoleSink: ((level: string, text: string) => void) | null = null;
let consolePatched = false;
const currentCall = new AsyncLocalStorage<number>();

function patchConsole(): void {
  if (consolePatched) return;
  consolePatched = true;
  const levels: Array<[keyof Console, string]> = [
    ["log", "info"],
    ["info", "info"],
    ["debug", "debug"],
    ["trace", "debug"],
    ["warn", "warn"],
    ["error", "error"],
  ];
  for (const [name, level] of levels) {
    (console as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const text = formatLogMessage(args[0], args.slice(1));
      if (consoleSink) consoleSink(level, text);
    };
  }
  // Direct writes to stdout too: in a worker thread they would land in the CLI's stdout.
  process.stdout.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    if (consoleSink) for (const line of text.replace(/\n$/, "").split("\n")) consoleSink("info", line);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
}

class Server {
  private readonly handles = new Map<number, { role: Role; target: Target }>();
  private nextHandle = 1;
  private readonly calls = new Map<number, AbortController>();
  private readonly requests = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextRequest = 1;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  private readonly api: OpApi;

  constructor(
    private readonly channel: WorkerChannel,
    readonly init: InstanceInit,
    exportName: string,
    exported: Target,
  ) {
    this.handles.set(0, { role: "export", target: exported });
    this.api = { kind: init.kind, exportName, register: (role, target) => this.register(role, target) };
    consoleSink = (level, text) => this.post({ type: "event", callId: currentCall.getStore() ?? 0, name: "console", args: [level, text] });
  }

  private register(role: Role, target: Target): number {
    const handle = this.nextHandle++;
    this.handles.set(handle, { role, target });
    return handle;
  }

  private post(message: Record<string, unknown>): void {
    try {
      this.channel.post(message);
    } catch (err) {
      if (message.type !== "result") throw err;
      // A value that cannot be cloned (functions, class instances with hidden state…).
      this.channel.post({
        type: "result",
        id: message.id,
        ok: false,
        error: { code: "extension_error", message: `the extension returned a value that cannot cross the worker boundary: ${(err as Error).message}` },
      });
    }
  }

  onMessage(raw: unknown): void {
    if (!isRecord(raw)) return;
    const msg = raw as { type?: string; id?: number; handle?: number; ok?: boolean; value?: unknown; error?: WireError };
    switch (msg.type) {
      case "call":
        void this.handleCall(raw as unknown as CallMessage);
        break;
      case "cancel":
        this.calls.get(msg.id ?? -1)?.abort();
        break;
      case "response": {
        const pending = this.requests.get(msg.id ?? -1);
        if (!pending) return;
        this.requests.delete(msg.id ?? -1);
        if (msg.ok) pending.resolve(msg.value);
        else pending.reject(rebuild(msg.error));
        break;
      }
      case "dispose":
        if (typeof msg.handle === "number" && msg.handle > 0) this.handles.delete(msg.handle);
        break;
      case "ping":
        this.post({ type: "pong", id: msg.id ?? 0 });
        break;
      case "close":
        this.shutdown();
        break;
    }
  }

  private shutdown(): void {
    for (const c of this.calls.values()) c.abort();
    this.handles.clear();
    for (const r of this.requests.values()) r.reject(new ExtensionError("extension_error", "the host closed the extension"));
    this.requests.clear();
    consoleSink = null;
    this.resolveClosed();
  }

  private request(callId: number, method: string, args: unknown[]): Promise<unknown> {
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      this.post({ type: "request", id, callId, method, args });
    });
  }

  private async invoke(handle: number, method: string, args: unknown[], scope: CallScope): Promise<OpResult> {
    const entry = this.handles.get(handle);
    if (!entry) throw new ExtensionError("extension_error", `handle ${handle} is no longer available`);
    const op = OPS[entry.role][method];
    if (!op) throw new ExtensionError("extension_error", `${method} is not an operation of this ${entry.role}`);
    return await op(entry.target, args, scope, this.api);
  }

  private async handleCall(msg: CallMessage): Promise<void> {
    const controller = new AbortController();
    this.calls.set(msg.id, controller);
    const scope: CallScope = {
      id: msg.id,
      signal: controller.signal,
      request: (method, args) => this.request(msg.id, method, args),
      event: (name, args) => this.post({ type: "event", callId: msg.id, name, args }),
    };
    let created: number | undefined;
    try {
      const value = await currentCall.run(msg.id, async () => {
        const first = await this.invoke(msg.handle, msg.method, msg.args, scope);
        if (first.handle) created = this.register(first.handle.role, first.handle.target);
        if (!msg.then) return first.value;
        if (created === undefined) throw new ExtensionError("extension_error", `${msg.method} returned no object to call ${msg.then.method} on`);
        return (await this.invoke(created, msg.then.method, msg.then.args, scope)).value;
      });
      this.post({ type: "result", id: msg.id, ok: true, value, ...(created !== undefined ? { handle: created } : {}) });
    } catch (err) {
      this.post({ type: "result", id: msg.id, ok: false, error: wireErrorOf(err), ...(created !== undefined ? { handle: created } : {}) });
    } finally {
      this.calls.delete(msg.id);
    }
  }
}

function rebuild(error: WireError | undefined): Error {
  const err = new ExtensionError(error?.code ?? "extension_error", error?.message ?? "the host reported an error");
  if (error?.details) (err as unknown as { details: unknown }).details = error.details;
  return err;
}

/** Loads the bundle, reports `ready`, and serves calls until the host sends `close`. */
export async function serveInstance(channel: WorkerChannel, init: InstanceInit): Promise<void> {
  patchConsole();
  let server: Server;
  try {
    const loaded = await loadBundle(init);
    const exported = validateExport(init.kind, loaded.exportName, loaded.exported);
    server = new Server(channel, init, loaded.exportName, exported);
    channel.onMessage((m) => server.onMessage(m));
    channel.post({
      type: "ready",
      protocol: WIRE_PROTOCOL_VERSION,
      ok: true,
      value: { kind: init.kind, export: loaded.exportName, type: String(exported.type ?? exported.name) },
    });
  } catch (err) {
    channel.post({ type: "ready", protocol: WIRE_PROTOCOL_VERSION, ok: false, error: wireErrorOf(err) });
    channel.close();
    return;
  }
  await server.closed;
  channel.close();
}

/** Loads a bundle once and returns what it declares (or why it is not a valid extension). */
export async function describeBundle(init: InstanceInit): Promise<DescribeResult> {
  patchConsole();
  let declared: string | undefined;
  try {
    const loaded = await loadBundle(init);
    const exp = loaded.exported as { type?: unknown; name?: unknown } | null;
    const type = init.kind === "report" ? exp?.name : exp?.type;
    if (typeof type === "string" && type !== "") declared = type;
    const exported = validateExport(init.kind, loaded.exportName, loaded.exported);
    return { ok: true, descriptor: describeExport(init.kind, loaded.exportName, exported) };
  } catch (err) {
    const wire = wireErrorOf(err);
    return { ok: false, error: { code: wire.code, message: wire.message, ...(wire.stack ? { stack: wire.stack } : {}) }, ...(declared ? { type: declared } : {}) };
  }
}
