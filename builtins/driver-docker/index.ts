/**
 * The `docker` driver: runs a method in a container through a container CLI (docker, podman,
 * nerdctl, or an absolute path to a compatible binary).
 *
 * Command mode (`methodArgs.run` is a non-empty string, i.e. command/shell):
 *   <cli> run --rm -i [--network N] [--memory M] [--cpus C] [-v V]... [-e NAME]...
 *         [-w DIR] [extraArgs...] <image> sh -c <run>
 *   The container's environment is driverConfig.env, then methodArgs.env, then the run's
 *   secrets (`request.secretEnv`). Every variable is passed as `-e NAME` with its value in the
 *   CLI's own environment: values (which may come from a vault) never appear in argv, where any
 *   user on the host could read them in the process list.
 *   stdout becomes the `result` resource (the attributes command/shell writes: exitCode,
 *   executedAt, command, durationMs, stdout, stderr; capped at 1 MiB each with
 *   `stdoutTruncated`/`stderrTruncated`), both streams are reported live through `onLog`, and
 *   stderr lines are returned in `logs`. A non-zero exit is an error ("Command exited with code
 *   <n>") unless `methodArgs.ignoreExitCode`.
 *
 * Bundle mode (`request.bundle` set, an extension model type): bundle.js, package.json
 * (`"type": "module"`), request.json and runner.js go into a private temp dir mounted read-only
 * at /swamp; the container runs `node /swamp/runner.js` in `bundleImage ?? image`. The runner's
 * JSON (see runner.ts) becomes pending outputs; stderr is streamed as logs.
 *
 * Timeout (`driverConfig.timeout`, else `methodArgs.timeout`) and `callbacks.signal` send
 * SIGTERM to the CLI's process group (the CLI proxies it to the container), SIGKILL 5 s later.
 */
import * as z from "zod";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { ErrorCode, SwampError } from "../../kernel/contract/index.js";
import type {
  DriverOutput,
  DriverPlugin,
  ExecutionCallbacks,
  ExecutionDriver,
  ExecutionRequest,
  ExecutionResult,
} from "../../kernel/contract/index.js";
import { CappedText } from "../../kernel/runtime/child-process.js";
import { runCli } from "./process.js";
import type { CliOutcome } from "./process.js";
import { runnerSource } from "./runner.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export const DOCKER_DRIVER_TYPE = "docker";
export const CONTAINER_CLIS = ["docker", "podman", "nerdctl"] as const;
/** Most bytes of stdout (and of stderr) kept in the command-mode `result`. */
export const CAPTURE_CAP_BYTES = 1024 * 1024;
/** Most bytes the bundle runner may print on stdout (its JSON carries all file content). */
export const MAX_RUNNER_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Most stderr lines kept in `ExecutionResult.logs` (all of them go to `onLog`). */
export const MAX_LOG_LINES = 10_000;

const ENV_NAME = /^[^=\0]+$/;
const sizeValue = z.union([z.string().min(1), z.number().positive()]).transform((v) => String(v));

export const DockerDriverConfigSchema = z
  .object({
    image: z.string().min(1).describe("Image to run"),
    bundleImage: z.string().min(1).optional().describe("Image for bundle mode (default: image)"),
    command: z
      .string()
      .refine((c) => (CONTAINER_CLIS as readonly string[]).includes(c) || isAbsolute(c), {
        message: 'command must be "docker", "podman", "nerdctl" or an absolute path to a compatible CLI',
      })
      .optional()
      .describe("Container CLI (default: docker)"),
    timeout: z.number().int().positive().optional().describe("Timeout in milliseconds"),
    network: z.string().min(1).optional().describe("Network to attach"),
    memory: sizeValue.optional().describe("Memory limit, e.g. 512m"),
    cpus: sizeValue.optional().describe("CPU limit, e.g. 1.5"),
    volumes: z.array(z.string().min(1)).optional().describe("Volume mounts, e.g. /host:/container"),
    env: z
      .record(z.string().regex(ENV_NAME, "environment variable names cannot contain '='"), z.string())
      .optional()
      .describe("Environment variables passed to the container"),
    extraArgs: z.array(z.string()).optional().describe("Additional flags placed before the image"),
  })
  .strict();
