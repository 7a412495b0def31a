/**
 * The `raw` driver (the default): runs the method body in the swamp process itself. It has no
 * configuration; the host hands it `callbacks.runInProcess`, which runs the method with the
 * host's MethodContext, so every write is persisted directly and comes back as a
 * `{kind: "persisted"}` output. Output lines reach the host through the method's logger, so
 * `logs` stays empty.
 */
import * as z from "zod";
import { errorMessage } from "../../kernel/contract/errors.js";
import type {
  DriverPlugin,
  ExecutionCallbacks,
  ExecutionDriver,
  ExecutionRequest,
  ExecutionResult,
} from "../../kernel/contract/index.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export const RAW_DRIVER_TYPE = "raw";

/** No keys. Unknown keys are ignored (a config meant for another driver level is harmless). */
export const RawDriverConfigSchema = z.object({});

class RawDriver implements ExecutionDriver {
  readonly type = RAW_DRIVER_TYPE;

  async execute(_request: ExecutionRequest, callbacks: ExecutionCallbacks = {}): Promise<ExecutionResult> {
    const started = monotonicMs();
    const elapsed = () => Math.round(monotonicMs() - started);
    if (!callbacks.runInProcess) {
      return {
        status: "error",
        error: "The raw driver runs methods in-process: the host must pass callbacks.runInProcess",
        outputs: [],
        logs: [],
        durationMs: 0,
      };
    }
    try {
      const handles = await callbacks.runInProcess();
      return {
        status: "success",
        outputs: handles.map((handle) => ({ kind: "persisted" as const, handle })),
        logs: [],
        durationMs: elapsed(),
      };
    } catch (err) {
      return { status: "error", error: errorMessage(err), cause: err, outputs: [], logs: [], durationMs: elapsed() };
    }
  }
}

export const driver: DriverPlugin = {
  type: RAW_DRIVER_TYPE,
  name: "raw",
  description: "Runs methods in the swamp process (default)",
  configSchema: RawDriverConfigSchema,
  createDriver(config) {
    RawDriverConfigSchema.parse(config ?? {});
    return new RawDriver();
  },
};
