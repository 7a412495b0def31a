import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { SwampError } from "../../../kernel/contract/errors.js";
import { dataNameProblem, modelIdProblem, modelTypePath } from "../../../kernel/data/names.js";
import { resourceSpec, tempRepo } from "./helpers.js";

const BAD_NAMES: Array<[string, RegExp]> = [
  ["", /non-empty/],
  ["   ", /non-empty/],
  ["..", /must not contain/],
  ["a..b", /must not contain/],
  ["../escape", /must not contain/],
  ["a/b", /must not contain/],
  ["a\\b", /must not contain/],
  ["a\0b", /must not contain/],
  ["latest", /reserved for internal use/],
  ["LATEST", /reserved for internal use/],
  ["Latest", /reserved for internal use/],
  [".", /must not start with "\."/],
  [".hidden", /must not start with "\."/],
  [".index.jsonl", /must not start with "\."/],
];

for (const [name, message] of BAD_NAMES) {
  test(`data name ${JSON.stringify(name)} is rejected and nothing is written`, async () => {
    const t = await tempRepo();
    try {
      await assert.rejects(
        () => t.repo.save(resourceSpec(name), "{}"),
        (err: unknown) => err instanceof SwampError && err.code === "validation_failed" && message.test(err.message),
      );
      assert.throws(() => t.repo.createWriter(resourceSpec(name)), (err: unknown) => err instanceof SwampError && err.code === "validation_failed");
      assert.equal(existsSync(t.dataRoot), false, "nothing created under the data root");
      assert.deepEqual(t.dirty, [], "no markDirty for rejected input");
    } finally {
      await t.cleanup();
    }
  });
}

test("the reserved-name message matches the reference", () => {
  assert.equal(dataNameProblem("latest"), "Data name 'latest' is reserved for internal use. Use a different name.");
  assert.equal(dataNameProblem("late-st"), null);
  assert.equal(dataNameProblem("207333"), null);
  assert.equal(dataNameProblem("my data: v1"), null);
});

test("bad model ids, types, tags, lifetimes and gc policies write nothing", async () => {
  const t = await tempRepo();
  try {
    const bad = [
      resourceSpec("ok", { modelId: "../x" }),
      resourceSpec("ok", { modelId: ".hidden" }),
      resourceSpec("ok", { modelId: "a/b" }),
      resourceSpec("ok", { modelId: "" }),
      resourceSpec("ok", { modelType: "" }),
      resourceSpec("ok", { modelType: "::" }),
      resourceSpec("ok", { modelType: "a\\b" }),
      resourceSpec("ok", { tags: { specName: "x" } }),
      resourceSpec("ok", { lifetime: "forever" }),
      resourceSpec("ok", { lifetime: "5s" }),
      resourceSpec("ok", { garbageCollection: 0 }),
      resourceSpec("ok", { garbageCollection: 1.5 }),
      resourceSpec("ok", { garbageCollection: "0d" }),
      resourceSpec("ok", { ownerDefinition: { ownerType: "model-method", ownerRef: "" } }),
    ];
    for (const spec of bad) {
      await assert.rejects(() => t.repo.save(spec, "{}"), (err: unknown) => err instanceof SwampError && err.code === "validation_failed", JSON.stringify(spec));
    }
    assert.equal(existsSync(t.dataRoot), false);
    assert.equal(modelTypePath("AWS::EC2::VPC"), "aws/ec2/vpc");
    assert.equal(modelIdProblem("7347cf2c-cc9e-4203-8897-e10845af9732"), null);
    // reads of invalid names are simply "not found"
    assert.equal(await t.repo.get("command/shell", "m", "../x"), null);
    assert.equal(await t.repo.get("command/shell", "m", "latest"), null);
    assert.deepEqual(existsSync(t.dataRoot) ? await readdir(t.dataRoot) : [], []);
  } finally {
    await t.cleanup();
  }
});
