/**
 * Driver port: where a method body runs. `raw` runs it in this process; `docker` runs it in a
 * container through a container CLI. The request is self-contained so it can cross a process
 * or container boundary as JSON.
 */
import * as z from "zod";
import type { DataHandle } from "./model-type.js";

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
    };

export interface ExecutionResult {
  status: "success" | "error";
  error?: string;
  outputs: DriverOutput[];
  logs: string[];
  durationMs: number;
}

export interface ExecutionCallbacks {
  onLog?(line: string, stream: "stdout" | "stderr"): void;
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
});

export const ExecutionResultSchema = z.object({
  status: z.enum(["success", "error"]),
  error: z.string().optional(),
  outputs: z.array(z.unknown()),
  logs: z.array(z.string()),
  durationMs: z.number().nonnegative(),
});
