/**
 * Example execution driver: runs `command/shell` methods in a child process whose environment
 * holds only what you allow (PATH, HOME, the variables in the driver config and the method's
 * `env`, and the run's vault secrets) — nothing else leaks from the shell that started swamp.
 * Methods of other model types run in-process, timed.
 *
 *   swamp model method run my-shell execute --driver @examples/clean-env
 *
 * with, in the definition, an optional `driverConfig: { env: { LANG: C.UTF-8 }, timeoutMs: 60000 }`.
 *
 * It shows both ways a driver returns data:
 *  - out of process: it captures the output itself and returns `pending` outputs (the `result`
 *    resource and `log` file command/shell declares); swamp persists them;
 *  - in process: it calls `callbacks.runInProcess()`, which runs the method with swamp's own
 *    context, and reports the handles as `persisted` outputs.
 * A failure is a result with `status: "error"`, never a rejection; `callbacks.signal` stops the
 * child; output lines stream live through `callbacks.onLog`.
 *
 * Install: copy this file to `extensions/drivers/clean-env.ts`.
 */
import { z } from "npm:zod@4";
import { spawn } from "node:child_process";
import { defineDriver, type DriverOutput, type ExecutionCallbacks, type ExecutionRequest, type ExecutionResult } from "@swamp-ts/sdk";

const TYPE = "@examples/clean-env";

const ConfigSchema = z.object({
  env: z.record(z.string(), z.string()).default({}).describe("Variables added to the child's environment"),
  timeoutMs: z.number().int().positive().optional().describe("Kill the command after this long"),
});

const CommandArgs = z.object({
  run: z.string().min(1),
  workingDir: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  ignoreExitCode: z.boolean().optional(),
});

const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

function errorResult(error: string, started: number, logs: string[] = []): ExecutionResult {
  return { status: "error", error, outputs: [], logs, durationMs: Math.round(performance.now() - started) };
}

/** Runs `sh -c <run>` with a minimal environment; resolves with the exit code and the output lines. */
function runCommand(
  args: z.infer<typeof CommandArgs>,
  env: Record<string, string>,
  callbacks: ExecutionCallbacks,
  timeoutMs: number | undefined,
): Promise<{ exitCode: number | null; stdout: string[]; stderr: string[]; reason?: string }> {
  return new Promise((resolvePromise) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    let reason: string | undefined;
    // Its own process group, so stopping it stops everything the command started.
    const child = spawn("sh", ["-c", args.run], { cwd: args.workingDir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let killer: ReturnType<typeof setTimeout> | undefined;
    const stop = (why: string) => {
      if (reason !== undefined) return;
      reason = why;
      signalGroup("SIGTERM");
      killer = setTimeout(() => signalGroup("SIGKILL"), 2_000);
    };
    const onAbort = () => stop("cancelled");
    callbacks.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeoutMs ? setTimeout(() => stop(`timed out after ${timeoutMs}ms`), timeoutMs) : undefined;
    const lines = (stream: "stdout" | "stderr", sink: string[]) => {
      let pending = "";
      return (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const parts = pending.split("\n");
        pending = parts.pop() ?? "";
        for (const line of parts) {
          sink.push(line);
          callbacks.onLog?.(line, stream);
        }
      };
    };
    child.stdout.on("data", lines("stdout", stdout));
    child.stderr.on("data", lines("stderr", stderr));
    child.on("error", (err) => {
      reason ??= `could not be started: ${err.message}`;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      callbacks.signal?.removeEventListener("abort", onAbort);
      resolvePromise({ exitCode: code, stdout, stderr, ...(reason ? { reason } : {}) });
    });
  });
}

export const driver = defineDriver({
  type: TYPE,
  name: "Clean environment (example)",
  description: "Runs shell commands with only the environment you allow; other methods in-process",
  configSchema: ConfigSchema,
  createDriver: (raw) => {
    const config = ConfigSchema.parse(raw ?? {});
    return {
      type: TYPE,
      async execute(request: ExecutionRequest, callbacks: ExecutionCallbacks = {}): Promise<ExecutionResult> {
        const started = performance.now();
        if (callbacks.signal?.aborted) return errorResult("Cancelled before the run started", started);

        const command = request.modelType === "command/shell" ? CommandArgs.safeParse(request.methodArgs) : undefined;
        if (!command?.success) {
          // Not a shell command: run the method in swamp's process.
          if (!callbacks.runInProcess) return errorResult(`${TYPE} needs the host's runInProcess for ${request.modelType}`, started);
          try {
            const handles = await callbacks.runInProcess();
            callbacks.onLog?.(`${request.methodName} ran in-process in ${Math.round(performance.now() - started)}ms`, "stdout");
            return { status: "success", outputs: handles.map((handle) => ({ kind: "persisted", handle })), logs: [], durationMs: Math.round(performance.now() - started) };
          } catch (err) {
            return { ...errorResult((err as Error)?.message ?? String(err), started), cause: err };
          }
        }

        const args = command.data;
        const env: Record<string, string> = {
          PATH: process.env["PATH"] ?? "/usr/bin:/bin",
          HOME: process.env["HOME"] ?? "/",
          ...config.env,
          ...(args.env ?? {}),
          ...(request.secretEnv ?? {}),
        };
        const executedAt = new Date().toISOString();
        const outcome = await runCommand(args, env, callbacks, config.timeoutMs);
        const durationMs = Math.round(performance.now() - started);
        if (outcome.reason) return errorResult(`Command ${outcome.reason}`, started, outcome.stderr);
        if (outcome.exitCode !== 0 && !args.ignoreExitCode) return errorResult(`Command exited with code ${outcome.exitCode}`, started, outcome.stderr);

        const log = [
          ...(outcome.stdout.length ? ["[stdout]", ...outcome.stdout] : []),
          ...(outcome.stderr.length ? ["[stderr]", ...outcome.stderr] : []),
        ].join("\n");
        const outputs: DriverOutput[] = [
          {
            kind: "pending",
            specName: "result",
            name: "result",
            type: "resource",
            content: encode({
              exitCode: outcome.exitCode ?? -1,
              executedAt,
              command: args.run,
              durationMs,
              stdout: outcome.stdout.join("\n"),
              stderr: outcome.stderr.join("\n"),
            }),
          },
          { kind: "pending", specName: "log", name: "log", type: "file", content: encode(log) },
        ];
        return { status: "success", outputs, logs: outcome.stderr, durationMs };
      },
    };
  },
});