export type DockerDriverConfig = z.output<typeof DockerDriverConfigSchema>;

/** The arguments command mode reads from a command/shell method call. */
const CommandArgsSchema = z.object({
  run: z.string().min(1),
  workingDir: z.string().min(1).optional(),
  timeout: z.number().int().positive().optional(),
  env: z.record(z.string().regex(ENV_NAME, "environment variable names cannot contain '='"), z.string()).optional(),
  ignoreExitCode: z.boolean().optional(),
});

const outputMeta = {
  tags: z.record(z.string(), z.string()).optional(),
  lifetime: z.string().optional(),
  garbageCollection: z.union([z.number(), z.string()]).optional(),
};
const RunnerOutputSchema = z.union([
  z.object({
    resources: z.array(z.object({ specName: z.string(), name: z.string(), data: z.record(z.string(), z.unknown()), ...outputMeta })),
    files: z.array(
      z.object({ specName: z.string(), name: z.string(), content: z.string(), contentType: z.string().optional(), ...outputMeta }),
    ),
  }),
  z.object({ error: z.object({ message: z.string(), code: z.string().optional(), stack: z.string().optional() }) }),
]);

export interface RunArgvOptions {
  image: string;
  /** Variable names, passed as `-e NAME`: the CLI reads each value from its own environment. */
  env: string[];
  mounts?: string[];
  workdir?: string;
  command: string[];
}

/** The CLI arguments (after the binary) for one `run`. */
export function buildRunArgv(config: DockerDriverConfig, options: RunArgvOptions): string[] {
  const argv = ["run", "--rm", "-i"];
  if (config.network !== undefined) argv.push("--network", config.network);
  if (config.memory !== undefined) argv.push("--memory", config.memory);
  if (config.cpus !== undefined) argv.push("--cpus", config.cpus);
  for (const volume of config.volumes ?? []) argv.push("-v", volume);
  for (const mount of options.mounts ?? []) argv.push("-v", mount);
  for (const name of options.env) argv.push("-e", name);
  if (options.workdir !== undefined) argv.push("-w", options.workdir);
  argv.push(...(config.extraArgs ?? []), options.image, ...options.command);
  return argv;
}

/** Lines joined by "\n", keeping at most `cap` UTF-8 bytes of the head. */
class DockerDriver implements ExecutionDriver {
  readonly type = DOCKER_DRIVER_TYPE;
  private readonly cli: string;

  constructor(private readonly config: DockerDriverConfig) {
    this.cli = config.command ?? "docker";
  }

  async execute(request: ExecutionRequest, callbacks: ExecutionCallbacks = {}): Promise<ExecutionResult> {
    const started = monotonicMs();
    if (request.bundle) return this.runBundle(request, callbacks, started);
    const run = request.methodArgs["run"];
    if (typeof run === "string" && run.length > 0) return this.runCommand(request, callbacks, started);
    return failure("Docker driver requires either a bundle or a 'run' string", started);
  }

  /** The container's variables, later entries winning. */
  private containerEnv(request: ExecutionRequest, methodEnv?: Record<string, string>): Record<string, string> {
    return { ...(this.config.env ?? {}), ...(methodEnv ?? {}), ...(request.secretEnv ?? {}) };
  }

  /** The CLI process environment: the host's, plus the values the `-e NAME` flags refer to. */
  private cliEnv(containerEnv: Record<string, string>): NodeJS.ProcessEnv {
    return { ...process.env, ...containerEnv };
  }

