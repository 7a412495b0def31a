/**
 * examples/drivers/clean-env: the driver conformance suite on both of its paths (in-process
 * through runInProcess, and a shell command returning pending outputs), what it keeps out of
 * the child's environment, then the example installed in a repository and chosen with
 * `--driver` in a real `swamp model method run`.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import type { DriverOutput, DriverPlugin, ExecutionResult } from "../../kernel/contract/index.js";
import { assertDriverConformance, createDriverTestCallbacks, createExecutionRequest, importExtension } from "../../sdk/testing/index.js";
import { parseJson, withRepo } from "../helpers/cli.js";
import { example, inRepo, install } from "./helpers.js";

let plugin: DriverPlugin;

before(async () => {
  ({ driver: plugin } = await importExtension<{ driver: DriverPlugin }>(example("drivers/clean-env.ts")));
});

function pending(result: ExecutionResult, name: string): Extract<DriverOutput, { kind: "pending" }> {
  const out = result.outputs.find((o) => o.kind === "pending" && o.name === name);
  assert.ok(out && out.kind === "pending", `no pending output ${name}: ${JSON.stringify(result)}`);
  return out;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("clean-env passes the driver conformance suite in-process and for shell commands", async () => {
  const inProcess = await assertDriverConformance(plugin, {
    validConfigs: [{}, { env: { LANG: "C" }, timeoutMs: 1_000 }],
    invalidConfigs: [{ env: { A: 1 } }, { timeoutMs: 0 }, { env: "A=b" }],
  });
  assert.deepEqual(inProcess.outputs.map((o) => o.kind), ["persisted", "persisted"]);

  const shell = await assertDriverConformance(plugin, { request: { modelType: "command/shell", methodArgs: { run: "echo hi; echo oops >&2" } } });
  const result = JSON.parse(text(pending(shell, "result").content)) as Record<string, unknown>;
  assert.deepEqual([result["exitCode"], result["command"], result["stdout"], result["stderr"]], [0, "echo hi; echo oops >&2", "hi", "oops"]);
  assert.equal(typeof result["durationMs"], "number");
  assert.ok(!Number.isNaN(Date.parse(String(result["executedAt"]))));
  assert.equal(text(pending(shell, "log").content), "[stdout]\nhi\n[stderr]\noops");
  assert.deepEqual(shell.logs, ["oops"]);
});

test("clean-env: only PATH, HOME, configured variables, the method's env and the run's secrets reach the command", async () => {
  process.env["EXAMPLE_LEAK_CHECK"] = "leaked";
  try {
    const driver = await plugin.createDriver({ env: { FROM_CONFIG: "c" } });
    const fake = createDriverTestCallbacks();
    const result = await driver.execute(
      createExecutionRequest({
        modelType: "command/shell",
        methodArgs: { run: 'echo "[$EXAMPLE_LEAK_CHECK][$FROM_CONFIG][$FROM_METHOD][$__SWAMP_VAULT_0]"', env: { FROM_METHOD: "m" } },
        secretEnv: { __SWAMP_VAULT_0: "secret" },
      }),
      fake.callbacks,
    );
    assert.equal(result.status, "success", result.error);
    assert.equal(JSON.parse(text(pending(result, "result").content)).stdout, "[][c][m][secret]");
    assert.deepEqual(fake.logs, [{ line: "[][c][m][secret]", stream: "stdout" }], "output streams live through onLog");
    assert.equal(fake.runInProcessCalls, 0);
  } finally {
    delete process.env["EXAMPLE_LEAK_CHECK"];
  }
});

test("clean-env: failures are results — exit codes, timeouts, cancellation", async () => {
  const driver = await plugin.createDriver({ timeoutMs: 300 });
  const run = (methodArgs: Record<string, unknown>, callbacks = createDriverTestCallbacks().callbacks) =>
    driver.execute(createExecutionRequest({ modelType: "command/shell", methodArgs }), callbacks);
  const failed = await run({ run: "echo bad >&2; exit 4" });
  assert.deepEqual([failed.status, failed.error, failed.outputs, failed.logs], ["error", "Command exited with code 4", [], ["bad"]]);
  const ignored = await run({ run: "exit 4", ignoreExitCode: true });
  assert.equal(ignored.status, "success");
  assert.equal(JSON.parse(text(pending(ignored, "result").content)).exitCode, 4);
  const slow = await run({ run: "sleep 5" });
  assert.deepEqual([slow.status, slow.error], ["error", "Command timed out after 300ms"]);
  assert.ok(slow.durationMs < 3_000);
  const fake = createDriverTestCallbacks();
  const cancelled = run({ run: "sleep 5" }, fake.callbacks);
  setTimeout(() => fake.abort(), 50);
  assert.deepEqual([(await cancelled).status, (await cancelled).error], ["error", "Command cancelled"]);
});

test("through the CLI: --driver @examples/clean-env runs a shell model without the caller's environment", async () => {
  await withRepo(async (repo) => {
    const swamp = inRepo(repo);
    await install(repo, "drivers/clean-env.ts", "extensions/drivers/clean-env.ts");
    await swamp(["model", "create", "command/shell", "hello", "--json"]);
    const env = { EXAMPLE_LEAK_CHECK: "leaked" };
    const args = ["model", "method", "run", "hello", "execute", "--input", 'run=echo "[$EXAMPLE_LEAK_CHECK]"', "--json"];

    const raw = await swamp(args, { env });
    assert.equal(raw.code, 0, raw.stderr);
    const rawView = parseJson(raw.stdout);
    assert.equal(rawView.driver, "raw");
    assert.equal(rawView.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "[leaked]");

    const clean = await swamp([...args, "--driver", "@examples/clean-env"], { env });
    assert.equal(clean.code, 0, clean.stderr);
    const view = parseJson(clean.stdout);
    assert.equal(view.driver, "@examples/clean-env");
    assert.equal(view.status, "succeeded");
    const result = view.dataArtifacts.find((a: { name: string }) => a.name === "result");
    assert.equal(result.attributes.stdout, "[]");
    const log = parseJson((await swamp(["data", "get", "hello", "log", "--json"])).stdout);
    assert.equal(log.content, "[stdout]\n[]");

    const failed = await swamp(["model", "method", "run", "hello", "execute", "--input", "run=exit 3", "--driver", "@examples/clean-env", "--json"]);
    assert.equal(failed.code, 1);
    assert.match(parseJson(failed.stderr).error.message, /Command exited with code 3/);
  });
});
