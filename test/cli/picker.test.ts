import { test } from "node:test";
import assert from "node:assert/strict";
import { filterItems } from "../../cli/picker.js";

const items = ["result  v2  resource  hello-world", "log  v2  file  hello-world", "report-summary  v1  report  Nightly"].map((label, i) => ({ label, value: i }));

test("filterItems keeps the items containing every typed word, any case, in their order", () => {
  assert.deepEqual(filterItems(items, undefined).map((i) => i.value), [0, 1, 2]);
  assert.deepEqual(filterItems(items, "   ").map((i) => i.value), [0, 1, 2]);
  assert.deepEqual(filterItems(items, "re").map((i) => i.value), [0, 2]);
  assert.deepEqual(filterItems(items, "HELLO file").map((i) => i.value), [1]);
  assert.deepEqual(filterItems(items, "nightly v1").map((i) => i.value), [2]);
  assert.deepEqual(filterItems(items, "zzz"), []);
});
