/**
 * Driver port: where a method body runs. `raw` runs it in this process; `docker` runs it in a
 * container through a container CLI. The request is self-contained so it can cross a process
 * or container boundary as JSON.
 *
 * How the host calls a driver (one `execute` per method run):
 * - It builds the `ExecutionRequest` (validated, vault-resolved arguments) and passes
 *   `ExecutionCallbacks`: `onLog` for live output, `signal` for cancellation, and
 *   `runInProcess`, which runs the method body in the host process with the host's real
 *   `MethodContext` (writes persist directly and come back as handles).
 * - An in-process driver (`raw`) calls `runInProcess` and reports the handles as
 *   `{kind: "persisted"}` outputs. An out-of-process driver ignores it and returns
 *   `{kind: "pending"}` outputs; the host persists those through the model's writers.
 * - `execute` resolves for every run failure (`status: "error"`, `error` = one-line message);
 *   it rejects only on bugs. In-process failures also carry the thrown value in `cause` so
 *   the host can keep its error code.
 *
 * Bundle mode (out-of-process drivers running an extension model type): `bundle` is a
 * self-contained ES module (zod inlined, only `node:*` imports left) that exports
 * `model` (a ModelTypePlugin). The driver loads it next to the request in the target
 * environment, runs `model.methods[methodName].execute(methodArgs, context)` with a context
 * that collects `writeResource`/`createFileWriter` output, and maps what was collected to
 * pending outputs.
 */
import * as z from "zod";
import type { DataHandle, GarbageCollectionPolicy, Lifetime } from "./model-type.js";

export interface ExecutionRequest {
  protocolVersion: 1;
  modelType: string;
  modelId: string;
  methodName: string;
  globalArgs: Record<string, unknown>;
  methodArgs: Record<string, unknown>;
  definitionMeta: { id: string; name: string; version: number; tags: Record<string, string> };
  /** Extension bundle for model types that are not builtins. */
  bundle?: Uint8Array;
  /**
   * Vault secrets as environment variables (`__SWAMP_VAULT_<n>`) that `methodArgs.run`
   * references. Drivers put them into the process environment (for a container:
   * `-e NAME` with the value in the CLI's own environment), never into argv, logs or files.
   */
  secretEnv?: Record<string, string>;
}

/** Data the driver produced: already persisted by the host, or content for the host to persist. */
export type DriverOutput =
  | { kind: "persisted"; handle: DataHandle }
  | {
      kind: "pending";
      specName: string;
      name: string;
      type: "resource" | "file";
      content: Uint8Array;
      tags?: Record<string, string>;
      /** Write-call overrides the method asked for (applied like writer overrides). */
      metadata?: { contentType?: string; lifetime?: Lifetime; garbageCollection?: GarbageCollectionPolicy };
    };

export interface ExecutionResult {
  status: "success" | "error";
  error?: string;
  outputs: DriverOutput[];
  logs: string[];
  durationMs: number;
  /** In-process only (never crosses a boundary): the value the method threw. */
  cause?: unknown;
}

export interface ExecutionCallbacks {
  onLog?(line: string, stream: "stdout" | "stderr"): void;
  /** Aborted on Ctrl-C / `--timeout`: the driver stops the run and resolves with an error. */
  signal?: AbortSignal;
  /**
   * Runs the method body in this process with the host's MethodContext; resolves with the
   * handles it produced, rejects with what the method threw. The host always passes it;
   * only in-process drivers call it.
   */
  runInProcess?(): Promise<DataHandle[]>;
}

export interface ExecutionDriver {
  readonly type: string;
  execute(request: ExecutionRequest, callbacks?: ExecutionCallbacks): Promise<ExecutionResult>;
  initialize?(): Promise<void>;
  shutdown?(): Promise<void>;
}

export interface DriverPlugin<Config = Record<string, unknown>> {
  type: string;
  name: string;
  description: string;
  configSchema?: unknown;
  createDriver(config: Config): ExecutionDriver | Promise<ExecutionDriver>;
}

export const ExecutionRequestSchema = z.object({
  protocolVersion: z.literal(1),
  modelType: z.string(),
  modelId: z.string(),
  methodName: z.string(),
  globalArgs: z.record(z.string(), z.unknown()),
  methodArgs: z.record(z.string(), z.unknown()),
  definitionMeta: z.object({
    id: z.string(),
    name: z.string(),
    version: z.number().int(),
    tags: z.record(z.string(), z.string()),
  }),
  bundle: z.instanceof(Uint8Array).optional(),
  secretEnv: z.record(z.string(), z.string()).optional(),
});

export const ExecutionResultSchema = z.object({
  status: z.enum(["success", "error"]),
  error: z.string().optional(),
  outputs: z.array(z.unknown()),
  logs: z.array(z.string()),
  durationMs: z.number().nonnegative(),
});
