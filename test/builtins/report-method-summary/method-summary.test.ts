import { test } from "node:test";
import assert from "node:assert/strict";
import { report } from "../../../builtins/report-method-summary/index.js";
import type { DataHandle, ReportContext } from "../../../kernel/contract/index.js";

const MODEL_ID = "53274ce2-c390-412b-93ac-48b205a13f4e";

function handle(kind: "resource" | "file", specName: string, name: string, version: number): DataHandle {
  return {
    name,
    specName,
    kind,
    dataId: `${name}-id`,
    version,
    size: 10,
    tags: {},
    metadata: {
      contentType: kind === "resource" ? "application/json" : "text/plain",
      lifetime: "infinite",
      garbageCollection: 10,
      tags: {},
      ownerDefinition: { ownerType: "model-method", ownerRef: MODEL_ID },
    },
  };
}

function context(overrides: Partial<ReportContext> = {}): ReportContext {
  return {
    scope: "method",
    repoDir: "/repo",
    modelType: "command/shell",
    modelId: MODEL_ID,
    definition: { id: MODEL_ID, name: "greeter", version: 1, tags: {} },
    methodName: "execute",
    globalArgs: {},
    methodArgs: { run: "echo hi" },
    executionStatus: "succeeded",
    dataHandles: [handle("resource", "result", "result", 1), handle("file", "log", "log", 2)],
    ...overrides,
  };
}

test("plugin shape", () => {
  assert.equal(report.name, "@swamp/method-summary");
  assert.equal(report.scope, "method");
  assert.deepEqual(report.labels, ["summary"]);
});

test("success: markdown and JSON", async () => {
  const out = await report.execute(context());
  assert.equal(
    out.markdown,
    [
      "# greeter (command/shell) → execute: succeeded",
      "",
      "execute on greeter (command/shell) succeeded, producing 1 resource (result), 1 file (log).",
      "",
      "## Arguments",
      "",
      "**Method Arguments**",
      "",
      "```json",
      "{",
      '  "run": "echo hi"',
      "}",
      "```",
      "",
      "## Data Output",
      "",
      "| Name | Kind | Retrieval Command |",
      "| ---- | ---- | ----------------- |",
      "| **result** | resource | `swamp data get greeter result --version 1` |",
      "| **log** | file | `swamp data get greeter log --version 2` |",
      "",
    ].join("\n"),
  );
  assert.deepEqual(out.json, {
    status: "succeeded",
    modelId: MODEL_ID,
    modelName: "greeter",
    modelType: "command/shell",
    methodName: "execute",
    narrative: "execute on greeter (command/shell) succeeded, producing 1 resource (result), 1 file (log).",
    globalArgs: {},
    methodArgs: { run: "echo hi" },
    dataProduced: [
      { name: "result", kind: "resource", specName: "result", version: 1, retrievalCommand: "swamp data get greeter result --version 1" },
      { name: "log", kind: "file", specName: "log", version: 2, retrievalCommand: "swamp data get greeter log --version 2" },
    ],
  });
  assert.deepEqual(Object.keys(out.json), [
    "status", "modelId", "modelName", "modelType", "methodName", "narrative", "globalArgs", "methodArgs", "dataProduced",
  ]);
});

test("failure: error section, both argument blocks, sha, no data table", async () => {
  const out = await report.execute(
    context({
      executionStatus: "failed",
      errorMessage: "Command exited with code 3",
      globalArgs: { prefix: "swamp says" },
      methodArgs: { run: "exit 3", timeout: 5000 },
      dataHandles: [],
      swampSha: "abc1234",
    }),
  );
  assert.equal(
    out.markdown,
    [
      "# greeter (command/shell) → execute: failed | git sha: abc1234",
      "",
      "execute on greeter (command/shell) failed: Command exited with code 3",
      "",
      "## Error",
      "",
      "Command exited with code 3",
      "",
      "## Arguments",
      "",
      "**Global Arguments**",
      "",
      "```json",
      "{",
      '  "prefix": "swamp says"',
      "}",
      "```",
      "",
      "**Method Arguments**",
      "",
      "```json",
      "{",
      '  "run": "exit 3",',
      '  "timeout": 5000',
      "}",
      "```",
      "",
    ].join("\n"),
  );
  assert.deepEqual(out.json, {
    status: "failed",
    error: "Command exited with code 3",
    modelId: MODEL_ID,
    modelName: "greeter",
    modelType: "command/shell",
    methodName: "execute",
    swampSha: "abc1234",
    narrative: "execute on greeter (command/shell) failed: Command exited with code 3",
    globalArgs: { prefix: "swamp says" },
    methodArgs: { run: "exit 3", timeout: 5000 },
    dataProduced: [],
  });
});