  private async runCommand(request: ExecutionRequest, callbacks: ExecutionCallbacks, started: number): Promise<ExecutionResult> {
    const parsed = CommandArgsSchema.safeParse(request.methodArgs);
    if (!parsed.success) {
      return failure(`Invalid command arguments for the docker driver: ${z.prettifyError(parsed.error)}`, started);
    }
    const args = parsed.data;
    const env = this.containerEnv(request, args.env);
    const argv = buildRunArgv(this.config, {
      image: this.config.image,
      env: Object.keys(env),
      ...(args.workingDir !== undefined ? { workdir: args.workingDir } : {}),
      command: ["sh", "-c", args.run],
    });
    const timeoutMs = this.config.timeout ?? args.timeout;
    const stdout = new CappedText(CAPTURE_CAP_BYTES);
    const stderr = new CappedText(CAPTURE_CAP_BYTES);
    const logs: string[] = [];
    let lastStderr = "";
    const executedAt = new Date().toISOString();
    const outcome = await runCli({
      file: this.cli,
      args: argv,
      env: this.cliEnv(env),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(callbacks.signal ? { signal: callbacks.signal } : {}),
      onStdoutLine: (line) => {
        stdout.add(line);
        callbacks.onLog?.(line, "stdout");
      },
      onStderrLine: (line) => {
        stderr.add(line);
        if (isCause(line)) lastStderr = line;
        if (logs.length < MAX_LOG_LINES) logs.push(line);
        callbacks.onLog?.(line, "stderr");
      },
    });
    const durationMs = Math.round(monotonicMs() - started);
    const problem = this.outcomeProblem(outcome, timeoutMs, lastStderr);
    if (problem) return { ...failure(problem, started), logs };
    const exitCode = outcome.exitCode as number;
    if (exitCode !== 0 && !args.ignoreExitCode) {
      return { ...failure(`Command exited with code ${exitCode}`, started), logs };
    }
    const result: Record<string, unknown> = {
      exitCode,
      executedAt,
      command: args.run,
      durationMs,
      stdout: stdout.value,
      stderr: stderr.value,
    };
    if (stdout.truncated) result["stdoutTruncated"] = true;
    if (stderr.truncated) result["stderrTruncated"] = true;
    const output: DriverOutput = {
      kind: "pending",
      specName: "result",
      name: "result",
      type: "resource",
      content: Buffer.from(JSON.stringify(result), "utf8"),
    };
    return { status: "success", outputs: [output], logs, durationMs };
  }

