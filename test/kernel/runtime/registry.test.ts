import { test } from "node:test";
import assert from "node:assert/strict";
import { PluginRegistry } from "../../../kernel/runtime/registry.js";
import { typeNameProblem } from "../../../kernel/contract/plugin.js";

const store = (type: string, extra: Record<string, unknown> = {}) => ({
  type,
  name: "Store",
  description: "d",
  createProvider: () => ({}) as never,
  ...extra,
});

test("type names: builtins may be single words, extensions must be namespaced", () => {
  assert.equal(typeNameProblem("datastore", "filesystem", "builtin"), null);
  assert.equal(typeNameProblem("datastore", "@acme/store", "extension"), null);
  assert.equal(typeNameProblem("datastore", "acme/store", "extension"), null);
  assert.match(typeNameProblem("datastore", "store", "extension") ?? "", /must be namespaced/);
  assert.match(typeNameProblem("datastore", "@acme/a/b", "extension") ?? "", /@collective\/name/);
  assert.match(typeNameProblem("model", "shell", "builtin") ?? "", /two segments/);
  assert.equal(typeNameProblem("model", "@user/aws/ec2", "extension"), null);
  assert.match(typeNameProblem("vault", "Bad Name!", "extension") ?? "", /malformed/);
  assert.match(typeNameProblem("vault", "", "extension") ?? "", /non-empty/);
});

test("register rejects malformed and duplicate (case-insensitive) names", () => {
  const r = new PluginRegistry();
  r.register({ kind: "datastore", type: "@acme/store", name: "S", description: "", origin: "extension", source: "a.ts", load: async () => store("@acme/store") as never });
  assert.throws(
    () => r.register({ kind: "datastore", type: "@ACME/Store", name: "S", description: "", origin: "extension", source: "b.ts", load: async () => store("x") as never }),
    { code: "plugin_duplicate", message: /"@ACME\/Store" from b\.ts is already registered by a\.ts/ },
  );
  assert.throws(
    () => r.register({ kind: "datastore", type: "no spaces", name: "S", description: "", origin: "extension", source: "c.ts", load: async () => store("x") as never }),
    { code: "plugin_invalid", message: /^c\.ts: / },
  );
  assert.equal(r.get("datastore", "@Acme/STORE")?.type, "@acme/store");
  assert.deepEqual(r.list("datastore").map((e) => e.type), ["@acme/store"]);
});

test("load validates the implementation and loads once", async () => {
  const r = new PluginRegistry();
  let loads = 0;
  r.register({ kind: "datastore", type: "@acme/good", name: "G", description: "", origin: "extension", source: "good.ts", load: async () => (loads++, store("@acme/good") as never) });
  r.register({ kind: "datastore", type: "@acme/bad", name: "B", description: "", origin: "extension", source: "bad.ts", load: async () => store("@acme/bad", { createProvider: 42 }) as never });
  r.register({ kind: "datastore", type: "@acme/liar", name: "L", description: "", origin: "extension", source: "liar.ts", load: async () => store("@acme/other") as never });
  await r.load("datastore", "@acme/good");
  await r.load("datastore", "@acme/good");
  assert.equal(loads, 1);
  await assert.rejects(r.load("datastore", "@acme/bad"), { code: "plugin_invalid", message: "bad.ts: createProvider must be a function" });
  await assert.rejects(r.load("datastore", "@acme/liar"), /exports datastore type "@acme\/other" but was registered as "@acme\/liar"/);
  await assert.rejects(r.load("datastore", "@acme/none"), { code: "datastore_unknown_type", message: /Available types: @acme\/bad, @acme\/good, @acme\/liar/ });
});

test("ensure asks the resolver once per missing type, and not for a type already marked unresolved", async () => {
  const r = new PluginRegistry();
  const asked: string[] = [];
  r.setResolver(async (kind, type) => {
    asked.push(`${kind} ${type}`);
    if (type === "@acme/store") {
      r.register({ kind: "datastore", type, name: "S", description: "", origin: "extension", source: "a.ts", load: async () => store(type) as never });
    }
  });
  assert.equal((await r.ensure("datastore", "@acme/store"))?.type, "@acme/store");
  assert.equal((await r.load("datastore", "@acme/store")).type, "@acme/store");
  await assert.rejects(r.load("driver", "@acme/none"), { code: "not_found" });
  await assert.rejects(r.load("driver", "@acme/none"), { code: "not_found" });
  r.markUnresolved("report", "@other/r", "Not trusted.");
  assert.equal(await r.ensure("report", "@other/r"), undefined);
  await assert.rejects(r.load("report", "@other/r"), { message: /Not trusted\./ });
  assert.deepEqual(asked, ["datastore @acme/store", "driver @acme/none"]);
});