test("failure without a message; data written before the failure is still listed", async () => {
  const out = await report.execute(
    context({ executionStatus: "failed", methodArgs: {}, dataHandles: [handle("resource", "state", "main", 4)] }),
  );
  assert.equal(
    out.markdown,
    [
      "# greeter (command/shell) → execute: failed",
      "",
      "execute on greeter (command/shell) failed",
      "",
      "## Arguments",
      "",
      "No arguments.",
      "",
      "## Data Output",
      "",
      "| Name | Kind | Retrieval Command |",
      "| ---- | ---- | ----------------- |",
      "| **main** | resource | `swamp data get greeter main --version 4` |",
      "",
    ].join("\n"),
  );
  assert.equal("error" in out.json, false);
});

test("no data: narrative and no Data Output section", async () => {
  const out = await report.execute(context({ methodArgs: {}, dataHandles: [], modelType: "@acme/thing", methodName: "sync" }));
  assert.equal(
    out.markdown,
    [
      "# greeter (@acme/thing) → sync: succeeded",
      "",
      "sync on greeter (@acme/thing) succeeded with no data output.",
      "",
      "## Arguments",
      "",
      "No arguments.",
      "",
    ].join("\n"),
  );
  assert.deepEqual(out.json, {
    status: "succeeded",
    modelId: MODEL_ID,
    modelName: "greeter",
    modelType: "@acme/thing",
    methodName: "sync",
    narrative: "sync on greeter (@acme/thing) succeeded with no data output.",
    globalArgs: {},
    methodArgs: {},
    dataProduced: [],
  });
});

test("narrative groups by spec name and pluralises the kind", async () => {
  const out = await report.execute(
    context({
      dataHandles: [
        handle("resource", "vpc", "vpc-a", 1),
        handle("file", "log", "log-1", 1),
        handle("resource", "vpc", "vpc-b", 3),
        handle("file", "log", "log-2", 1),
        handle("file", "dump", "dump", 1),
      ],
    }),
  );
  assert.equal(
    out.json["narrative"],
    "execute on greeter (command/shell) succeeded, producing 2 resources (vpc), 2 files (log), 1 file (dump).",
  );
});

test("arguments are redacted and output specs included when given", async () => {
  const outputSpecs = [
    { specName: "result", kind: "resource" as const, description: "Shell command execution result", schema: { type: "object" } },
    { specName: "log", kind: "file" as const, contentType: "text/plain" },
  ];
  const out = await report.execute(
    context({
      globalArgs: { token: "s3cr3t", region: "eu" },
      methodArgs: { password: "hunter2", run: "x" },
      outputSpecs,
      redactSensitiveArgs: (args, which) => {
        const field = which === "global" ? "token" : "password";
        return field in args ? { ...args, [field]: "***" } : args;
      },
    }),
  );
  assert.deepEqual(out.json["globalArgs"], { token: "***", region: "eu" });
  assert.deepEqual(out.json["methodArgs"], { password: "***", run: "x" });
  assert.deepEqual(out.json["outputSpecs"], outputSpecs);
  assert.equal(out.markdown.includes("s3cr3t"), false);
  assert.equal(out.markdown.includes("hunter2"), false);
  assert.deepEqual(Object.keys(out.json).slice(-3), ["methodArgs", "outputSpecs", "dataProduced"]);

  const empty = await report.execute(context({ outputSpecs: [] }));
  assert.equal("outputSpecs" in empty.json, false);
});
