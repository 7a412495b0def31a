/**
 * forEach naming: expression names, `<name>-<value>` for scalars, `<name>-<index>` for object
 * items, `<name>-<key>` for object entries, and duplicates reported with the offending item.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { expandForEach } from "../../../kernel/workflows/foreach.js";

const noRender = async () => {
  throw new Error("not called");
};

test("static names: scalar values, object item indexes, object keys", async () => {
  assert.deepEqual(
    (await expandForEach("deploy", ["dev", "prod", 3], noRender)).map((e) => e.name),
    ["deploy-dev", "deploy-prod", "deploy-3"],
  );
  const objects = await expandForEach("scan", [{ id: "a" }, { id: "b" }], noRender);
  assert.deepEqual(objects.map((e) => [e.name, e.index]), [["scan-0", 0], ["scan-1", 1]]);
  assert.deepEqual(objects[1]!.value, { id: "b" });
  const entries = await expandForEach("region", { eu: "eu-west-1", us: "us-east-1" }, noRender);
  assert.deepEqual(entries.map((e) => e.name), ["region-eu", "region-us"]);
  assert.deepEqual(entries[0]!.value, { key: "eu", value: "eu-west-1" });
  assert.deepEqual(await expandForEach("none", [], noRender), []);
});

test("expression names are rendered per item; a failed render keeps the raw name plus the index", async () => {
  const named = await expandForEach("deploy-${{ self.env.name }}", [{ name: "dev" }, { name: "prod" }], async (_n, _i, value) => `deploy-${(value as { name: string }).name}`);
  assert.deepEqual(named.map((e) => e.name), ["deploy-dev", "deploy-prod"]);
  const fallback = await expandForEach("x-${{ self.nope }}", ["a"], async () => null);
  assert.deepEqual(fallback.map((e) => e.name), ["x-${{ self.nope }}-0"]);
});

test("a duplicate expanded name names the duplicate and the offending item, never a cycle", async () => {
  await assert.rejects(expandForEach("deploy", ["dev", "prod", "dev"], noRender), (err: Error & { code?: string }) => {
    assert.equal(err.code, "workflow_execution_failed");
    assert.match(err.message, /Duplicate step name 'deploy-dev'/);
    assert.match(err.message, /item 2 \("dev"\) gives the same name as item 0/);
    assert.doesNotMatch(err.message, /cycl/i);
    return true;
  });
  await assert.rejects(expandForEach("a", ["b"], noRender, new Set(["a-b"])), /gives the name of another step/);
  await assert.rejects(expandForEach("a", "text", noRender), /forEach.in must evaluate to an array or object, got: string/);
});