  private async runBundle(request: ExecutionRequest, callbacks: ExecutionCallbacks, started: number): Promise<ExecutionResult> {
    const dir = await mkdtemp(join(tmpdir(), "swamp-docker-"));
    try {
      const { bundle, secretEnv: _secrets, ...shipped } = request;
      await writeFile(join(dir, "bundle.js"), bundle as Uint8Array);
      await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
      await writeFile(join(dir, "request.json"), JSON.stringify(shipped));
      await writeFile(join(dir, "runner.js"), runnerSource());
      const env = this.containerEnv(request);
      const argv = buildRunArgv(this.config, {
        image: this.config.bundleImage ?? this.config.image,
        env: Object.keys(env),
        mounts: [`${dir}:/swamp:ro`],
        command: ["node", "/swamp/runner.js"],
      });
      const chunks: Buffer[] = [];
      let size = 0;
      const logs: string[] = [];
      let lastStderr = "";
      let outcome: CliOutcome;
      try {
        outcome = await runCli({
          file: this.cli,
          args: argv,
          env: this.cliEnv(env),
          ...(this.config.timeout !== undefined ? { timeoutMs: this.config.timeout } : {}),
          ...(callbacks.signal ? { signal: callbacks.signal } : {}),
          onStdoutChunk: (chunk) => {
            size += chunk.byteLength;
            if (size > MAX_RUNNER_OUTPUT_BYTES) throw new RunnerOverflow();
            chunks.push(chunk);
          },
          onStderrLine: (line) => {
            if (isCause(line)) lastStderr = line;
            if (logs.length < MAX_LOG_LINES) logs.push(line);
            callbacks.onLog?.(line, "stderr");
          },
        });
      } catch (err) {
        if (err instanceof RunnerOverflow) {
          return { ...failure(`Bundle runner output exceeds ${MAX_RUNNER_OUTPUT_BYTES} bytes`, started), logs };
        }
        throw err;
      }
      const problem = this.outcomeProblem(outcome, this.config.timeout, lastStderr);
      if (problem) return { ...failure(problem, started), logs };
      const reply = parseRunnerOutput(Buffer.concat(chunks).toString("utf8"));
      if (reply && "error" in reply) return { ...failure(reply.error.message, started), logs };
      if (outcome.exitCode !== 0 || !reply) {
        const why = outcome.exitCode !== 0 ? `Bundle runner exited with code ${outcome.exitCode}` : "Bundle runner printed no result";
        return { ...failure(lastStderr ? `${why}: ${lastStderr}` : why, started), logs };
      }
      const outputs: DriverOutput[] = [
        ...reply.resources.map((r) =>
          pending("resource", r.specName, r.name, Buffer.from(JSON.stringify(r.data), "utf8"), r),
        ),
        ...reply.files.map((f) => pending("file", f.specName, f.name, Buffer.from(f.content, "base64"), f)),
      ];
      return { status: "success", outputs, logs, durationMs: Math.round(monotonicMs() - started) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Why the CLI run failed before the method could decide, or null. */
  private outcomeProblem(outcome: CliOutcome, timeoutMs: number | undefined, lastStderr: string): string | null {
    if (outcome.aborted) return "Execution cancelled";
    if (outcome.timedOut) return `Command timed out after ${timeoutMs}ms`;
    if (outcome.spawnError) {
      const code = outcome.spawnError.code;
      if (code === "ENOENT") {
        return (
          `Container CLI "${this.cli}" not found${isAbsolute(this.cli) ? "" : " on PATH"}: install it or set ` +
          `driverConfig.command to docker, podman, nerdctl or an absolute path`
        );
      }
      if (code === "EACCES") return `Container CLI "${this.cli}" is not executable`;
      return `Container CLI "${this.cli}" could not be started: ${outcome.spawnError.message}`;
    }
    if (outcome.exitCode === null) return `Container CLI "${this.cli}" ended without an exit code`;
    // 125: the engine itself failed (no such image, daemon down, bad flag) before the command ran.
    if (outcome.exitCode === 125) {
      return `Container engine error (${this.cli} exited with code 125)${lastStderr ? `: ${lastStderr}` : ""}`;
    }
    return null;
  }
}

class RunnerOverflow extends Error {}

/** Container CLIs end a failure with a pointer to their help (`Run 'docker run --help' …`): not the cause. */
const HELP_POINTER = /^(run|see) '[^']*--help'/i;

/** True for a stderr line that may say why the engine failed. */
function isCause(line: string): boolean {
  const text = line.trim();
  return text !== "" && !HELP_POINTER.test(text);
}

function failure(error: string, started: number): ExecutionResult {
  return { status: "error", error, outputs: [], logs: [], durationMs: Math.round(monotonicMs() - started) };
}

function pending(
  type: "resource" | "file",
  specName: string,
  name: string,
  content: Uint8Array,
  meta: { tags?: Record<string, string>; lifetime?: string; garbageCollection?: number | string; contentType?: string },
): DriverOutput {
  const output: DriverOutput = { kind: "pending", specName, name, type, content };
  if (meta.tags) output.tags = meta.tags;
  const metadata: NonNullable<Extract<DriverOutput, { kind: "pending" }>["metadata"]> = {};
  if (meta.contentType !== undefined) metadata.contentType = meta.contentType;
  if (meta.lifetime !== undefined) metadata.lifetime = meta.lifetime;
  if (meta.garbageCollection !== undefined) metadata.garbageCollection = meta.garbageCollection;
  if (Object.keys(metadata).length > 0) output.metadata = metadata;
  return output;
}

/** The runner's reply: the last non-empty stdout line that is valid runner JSON. */
function parseRunnerOutput(stdout: string): z.infer<typeof RunnerOutputSchema> | null {
  const lines = stdout.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    try {
      const parsed = RunnerOutputSchema.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: keep looking
    }
    return null;
  }
  return null;
}

export const driver: DriverPlugin = {
  type: DOCKER_DRIVER_TYPE,
  name: "docker",
  description: "Runs methods in a container (docker, podman or nerdctl)",
  configSchema: DockerDriverConfigSchema,
  createDriver(config) {
    const parsed = DockerDriverConfigSchema.safeParse(config ?? {});
    if (!parsed.success) {
      throw new SwampError(ErrorCode.validation, `Invalid docker driver configuration: ${z.prettifyError(parsed.error)}`);
    }
    return new DockerDriver(parsed.data);
  },
};
