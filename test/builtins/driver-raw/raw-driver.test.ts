import { test } from "node:test";
import assert from "node:assert/strict";
import { driver } from "../../../builtins/driver-raw/index.js";
import type { DataHandle, ExecutionRequest } from "../../../kernel/contract/index.js";

const request: ExecutionRequest = {
  protocolVersion: 1,
  modelType: "command/shell",
  modelId: "m",
  methodName: "execute",
  globalArgs: {},
  methodArgs: { run: "echo hi" },
  definitionMeta: { id: "m", name: "n", version: 1, tags: {} },
};

const handle: DataHandle = {
  name: "result",
  specName: "result",
  kind: "resource",
  dataId: "d",
  version: 1,
  size: 2,
  tags: {},
  metadata: {
    contentType: "application/json",
    lifetime: "infinite",
    garbageCollection: 10,
    tags: {},
    ownerDefinition: { ownerType: "model-method", ownerRef: "m" },
  },
};

test("raw driver runs the method in-process and reports persisted handles", async () => {
  assert.equal(driver.type, "raw");
  const d = await driver.createDriver({});
  assert.equal(d.type, "raw");
  let calls = 0;
  const result = await d.execute(request, {
    runInProcess: async () => {
      calls++;
      return [handle];
    },
  });
  assert.equal(calls, 1);
  assert.equal(result.status, "success");
  assert.deepEqual(result.outputs, [{ kind: "persisted", handle }]);
  assert.deepEqual(result.logs, []);
  assert.ok(result.durationMs >= 0);
});

test("raw driver turns a throw into an error result that keeps the thrown value", async () => {
  const d = await driver.createDriver({});
  const thrown = Object.assign(new Error("Command exited with code 3"), { code: "command_failed" });
  const result = await d.execute(request, {
    runInProcess: async () => {
      throw thrown;
    },
  });
  assert.equal(result.status, "error");
  assert.equal(result.error, "Command exited with code 3");
  assert.equal(result.cause, thrown);
  assert.deepEqual(result.outputs, []);
});

test("raw driver without runInProcess says what the host must pass", async () => {
  const d = await driver.createDriver({});
  const result = await d.execute(request);
  assert.equal(result.status, "error");
  assert.match(result.error ?? "", /runInProcess/);
});
