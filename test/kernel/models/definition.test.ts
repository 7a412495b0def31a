import { test } from "node:test";
import assert from "node:assert/strict";
import { definitionSchema, parseDefinition, plainDefinition } from "../../../kernel/models/definition.js";

const ID = "3fdbcc0b-5b68-4e8c-9ebc-a20fe4e39909";

/** Same values and the same key order at every level. */
function assertSameShape(actual: unknown, expected: unknown): void {
  assert.deepStrictEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

test("plainDefinition gives what the zod schema gives for the definitions it accepts", () => {
  const accepted: unknown[] = [
    { type: "command/shell", typeVersion: "2026.02.09.1", id: ID, name: "tiny", version: 1, tags: {}, globalArguments: {}, methods: {} },
    { name: "tiny", id: ID },
    { id: ID, name: "@acme/tools/x", type: "@acme/thing", version: 7, tags: { a: "b" }, driver: "docker", driverConfig: { image: "x" } },
    { id: ID, name: "n", globalArguments: { list: [1, { deep: true }], n: null }, methods: { run: { arguments: { cmd: "echo" }, extra: 1 }, other: {} } },
  ];
  for (const data of accepted) {
    const quick = plainDefinition(data);
    assert.ok(quick, `fast path should accept ${JSON.stringify(data)}`);
    assertSameShape(quick, definitionSchema().parse(data));
    assertSameShape(parseDefinition(data, "f.yaml"), quick);
  }
  // Unknown values are passed through, as zod passes them.
  const data = { id: ID, name: "n", globalArguments: { list: [1] } };
  assert.equal(plainDefinition(data)?.globalArguments.list, data.globalArguments.list);
});

test("plainDefinition leaves anything unusual to the zod schema, so errors stay the same", () => {
  const declined: unknown[] = [
    null,
    [],
    "text",
    { name: "tiny" },
    { id: "not-a-uuid", name: "tiny" },
    { id: ID, name: "../escape" },
    { id: ID, name: 5 },
    { id: ID, name: "n", type: "" },
    { id: ID, name: "n", typeVersion: "1.0" },
    { id: ID, name: "n", version: 0 },
    { id: ID, name: "n", version: 1.5 },
    { id: ID, name: "n", version: "1" },
    { id: ID, name: "n", tags: { a: 1 } },
    { id: ID, name: "n", tags: [] },
    { id: ID, name: "n", globalArguments: [] },
    { id: ID, name: "n", methods: { run: null } },
    { id: ID, name: "n", methods: JSON.parse('{"__proto__": {}}') },
    { id: ID, name: "n", tags: JSON.parse('{"__proto__": "x"}') },
    { id: ID, name: "n", globalArguments: JSON.parse('{"__proto__": {}}') },
    { id: ID, name: "n", methods: { run: { arguments: [] } } },
    { id: ID, name: "n", driver: "" },
    { id: ID, name: "n", driverConfig: "x" },
    { id: ID, name: "n", unknownField: 1 },
    { id: ID, name: "n", type: undefined },
    { id: ID, name: "n", inputs: { properties: {} } },
    { id: ID, name: "n", resources: { r: { lifetime: "1d" } } },
    { id: ID, name: "n", checks: {} },
    { id: ID, name: "n", reports: {} },
  ];
  for (const data of declined) assert.equal(plainDefinition(data), undefined, JSON.stringify(data));
  assert.throws(() => parseDefinition({ id: ID, name: "n", version: 0 }, "f.yaml"), /f\.yaml: version: /);
  // Blocks the fast path leaves alone still parse through zod.
  assert.deepEqual(parseDefinition({ id: ID, name: "n", inputs: { properties: {} } }, "f.yaml").inputs, { properties: {} });
});
