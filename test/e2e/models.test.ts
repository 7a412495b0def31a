/**
 * Models as a user meets them through the real CLI: definitions, method runs, expressions,
 * failures, timeouts, drivers and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";
import { GREETER } from "./fixtures/greeter.js";

async function writeModel(repo: string, name: string, yaml: string): Promise<void> {
  await mkdir(join(repo, "models", "command", "shell"), { recursive: true });
  await writeFile(join(repo, "models", "command", "shell", `${name}.yaml`), yaml);
}

function shellModel(id: string, name: string, body: string): string {
  return `type: command/shell\nid: ${id}\nname: ${name}\nversion: 1\ntags: {}\nglobalArguments: {}\n${body}`;
}

test("the seed's greeter validates: Summary 5/5, its unprovided required report a warning", async () => {
  await withRepo(async (repo) => {
    await writeModel(repo, "greeter", GREETER);
    const r = await swamp(["model", "validate", "greeter", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      r.stdout,
      [
        "Validating: greeter (command/shell)",
        "  ✓ Definition schema",
        "  ✓ Global arguments",
        "  ✓ Method arguments",
        "  ✓ Expression paths",
        "  ✓ Check selection",
        "  ⚠ Required report not found",
        "    → Required report not found: execution-summary. No installed report has this name, so it is skipped; pull the extension that provides it, or remove it from reports.require.",
        "",
        "Summary: 5/5 validations passed, 1 warning(s)",
        "Result: PASSED",
        "",
      ].join("\n"),
    );
    const json = parseJson((await swamp(["model", "validate", "greeter", "--json", "--repo-dir", repo])).stdout);
    assert.equal(json.passed, true);
    assert.equal(json.validations.length, 5);
  });
});

test("hello-world: create, run twice, versioned data, reports and run records", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "hello-world", "--json", "--repo-dir", repo])).stdout);
    assert.match(created.path, /^models\/command\/shell\/[0-9a-f-]{36}\.yaml$/);
    const yaml = await readFile(join(repo, created.path), "utf8");
    assert.equal(yaml, `type: command/shell\ntypeVersion: 2026.02.09.1\nid: ${created.id}\nname: hello-world\nversion: 1\ntags: {}\nglobalArguments: {}\nmethods: {}\n`);

    const text = await swamp(["model", "method", "run", "hello-world", "execute", "--input", 'run=echo "Hello from the swamp!"', "--repo-dir", repo]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Hello from the swamp!\nCompleted execute on hello-world succeeded in \d+ms\n {2}result {2}v1 {2}resource/);

    const r = await swamp(["model", "method", "run", "hello-world", "execute", "--input", 'run=echo "Hello from the swamp!"', "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const view = parseJson(r.stdout);
    assert.equal(view.status, "succeeded");
    assert.equal(view.modelName, "hello-world");
    assert.equal(view.driver, "raw");
    const result = view.dataArtifacts.find((a: { name: string }) => a.name === "result");
    assert.equal(result.version, 2);
    assert.equal(result.attributes.stdout, "Hello from the swamp!");
    assert.equal(result.attributes.exitCode, 0);
    assert.equal(result.attributes.command, 'echo "Hello from the swamp!"');
    assert.equal(await readFile(join(repo, result.path, "..", "..", "log", "2", "raw"), "utf8"), "[stdout]\nHello from the swamp!");
    assert.equal(view.reports["@swamp/method-summary"].success, true);
    assert.match(view.reports["@swamp/method-summary"].markdown, /^# hello-world \(command\/shell\) → execute: succeeded/);

    const modelDir = join(repo, ".swamp", "data", "command", "shell", created.id);
    assert.deepEqual((await readdir(modelDir)).filter((n) => !n.startsWith(".")).sort(), [
      "log", "report-swamp-method-summary", "report-swamp-method-summary-json", "result",
    ]);
    const meta = await readFile(join(modelDir, "report-swamp-method-summary", "2", "metadata.yaml"), "utf8");
    assert.match(meta, /contentType: text\/markdown\nlifetime: 30d\ngarbageCollection: 5\n/);
    assert.match(meta, /tags:\n {2}type: report\n/);

    const runs = parseJson((await swamp(["model", "output", "search", "--json", "--repo-dir", repo])).stdout).results;
    assert.equal(runs.length, 2);
    const logs = parseJson((await swamp(["model", "output", "logs", view.outputId.slice(0, 8), "--json", "--repo-dir", repo])).stdout);
    assert.ok(logs.lines.some((l: string) => l.endsWith("Hello from the swamp!")), JSON.stringify(logs));
  });
});

test("expressions: inputs with defaults, another model's data, self", async () => {
  await withRepo(async (repo) => {
    await swamp(["model", "create", "command/shell", "source", "--repo-dir", repo]);
    await swamp(["model", "method", "run", "source", "execute", "--input", "run=echo upstream-value", "--repo-dir", repo]);
    await writeModel(
      repo,
      "consumer",
      shellModel(
        "11111111-2222-4333-8444-555555555555",
        "consumer",
        [
          "inputs:",
          "  properties:",
          "    who: { type: string, default: world }",
          "    count: { type: integer, default: 2 }",
          "methods:",
          "  execute:",
          "    arguments:",
          '      run: "echo ${{ inputs.who }} ${{ inputs.count + 1 }} ${{ data.latest(\'source\', \'result\').attributes.stdout }} ${{ self.name }}"',
          "",
        ].join("\n"),
      ),
    );
    const def = parseJson((await swamp(["model", "method", "run", "consumer", "execute", "--json", "--repo-dir", repo])).stdout);
    assert.equal(def.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "world 3 upstream-value consumer");
    const custom = parseJson((await swamp(["model", "method", "run", "consumer", "execute", "--input", "who=bob", "--input", "count=41", "--json", "--repo-dir", repo])).stdout);
    assert.equal(custom.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "bob 42 upstream-value consumer");
  });
});

test("a failing command writes no result, reports the error, and keeps a failed run record", async () => {
  await withRepo(async (repo) => {
    await swamp(["model", "create", "command/shell", "failer", "--repo-dir", repo]);
    const r = await swamp(["model", "method", "run", "failer", "execute", "--input", "run=echo about to fail; exit 3", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 1);
    const err = parseJson(r.stderr).error;
    assert.equal(err.code, "command_failed");
    assert.equal(err.message, "Command exited with code 3");
    assert.match(err.details.logFile, /\.log$/);
    const list = await swamp(["data", "list", "failer", "--json", "--repo-dir", repo]);
    const names = list.code === 0 ? parseJson(list.stdout).groups.flatMap((g: { items: Array<{ name: string }> }) => g.items.map((i) => i.name)) : [];
    assert.ok(!names.includes("result"), "no result data");
    assert.ok(!names.includes("log"), "no log data");
    const record = parseJson((await swamp(["model", "output", "get", "failer", "--json", "--repo-dir", repo])).stdout);
    assert.equal(record.status, "failed");
    assert.equal(record.error.message, "Command exited with code 3");

    const ignored = await swamp(["model", "method", "run", "failer", "execute", "--input", "run=exit 3", "--input", "ignoreExitCode=true", "--json", "--repo-dir", repo]);
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.equal(parseJson(ignored.stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.exitCode, 3);
  });
});

test("a timeout kills the command and its children", async () => {
  await withRepo(async (repo) => {
    await swamp(["model", "create", "command/shell", "slow", "--repo-dir", repo]);
    const marker = `swamp-timeout-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const r = await swamp(["model", "method", "run", "slow", "execute", "--input", `run=sleep 30 && echo ${marker}; true`, "--input", "timeout=500", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 1);
    assert.ok(Date.now() - started < 15_000);
    assert.equal(parseJson(r.stderr).error.code, "command_timeout");
    const ps = await new Promise<string>((resolve) => {
      const child = spawn("ps", ["-eo", "args"]);
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("close", () => resolve(out));
    });
    assert.ok(!ps.includes(marker), "the sleeping child is gone");
  });
});

test("100 MB of stdout runs in bounded memory", async () => {
  await withRepo(async (repo) => {
    await swamp(["model", "create", "command/shell", "loud", "--repo-dir", repo]);
    const child = spawn(process.execPath, [SWAMP_BIN, "model", "method", "run", "loud", "execute", "--input", "run=head -c 104857600 /dev/zero | tr '\\0' 'a' | fold -w 100", "--json", "--repo-dir", repo], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let peakKb = 0;
    const poll = setInterval(async () => {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, "utf8");
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited
      }
    }, 20);
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(poll);
    assert.equal(code, 0);
    const view = parseJson(stdout);
    const result = view.dataArtifacts.find((a: { name: string }) => a.name === "result");
    assert.equal(result.attributes.stdoutTruncated, true);
    const log = view.dataArtifacts.find((a: { name: string }) => a.name === "log");
    const logBytes = (await readFile(join(repo, log.path, "raw"))).length;
    assert.ok(logBytes > 100 * 1024 * 1024, `log holds everything (${logBytes})`);
    assert.ok(peakKb > 0 && peakKb < 250 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MB`);
  });
});

test("direct type execution creates an auto-definition, reuses it, and rejects unknown inputs", async () => {
  await withRepo(async (repo) => {
    const r = await swamp(["model", "@command/shell", "method", "run", "execute", "my-shell", "--input", "run=echo hello", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJson(r.stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "hello");
    const autoDir = join(repo, ".swamp", "auto-definitions", "command", "shell");
    const files = await readdir(autoDir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^[0-9a-f-]{36}\.yaml$/);
    const again = await swamp(["model", "@command/shell", "method", "run", "execute", "my-shell", "--input", "run=echo again", "--json", "--repo-dir", repo]);
    assert.equal(parseJson(again.stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").version, 2);
    assert.equal((await readdir(autoDir)).length, 1);
    const search = parseJson((await swamp(["model", "search", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(search.results, [], "auto-definitions are not in model search");
    assert.equal(parseJson((await swamp(["model", "get", "my-shell", "--json", "--repo-dir", repo])).stdout).autoCreated, true);
    const bad = await swamp(["model", "@command/shell", "method", "run", "execute", "my-shell", "--input", "rum=echo", "--json", "--repo-dir", repo]);
    assert.equal(bad.code, 1);
    assert.match(parseJson(bad.stderr).error.message, /^Unknown input\(s\): rum\. Valid inputs are: run, workingDir, timeout, env, ignoreExitCode$/);
  });
});

test("the docker driver runs the method through the configured container CLI with docker's argv", async () => {
  await withRepo(async (repo) => {
    const fake = fileURLToPath(new URL("../builtins/driver-docker/fixtures/fake-docker.js", import.meta.url));
    const record = join(repo, "..", "argv.jsonl");
    const cli = join(repo, "..", "fake-podman");
    await writeFile(cli, `#!/bin/sh\nFAKE_DOCKER_RECORD='${record}' exec '${process.execPath}' '${fake}' "$@"\n`);
    await chmod(cli, 0o755);
    await writeModel(
      repo,
      "boxed",
      shellModel(
        "22222222-3333-4444-8555-666666666666",
        "boxed",
        [
          "methods:",
          "  execute:",
          "    arguments:",
          "      run: echo from the container",
          "driver: docker",
          "driverConfig:",
          "  image: alpine:3.20",
          `  command: ${cli}`,
          "  network: none",
          "  memory: 256m",
          "  env:",
          "    STAGE: test",
          "",
        ].join("\n"),
      ),
    );
    const r = await swamp(["model", "method", "run", "boxed", "execute", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const view = parseJson(r.stdout);
    assert.equal(view.driver, "docker");
    assert.equal(view.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "from the container");
    const calls = (await readFile(record, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].env, { PATH: calls[0].env.PATH, STAGE: "test" }, "values reach the container through the CLI's environment");
    assert.deepEqual(calls[0].argv, ["run", "--rm", "-i", "--network", "none", "--memory", "256m", "-e", "STAGE", "alpine:3.20", "sh", "-c", "echo from the container"]);
  });
});

test("Ctrl-C during a run releases the model's lock", async () => {
  await withRepo(async (repo) => {
    await swamp(["model", "create", "command/shell", "sleeper", "--repo-dir", repo]);
    const child = spawn(process.execPath, [SWAMP_BIN, "model", "method", "run", "sleeper", "execute", "--input", "run=sleep 20", "--repo-dir", repo], {
      env: cleanEnv(),
      stdio: "ignore",
    });
    for (let i = 0; i < 100; i++) {
      const status = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
      if (status.models.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : null))));
    assert.equal(code, 130);
    const after = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(after.models, []);
  });
});

const badRuns: Array<{ name: string; setup?: string; args: string[]; code: string; message: RegExp }> = [
  { name: "an unknown model", args: ["model", "method", "run", "nope", "execute"], code: "model_not_found", message: /^Model not found: nope$/ },
  { name: "an unknown method", args: ["model", "method", "run", "target", "explode"], code: "unknown_method", message: /^Unknown method 'explode' for type 'command\/shell'\. Available methods: execute$/ },
  {
    name: "an unknown --input key",
    args: ["model", "method", "run", "target", "execute", "--input", "rnu=echo"],
    code: "validation_failed",
    message: /^Unknown method input\(s\): rnu\. Valid inputs are: .*run/,
  },
  {
    name: "an input failing its schema",
    setup: "inputs:\n  properties:\n    count: { type: integer }\n  required: [count]\nmethods:\n  execute:\n    arguments:\n      run: echo ${{ inputs.count }}\n",
    args: ["model", "method", "run", "target", "execute", "--input", "count=many"],
    code: "input_validation_failed",
    message: /count must be an integer/,
  },
  {
    name: "a missing required input",
    setup: "inputs:\n  properties:\n    count: { type: integer }\n  required: [count]\nmethods:\n  execute:\n    arguments:\n      run: echo ${{ inputs.count }}\n",
    args: ["model", "method", "run", "target", "execute"],
    code: "input_validation_failed",
    message: /count is required/,
  },
  {
    name: "a broken CEL expression",
    setup: "methods:\n  execute:\n    arguments:\n      run: echo ${{ self.name + }}\n",
    args: ["model", "method", "run", "target", "execute"],
    code: "expression_failed",
    message: /methods\.execute\.arguments\.run/,
  },
  {
    name: "invalid YAML in the definition",
    setup: "methods: [unclosed\n",
    args: ["model", "method", "run", "target", "execute"],
    code: "definition_invalid",
    message: /^models\/command\/shell\/target\.yaml: invalid YAML: .* at line \d+, column \d+$/,
  },
  {
    name: "an argument of the wrong type",
    setup: "methods:\n  execute:\n    arguments:\n      run: echo hi\n      timeout: soon\n",
    args: ["model", "method", "run", "target", "execute"],
    code: "validation_failed",
    message: /timeout/,
  },
  { name: "an unknown type", args: ["model", "create", "aws/nothing", "x"], code: "unknown_model_type", message: /^Unknown model type: aws\/nothing\. Available types: command\/shell$/ },
  { name: "a traversal name", args: ["model", "create", "command/shell", "../escape"], code: "validation_failed", message: /path traversal/ },
];

for (const bad of badRuns) {
  test(`bad input: ${bad.name} → clear error, exit 1, nothing written`, async () => {
    await withRepo(async (repo) => {
      await writeModel(repo, "target", shellModel("33333333-4444-4555-8666-777777777777", "target", bad.setup ?? "methods: {}\n"));
      await swamp(["datastore", "status", "--repo-dir", repo]);
      const before = await snapshotTree(repo);
      const r = await swamp([...bad.args, "--json", "--repo-dir", repo]);
      assert.equal(r.code, 1, r.stderr);
      const err = parseJson(r.stderr).error;
      assert.equal(err.code, bad.code, err.message);
      assert.match(err.message, bad.message);
      const text = await swamp([...bad.args, "--repo-dir", repo]);
      assert.equal(text.stderr.trim().split("\n").length, 1, text.stderr);
      assert.deepEqual(await snapshotTree(repo), before);
    });
  });
}

test("model validate names the field of a broken expression and an unknown model reference", async () => {
  await withRepo(async (repo) => {
    await writeModel(
      repo,
      "broken",
      shellModel(
        "44444444-5555-4666-8777-888888888888",
        "broken",
        "methods:\n  execute:\n    arguments:\n      run: echo ${{ model.ghost.definition.globalArguments.x }} ${{ self.name + }}\n",
      ),
    );
    const r = await swamp(["model", "validate", "broken", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 1);
    const paths = parseJson(r.stdout).validations.find((v: { name: string }) => v.name === "Expression paths");
    assert.equal(paths.passed, false);
    assert.match(paths.error, /Referenced model "ghost" not found/);
    assert.match(paths.error, /self\.name \+/);
  });
});
