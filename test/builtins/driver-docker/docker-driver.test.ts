import { test, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { driver, buildRunArgv, DockerDriverConfigSchema } from "../../../builtins/driver-docker/index.js";
import type { DriverOutput, ExecutionCallbacks, ExecutionRequest, ExecutionResult } from "../../../kernel/contract/index.js";

const FAKE_DOCKER = fileURLToPath(new URL("./fixtures/fake-docker.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "swamp-docker-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

interface Recorded {
  argv: string[];
  image: string;
  command: string[];
  env: Record<string, string>;
  workdir?: string;
  mounts: Record<string, Record<string, string>>;
}

let cliCount = 0;
/** A fake CLI at an absolute path: a sh wrapper that records into its own file. */
function fakeCli(extraEnv: Record<string, string> = {}): { command: string; records(): Recorded[] } {
  const dir = join(root, `cli-${++cliCount}`);
  mkdirSync(dir);
  const recordFile = join(dir, "record.jsonl");
  const command = join(dir, "fake-docker");
  const exports = Object.entries({ FAKE_DOCKER_RECORD: recordFile, ...extraEnv })
    .map(([k, v]) => `${k}='${v}'; export ${k}`)
    .join("\n");
  writeFileSync(command, `#!/bin/sh\n${exports}\nexec '${process.execPath}' '${FAKE_DOCKER}' "$@"\n`);
  chmodSync(command, 0o755);
  return {
    command,
    records: () =>
      existsSync(recordFile)
        ? readFileSync(recordFile, "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Recorded)
        : [],
  };
}

function request(methodArgs: Record<string, unknown>, extra: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    protocolVersion: 1,
    modelType: "command/shell",
    modelId: "11111111-2222-4333-8444-555555555555",
    methodName: "execute",
    globalArgs: {},
    methodArgs,
    definitionMeta: { id: "11111111-2222-4333-8444-555555555555", name: "box", version: 1, tags: {} },
    ...extra,
  };
}

async function execute(
  config: Record<string, unknown>,
  req: ExecutionRequest,
  callbacks: ExecutionCallbacks = {},
): Promise<ExecutionResult> {
  const d = await driver.createDriver(config);
  assert.equal(d.type, "docker");
  return d.execute(req, callbacks);
}

function pendingOutputs(result: ExecutionResult): Array<Extract<DriverOutput, { kind: "pending" }>> {
  return result.outputs.map((o) => {
    assert.equal(o.kind, "pending");
    return o as Extract<DriverOutput, { kind: "pending" }>;
  });
}

function resultAttributes(result: ExecutionResult): Record<string, unknown> {
  const outputs = pendingOutputs(result);
  assert.equal(outputs.length, 1);
  const out = outputs[0]!;
  assert.deepEqual([out.type, out.specName, out.name], ["resource", "result", "result"]);
  return JSON.parse(Buffer.from(out.content).toString("utf8")) as Record<string, unknown>;
}

test("plugin shape and config validation", () => {
  assert.equal(driver.type, "docker");
  assert.equal(DockerDriverConfigSchema.safeParse({}).success, false);
  assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine" }).success, true);
  for (const command of ["docker", "podman", "nerdctl", "/opt/bin/docker"]) {
    assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine", command }).success, true, command);
  }
  assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine", command: "bash" }).success, false);
  assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine", command: "bin/docker" }).success, false);
  assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine", imgae: "x" }).success, false);
  assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine", env: { "A=B": "c" } }).success, false);
  assert.equal(DockerDriverConfigSchema.safeParse({ image: "alpine", timeout: -1 }).success, false);
  assert.throws(() => driver.createDriver({ image: "" }), /Invalid docker driver configuration/);
});

test("buildRunArgv orders every flag before the image", () => {
  const config = DockerDriverConfigSchema.parse({
    image: "alpine:3",
    network: "host",
    memory: "512m",
    cpus: 1.5,
    volumes: ["/a:/b", "/c:/d:ro"],
    extraArgs: ["--init", "--label=x"],
  });
  assert.deepEqual(
    buildRunArgv(config, { image: "alpine:3", env: ["A", "S"], mounts: ["/t:/swamp:ro"], workdir: "/w", command: ["sh", "-c", "x"] }),
    ["run", "--rm", "-i", "--network", "host", "--memory", "512m", "--cpus", "1.5", "-v", "/a:/b", "-v", "/c:/d:ro", "-v", "/t:/swamp:ro",
      "-e", "A", "-e", "S", "-w", "/w", "--init", "--label=x", "alpine:3", "sh", "-c", "x"],
  );
});

test("command mode: exact argv, result mapping, logs", async () => {
  const cli = fakeCli();
  const lines: Array<[string, string]> = [];
  const result = await execute(
    {
      image: "alpine:3",
      command: cli.command,
      network: "host",
      memory: "512m",
      cpus: "1.5",
      volumes: ["/host/a:/a", "/host/b:/b:ro"],
      env: { A: "1", B: "two words" },
      extraArgs: ["--init", "--label=swamp"],
    },
    request({ run: "echo hi; echo warn >&2; printf '%s|%s' \"$B\" \"$M\"", env: { M: "m" } }),
    { onLog: (line, stream) => lines.push([stream, line]) },
  );
  assert.equal(result.status, "success", result.error);
  const [rec] = cli.records();
  assert.deepEqual(rec?.argv, [
    "run", "--rm", "-i",
    "--network", "host",
    "--memory", "512m",
    "--cpus", "1.5",
    "-v", "/host/a:/a",
    "-v", "/host/b:/b:ro",
    "-e", "A",
    "-e", "B",
    "-e", "M",
    "--init", "--label=swamp",
    "alpine:3",
    "sh", "-c", "echo hi; echo warn >&2; printf '%s|%s' \"$B\" \"$M\"",
  ]);
  const attrs = resultAttributes(result);
  assert.equal(attrs.exitCode, 0);
  assert.equal(attrs.stdout, "hi\ntwo words|m");
  assert.equal(attrs.stderr, "warn");
  assert.equal(attrs.command, "echo hi; echo warn >&2; printf '%s|%s' \"$B\" \"$M\"");
  assert.equal(typeof attrs.durationMs, "number");
  assert.equal(new Date(attrs.executedAt as string).toISOString(), attrs.executedAt);
  assert.deepEqual(result.logs, ["warn"]);
  // The two streams interleave in any order: compare each stream's lines.
  assert.deepEqual(lines.filter(([s]) => s === "stdout").map(([, l]) => l), ["hi", "two words|m"]);
  assert.deepEqual(lines.filter(([s]) => s === "stderr").map(([, l]) => l), ["warn"]);
});

test("command mode: minimal config gives the minimal argv; workingDir becomes -w", async () => {
  const cli = fakeCli();
  const result = await execute({ image: "alpine", command: cli.command }, request({ run: "pwd", workingDir: "/tmp" }));
  assert.equal(result.status, "success", result.error);
  assert.deepEqual(cli.records()[0]?.argv, ["run", "--rm", "-i", "-w", "/tmp", "alpine", "sh", "-c", "pwd"]);

  const plain = fakeCli();
  await execute({ image: "alpine", command: plain.command }, request({ run: "echo hi" }));
  assert.deepEqual(plain.records()[0]?.argv, ["run", "--rm", "-i", "alpine", "sh", "-c", "echo hi"]);
});

test("command mode: secrets travel as -e NAME, never in argv", async () => {
  const cli = fakeCli();
  const secret = `"; rm -rf x; echo "`;
  const result = await execute(
    { image: "alpine", command: cli.command, env: { A: "1" } },
    request({ run: 'printf %s "$__SWAMP_VAULT_0"' }, { secretEnv: { __SWAMP_VAULT_0: secret } }),
  );
  assert.equal(result.status, "success", result.error);
  const rec = cli.records()[0]!;
  assert.deepEqual(rec.argv, ["run", "--rm", "-i", "-e", "A", "-e", "__SWAMP_VAULT_0", "alpine", "sh", "-c", 'printf %s "$__SWAMP_VAULT_0"']);
  assert.equal(rec.argv.some((a) => a.includes("rm -rf")), false);
  assert.equal(resultAttributes(result).stdout, secret);
});

test("command mode: non-zero exit is an error, unless ignoreExitCode", async () => {
  const cli = fakeCli();
  const failed = await execute({ image: "alpine", command: cli.command }, request({ run: "echo oops >&2; exit 3" }));
  assert.equal(failed.status, "error");
  assert.equal(failed.error, "Command exited with code 3");
  assert.deepEqual(failed.outputs, []);
  assert.deepEqual(failed.logs, ["oops"]);

  const ignored = await execute({ image: "alpine", command: cli.command }, request({ run: "exit 3", ignoreExitCode: true }));
  assert.equal(ignored.status, "success");
  assert.equal(resultAttributes(ignored).exitCode, 3);
});

test("command mode: engine failure (exit 125) names the engine", async () => {
  const cli = fakeCli({ FAKE_DOCKER_EXIT: "125" });
  const result = await execute({ image: "alpine", command: cli.command }, request({ run: "echo hi" }));
  assert.equal(result.status, "error");
  assert.match(result.error ?? "", /^Container engine error \(.*fake-docker exited with code 125\): fake engine failure$/);
});

test("command mode: timeout kills the CLI and what it started", async () => {
  const cli = fakeCli();
  const pidFile = join(root, `sleep-${Date.now()}.pid`);
  // The timeout leaves ample room for the background sleep to start and record its pid; had the
  // timeout not killed it, the command would run for 30 s and succeed.
  const result = await execute(
    { image: "alpine", command: cli.command, timeout: 3000 },
    request({ run: `sleep 30 & echo $! > '${pidFile}'; wait` }),
  );
  assert.equal(result.status, "error");
  assert.equal(result.error, "Command timed out after 3000ms");
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  assert.equal(await gone(pid), true, `sleep ${pid} survived`);
});

test("command mode: methodArgs.timeout applies when the config has none", async () => {
  const cli = fakeCli();
  const result = await execute({ image: "alpine", command: cli.command }, request({ run: "sleep 30", timeout: 300 }));
  assert.equal(result.error, "Command timed out after 300ms");
});

test("abort signal stops the run", async () => {
  const cli = fakeCli();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const started = Date.now();
  const result = await execute({ image: "alpine", command: cli.command }, request({ run: "sleep 30" }), { signal: controller.signal });
  assert.equal(result.status, "error");
  assert.equal(result.error, "Execution cancelled");
  assert.ok(Date.now() - started < 4000);
});

test("neither bundle nor run is an error", async () => {
  const result = await execute({ image: "alpine", command: "/nonexistent/docker" }, request({}));
  assert.equal(result.status, "error");
  assert.equal(result.error, "Docker driver requires either a bundle or a 'run' string");
  const empty = await execute({ image: "alpine" }, request({ run: "" }));
  assert.equal(empty.error, "Docker driver requires either a bundle or a 'run' string");
});

test("a missing CLI binary is a clear error naming it", async () => {
  const result = await execute({ image: "alpine", command: "/nonexistent/bin/docker" }, request({ run: "echo hi" }));
  assert.equal(result.status, "error");
  assert.equal(
    result.error,
    'Container CLI "/nonexistent/bin/docker" not found: install it or set driverConfig.command to docker, podman, nerdctl or an absolute path',
  );
});

const BUNDLE = `
export const model = {
  type: "@test/box",
  version: "2026.01.01.1",
  resources: { state: { schema: {}, lifetime: "infinite", garbageCollection: 10 } },
  files: { report: { contentType: "text/markdown", lifetime: "7d", garbageCollection: 3 } },
  methods: {
    sync: {
      description: "writes",
      arguments: {},
      async execute(args, context) {
        console.log("console output goes to stderr");
        context.logger.info("hello " + args.who + " from " + context.definition.name);
        await context.writeResource("state", "main", { count: args.count, model: context.modelId }, { tags: { env: "t" } });
        const w = context.createFileWriter("report", "summary");
        await w.writeLine("# Report");
        await w.writeLine("line 2");
        await w.finalize();
        const never = context.createFileWriter("report", "dropped");
        await never.writeLine("not finalized");
        return {};
      },
    },
    boom: {
      description: "throws",
      arguments: {},
      async execute() { throw Object.assign(new Error("kaboom"), { code: "E_BOOM" }); },
    },
    undeclared: {
      description: "bad spec",
      arguments: {},
      async execute(args, context) { await context.writeResource("nope", "x", {}); },
    },
  },
};
`;

function bundleRequest(methodName: string, methodArgs: Record<string, unknown> = {}, extra: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return request(methodArgs, { modelType: "@test/box", methodName, bundle: new TextEncoder().encode(BUNDLE), ...extra });
}

test("bundle mode: argv, mounted files, collected outputs", async () => {
  const cli = fakeCli();
  const logs: string[] = [];
  const result = await execute(
    { image: "alpine", bundleImage: "node:20-slim", command: cli.command, env: { A: "1" }, memory: "256m" },
    bundleRequest("sync", { who: "you", count: 2 }, { secretEnv: { __SWAMP_VAULT_0: "hidden" } }),
    { onLog: (line) => logs.push(line) },
  );
  assert.equal(result.status, "success", result.error);
  const rec = cli.records()[0]!;
  const mount = rec.argv[rec.argv.indexOf("-v") + 1] ?? "";
  assert.match(mount, /^\/.*swamp-docker-[^/]+:\/swamp:ro$/);
  assert.deepEqual(rec.argv, [
    "run", "--rm", "-i", "--memory", "256m", "-v", mount, "-e", "A", "-e", "__SWAMP_VAULT_0", "node:20-slim", "node", "/swamp/runner.js",
  ]);
  const files = rec.mounts["/swamp"]!;
  assert.deepEqual(Object.keys(files), ["bundle.js", "package.json", "request.json", "runner.js"]);
  assert.equal(files["bundle.js"], BUNDLE);
  assert.deepEqual(JSON.parse(files["package.json"]!), { type: "module" });
  const shipped = JSON.parse(files["request.json"]!) as Record<string, unknown>;
  assert.equal(shipped.methodName, "sync");
  assert.deepEqual(shipped.methodArgs, { who: "you", count: 2 });
  assert.equal("bundle" in shipped, false);
  assert.equal("secretEnv" in shipped, false);
  assert.equal(rec.env.__SWAMP_VAULT_0, "hidden");
  // The temp dir is gone after the run.
  assert.equal(existsSync(mount.slice(0, mount.indexOf(":"))), false);

  const outputs = pendingOutputs(result);
  assert.equal(outputs.length, 2);
  const [state, report] = outputs;
  assert.deepEqual([state?.type, state?.specName, state?.name, state?.tags], ["resource", "state", "main", { env: "t" }]);
  assert.deepEqual(JSON.parse(Buffer.from(state!.content).toString("utf8")), { count: 2, model: "11111111-2222-4333-8444-555555555555" });
  assert.deepEqual([report?.type, report?.specName, report?.name], ["file", "report", "summary"]);
  assert.equal(Buffer.from(report!.content).toString("utf8"), "# Report\nline 2\n");
  assert.deepEqual(report?.metadata, { contentType: "text/markdown" });
  assert.deepEqual(logs, ["console output goes to stderr", "hello you from box"]);
  assert.deepEqual(result.logs, logs);
});

test("bundle mode: image is used when bundleImage is absent", async () => {
  const cli = fakeCli();
  const result = await execute({ image: "node:20", command: cli.command }, bundleRequest("sync", { who: "x", count: 1 }));
  assert.equal(result.status, "success", result.error);
  const argv = cli.records()[0]!.argv;
  assert.deepEqual(argv.slice(-3), ["node:20", "node", "/swamp/runner.js"]);
});

test("bundle mode: a throwing method and an undeclared spec are errors", async () => {
  const cli = fakeCli();
  const boom = await execute({ image: "node:20", command: cli.command }, bundleRequest("boom"));
  assert.equal(boom.status, "error");
  assert.equal(boom.error, "kaboom");
  assert.deepEqual(boom.outputs, []);

  const bad = await execute({ image: "node:20", command: cli.command }, bundleRequest("undeclared"));
  assert.equal(bad.status, "error");
  assert.equal(bad.error, "Undeclared resource spec 'nope' in model '@test/box'. Declared resource specs: state");

  const missing = await execute({ image: "node:20", command: cli.command }, bundleRequest("nothing"));
  assert.equal(missing.error, "Method 'nothing' not found on model type '@test/box'");
});

async function gone(pid: number): Promise<boolean> {
  const deadline = Date.now() + 3000;
  const alive = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  };
  while (Date.now() < deadline) {
    if (!alive()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive();
}
