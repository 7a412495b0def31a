/**
 * The host side of a method context's read calls: kernel/models/context-reads.ts over a real
 * data and definition repository, answered through `answerContextRead` exactly as a worker's
 * request is (wire schema first, then the one implementation with its name checks).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contextReadSchemas } from "../../../kernel/contract/wire.js";
import { createContextReads } from "../../../kernel/models/context-reads.js";
import { DefinitionRepository } from "../../../kernel/models/repository.js";
import { answerContextRead } from "../../../plugins/host/ports/model.js";
import { MODEL_ID, MODEL_TYPE, resourceSpec, tempRepo } from "../../kernel/data/helpers.js";

async function fixture() {
  const t = await tempRepo();
  const modelsDir = join(t.root, "models");
  await mkdir(join(modelsDir, MODEL_TYPE), { recursive: true });
  await writeFile(
    join(modelsDir, MODEL_TYPE, `${MODEL_ID}.yaml`),
    [`type: ${MODEL_TYPE}`, `id: ${MODEL_ID}`, "name: hello-world", "version: 1", "tags: {}", "globalArguments: {}", "methods: {}", ""].join("\n"),
  );
  const definitions = new DefinitionRepository({ modelsDir, autoDir: join(t.root, ".swamp", "auto-definitions"), indexPath: join(t.root, ".swamp", "definitions-index.json") });
  await t.repo.saveResource(resourceSpec("state"), { size: 1 });
  await t.repo.saveResource(resourceSpec("state"), { size: 2 });
  await t.repo.saveResource(resourceSpec("other"), { size: 9 });
  return { t, reads: createContextReads(t.repo, definitions) };
}

test("data reads: content by latest and by version, versions, items, by name or UUID", async () => {
  const { t, reads } = await fixture();
  try {
    const ask = (method: Parameters<typeof answerContextRead>[1], args: unknown[]) => answerContextRead(reads, method, args);
    const latest = (await ask("data.getContent", [MODEL_TYPE, MODEL_ID, "state", null])) as Uint8Array;
    assert.ok(latest instanceof Uint8Array);
    assert.deepEqual(JSON.parse(Buffer.from(latest).toString("utf8")), { size: 2 });
    const first = (await ask("data.getContent", [MODEL_TYPE, MODEL_ID, "state", 1])) as Uint8Array;
    assert.deepEqual(JSON.parse(Buffer.from(first).toString("utf8")), { size: 1 });
    assert.equal(await ask("data.getContent", [MODEL_TYPE, MODEL_ID, "missing", null]), null);
    assert.deepEqual(await ask("data.listVersions", [MODEL_TYPE, MODEL_ID, "state"]), [1, 2]);
    assert.equal(await ask("data.getLatestVersion", [MODEL_TYPE, MODEL_ID, "state"]), 2);
    const item = (await ask("data.findByName", [MODEL_TYPE, MODEL_ID, "state", null])) as { name: string; version: number; lifecycle: string; tags: Record<string, string> };
    assert.equal(item.version, 2);
    assert.equal(item.lifecycle, "active");
    assert.equal(item.tags.specName, "result");
    const byId = (await ask("data.findById", [MODEL_TYPE, MODEL_ID, (item as unknown as { id: string }).id, 1])) as { version: number };
    assert.equal(byId.version, 1);
    const all = (await ask("data.findAllForModel", [MODEL_TYPE, MODEL_ID])) as Array<{ name: string }>;
    assert.deepEqual(all.map((d) => d.name), ["other", "state"]);
    const byName = (await ask("data.findAllForModel", [MODEL_TYPE, "hello-world"])) as Array<{ name: string }>;
    assert.deepEqual(byName.map((d) => d.name), ["other", "state"], "a definition name resolves to its UUID");
    const global = (await ask("data.findAllGlobal", [])) as Array<{ modelId: string; data: { name: string } }>;
    assert.equal(global.length, 2);
    assert.ok(global.every((g) => g.modelId === MODEL_ID));
  } finally {
    await t.cleanup();
  }
});

test("definition reads and queryData", async () => {
  const { t, reads } = await fixture();
  try {
    const ask = (method: Parameters<typeof answerContextRead>[1], args: unknown[]) => answerContextRead(reads, method, args);
    assert.equal(((await ask("definitions.findById", [MODEL_TYPE, MODEL_ID])) as { name: string }).name, "hello-world");
    assert.equal(((await ask("definitions.findByName", [MODEL_TYPE, "hello-world"])) as { id: string }).id, MODEL_ID);
    assert.equal(await ask("definitions.findByName", ["@other/type", "hello-world"]), null, "another type does not match");
    assert.equal(((await ask("definitions.findAll", [MODEL_TYPE])) as unknown[]).length, 1);
    assert.equal(((await ask("definitions.findByNameGlobal", ["hello-world"])) as { type: string }).type, MODEL_TYPE);
    assert.equal(((await ask("definitions.findAllGlobal", [])) as unknown[]).length, 1);
    assert.deepEqual(await ask("queryData", ['name == "state"', "attributes.size"]), [2]);
    const records = (await ask("queryData", ["version >= 0 && name == \"state\"", null])) as Array<{ version: number }>;
    assert.deepEqual(records.map((r) => r.version).sort(), [1, 2]);
  } finally {
    await t.cleanup();
  }
});

test("hostile or malformed arguments are refused before any lookup", async () => {
  const { t, reads } = await fixture();
  try {
    for (const name of ["../../x", "..", "a/b", "a\\b", "latest", ".hidden", "x\0y"]) {
      await assert.rejects(answerContextRead(reads, "data.getContent", [MODEL_TYPE, MODEL_ID, name, null]), { code: "validation_failed" }, `name ${JSON.stringify(name)}`);
      await assert.rejects(answerContextRead(reads, "data.listVersions", [MODEL_TYPE, MODEL_ID, name]), { code: "validation_failed" }, `name ${JSON.stringify(name)}`);
    }
    for (const id of ["../x", "a/b", ".."]) {
      await assert.rejects(answerContextRead(reads, "data.findAllForModel", [MODEL_TYPE, id]), { code: "validation_failed" }, `id ${id}`);
    }
    await assert.rejects(answerContextRead(reads, "data.findAllForModel", ["a\\..\\b", MODEL_ID]), { code: "validation_failed" });
    // Dots in a type are separators (`aws.ec2` is `aws/ec2`): `../../etc` is the type `etc`, inside the data root.
    assert.deepEqual(await answerContextRead(reads, "data.findAllForModel", ["../../etc", MODEL_ID]), []);
    await assert.rejects(answerContextRead(reads, "data.getContent", [MODEL_TYPE, MODEL_ID, "state", -1]), /invalid arguments/);
    await assert.rejects(answerContextRead(reads, "data.getContent", [MODEL_TYPE, MODEL_ID, 42, null]), /invalid arguments/);
    await assert.rejects(answerContextRead(reads, "data.findAllForModel", [MODEL_TYPE]), /invalid arguments/);
    await assert.rejects(answerContextRead(reads, "queryData", ["", null]), /invalid arguments/);
  } finally {
    await t.cleanup();
  }
});

test("the request schema checks each read's arguments by method", () => {
  const ok = contextReadSchemas().request.safeParse({ type: "request", id: 1, callId: 2, method: "data.getContent", args: ["a/b", "id", "state", null] });
  assert.equal(ok.success, true);
  const bad = contextReadSchemas().request.safeParse({ type: "request", id: 1, callId: 2, method: "data.getContent", args: ["a/b", "id"] });
  assert.equal(bad.success, false);
  const unknown = contextReadSchemas().request.safeParse({ type: "request", id: 1, callId: 2, method: "data.delete", args: [] });
  assert.equal(unknown.success, false);
});
