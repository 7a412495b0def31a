/**
 * Vault, driver and report extensions across the worker boundary.
 *
 * - vault: `createProvider(name, config, context)` instantiates in the worker; `getName()`
 *   is answered from what instantiation returned; the rest are calls. The optional
 *   capabilities (delete, annotations, refresh hooks) exist on the proxy only when the
 *   provider has them; annotations and hooks coming back are checked against their schemas.
 * - driver: `createDriver(config)` likewise; `execute(request, callbacks)` runs in the
 *   worker with `onLog` coming back as events, `runInProcess` as a request serviced here,
 *   and the signal as a cancel message. A failure of the in-process run keeps its error
 *   (and code) as the result's `cause`.
 * - report: `execute(context)` gets the context as plain data.
 */
import type { DataHandle } from "../../../kernel/contract/ports/model-type.js";
import type { DriverPlugin, ExecutionCallbacks, ExecutionDriver, ExecutionRequest, ExecutionResult } from "../../../kernel/contract/ports/driver.js";
import type { ReportContext, ReportOutput, ReportPlugin } from "../../../kernel/contract/ports/report.js";
import { SwampError } from "../../../kernel/contract/errors.js";
import {
  VaultAnnotationSchema,
  VaultRefreshHookSchema,
  type VaultPlugin,
  type VaultProvider,
  type VaultPutOptions,
} from "../../../kernel/contract/ports/vault.js";
import { jsonSchemaParser } from "../../../kernel/models/types.js";
import { isolationFor } from "../../isolation.js";
import type { ManifestEntry } from "../../manifest.js";
import type { ConfigurableDescriptor, ReportDescriptor } from "../../worker/protocol.js";
import type { ExtensionHost, HostContext } from "../host.js";
import type { CallServices } from "../instance.js";

/** A deep copy without functions or undefined (what crosses as a plain context). */
export function plainData<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v))) as T);
}

export function vaultProxy(host: ExtensionHost, ctx: HostContext, entry: ManifestEntry, descriptor: ConfigurableDescriptor): VaultPlugin {
  return {
    type: descriptor.type,
    name: descriptor.name,
    description: descriptor.description,
    ...(descriptor.configSchema ? { configSchema: jsonSchemaParser(descriptor.configSchema) } : {}),
    createProvider: async (vaultName: string, config: Record<string, unknown>, context?: { repoDir: string }): Promise<VaultProvider> => {
      const proc = host.process(ctx, entry, descriptor.type, isolationFor(ctx.isolation, "vault", descriptor.type));
      const recipe = [vaultName, config, context ? plainData(context) : { repoDir: ctx.repoDir }];
      const r = await proc.root.call("createProvider", recipe, { label: "createProvider" });
      const summary = r.value as { name: string; has: { delete: boolean; annotations?: boolean; listAnnotations?: boolean; refreshHooks?: boolean } };
      const ref = proc.root.child("createProvider", recipe).adopt(r.instance, r.handle ?? -1);
      const provider: VaultProvider = {
        get: async (key) => (await ref.call("get", [key], { label: "get" })).value as string,
        put: async (key, value, options?: VaultPutOptions) => {
          await ref.call("put", [key, value, options ?? null], { label: "put" });
        },
        list: async () => ((await ref.call("list", [], { label: "list" })).value as string[]) ?? [],
        getName: () => summary.name,
      };
      if (summary.has.delete) {
        provider.delete = async (key) => {
          await ref.call("delete", [key], { label: "delete" });
        };
      }
      /** A returned annotation or hook: null, or a value its schema accepts. */
      const checked = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, method: string, value: unknown): T | null => {
        if (value === null || value === undefined) return null;
        const parsed = schema.safeParse(value);
        if (!parsed.success) throw new SwampError("extension_invalid", `Vault type '${descriptor.type}': ${method}() returned a value of the wrong shape`);
        return parsed.data;
      };
      const call = async (method: string, args: unknown[]) => (await ref.call(method, args, { label: method })).value;
      if (summary.has.annotations) {
        provider.getAnnotation = async (key) => checked(VaultAnnotationSchema, "getAnnotation", await call("getAnnotation", [key]));
        provider.putAnnotation = async (key, annotation) => void (await call("putAnnotation", [key, plainData(annotation)]));
        provider.deleteAnnotation = async (key) => void (await call("deleteAnnotation", [key]));
        if (summary.has.listAnnotations) {
          provider.listAnnotations = async () => {
            const keys = await call("listAnnotations", []);
            return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
          };
        }
      }
      if (summary.has.refreshHooks) {
        provider.getRefreshHook = async (key) => checked(VaultRefreshHookSchema, "getRefreshHook", await call("getRefreshHook", [key]));
        provider.putRefreshHook = async (key, hook) => void (await call("putRefreshHook", [key, plainData(hook)]));
        provider.deleteRefreshHook = async (key) => void (await call("deleteRefreshHook", [key]));
      }
      return provider;
    },
  };
}

export function driverProxy(host: ExtensionHost, ctx: HostContext, entry: ManifestEntry, descriptor: ConfigurableDescriptor): DriverPlugin {
  return {
    type: descriptor.type,
    name: descriptor.name,
    description: descriptor.description,
    ...(descriptor.configSchema ? { configSchema: jsonSchemaParser(descriptor.configSchema) } : {}),
    createDriver: async (config: Record<string, unknown>): Promise<ExecutionDriver> => {
      const proc = host.process(ctx, entry, descriptor.type, isolationFor(ctx.isolation, "driver", descriptor.type));
      const r = await proc.root.call("createDriver", [config], { label: "createDriver" });
      const summary = r.value as { type: string; has: { initialize: boolean; shutdown: boolean } };
      const ref = proc.root.child("createDriver", [config]).adopt(r.instance, r.handle ?? -1);
      const driver: ExecutionDriver = {
        type: summary.type,
        execute: async (request: ExecutionRequest, callbacks?: ExecutionCallbacks): Promise<ExecutionResult> => {
          let inProcessError: unknown;
          const services: CallServices = {
            event: (name, args) => {
              if (name === "driver.log") callbacks?.onLog?.(String(args[0]), args[1] === "stderr" ? "stderr" : "stdout");
              else if (name === "console" || name === "log") callbacks?.onLog?.(String(args[1] ?? ""), args[0] === "info" || args[0] === "debug" ? "stdout" : "stderr");
            },
            request: async (method): Promise<DataHandle[]> => {
              if (method !== "driver.runInProcess" || !callbacks?.runInProcess) throw new Error(`${method} is not available to this driver`);
              try {
                return await callbacks.runInProcess();
              } catch (err) {
                inProcessError = err;
                throw err;
              }
            },
          };
          const result = (
            await ref.call("execute", [request, { runInProcess: callbacks?.runInProcess !== undefined }], {
              deadlineMs: null,
              label: "execute",
              services,
              ...(callbacks?.signal ? { signal: callbacks.signal } : {}),
            })
          ).value as ExecutionResult;
          if (result.status === "error" && inProcessError !== undefined) result.cause = inProcessError;
          return result;
        },
      };
      if (summary.has.initialize) {
        driver.initialize = async () => {
          await ref.call("initialize", [], { label: "initialize" });
        };
      }
      if (summary.has.shutdown) {
        driver.shutdown = async () => {
          await ref.call("shutdown", [], { label: "shutdown" });
        };
      }
      return driver;
    },
  };
}

export function reportProxy(host: ExtensionHost, ctx: HostContext, entry: ManifestEntry, descriptor: ReportDescriptor): ReportPlugin {
  return {
    name: descriptor.type,
    description: descriptor.description,
    scope: descriptor.scope,
    ...(descriptor.labels ? { labels: descriptor.labels } : {}),
    execute: async (context: ReportContext): Promise<ReportOutput> => {
      const proc = host.process(ctx, entry, descriptor.type, isolationFor(ctx.isolation, "report", descriptor.type));
      const r = await proc.root.call("execute", [plainData(context)], { deadlineMs: null, label: "execute" });
      return r.value as ReportOutput;
    },
  };
}
