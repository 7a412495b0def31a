import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { validateJsonSchema } from "../../../kernel/models/types.js";
import { loadValidator, setValidatorCacheDir } from "../../../kernel/models/validator-cache.js";

/** A fresh object each call, as a new process would have (the in-memory cache is keyed by object). */
const schema = () => ({
  type: "object",
  properties: { name: { type: "string" }, times: { type: "integer", minimum: 1, default: 1 } },
  required: ["name"],
});

async function filesIn(dir: string, want: number): Promise<string[]> {
  const stored = async () => (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".cjs"));
  for (let i = 0; i < 500; i++) {
    const files = await stored();
    if (files.length >= want) return files;
    await sleep(10);
  }
  return stored();
}

test("validator cache: the first compile stores standalone code; a later lookup loads it and validates the same", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-validators-"));
  try {
    setValidatorCacheDir(dir);
    assert.equal(loadValidator(schema(), "k"), null, "nothing cached yet");
    const first = validateJsonSchema(schema(), { name: "a" });
    assert.deepEqual(first, { success: true, data: { name: "a", times: 1 } });
    const files = await filesIn(dir, 1);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^[0-9a-f]{64}\.cjs$/);

    // What the next process does: the same schema (a new object) finds the stored validator.
    const bad = validateJsonSchema(schema(), { times: 0 });
    assert.equal(bad.success, false);
    assert.deepEqual(!bad.success && bad.error.issues.map((i) => i.path.join(".")).sort(), ["name", "times"]);
    const good = validateJsonSchema(schema(), { name: "b", times: 3 });
    assert.deepEqual(good, { success: true, data: { name: "b", times: 3 } });

    // A damaged file is ignored: validation compiles in memory instead.
    await writeFile(join(dir, files[0]!), "this is not javascript(");
    const again = validateJsonSchema(schema(), { name: "c" });
    assert.deepEqual(again, { success: true, data: { name: "c", times: 1 } });

    // So is one whose runtime helper is gone (ajv moved): the file is written again, usable.
    await sleep(50);
    await writeFile(join(dir, files[0]!), 'module.exports = require("/nonexistent/ajv/dist/runtime/equal").default;');
    const healed = validateJsonSchema(schema(), { name: "d" });
    assert.deepEqual(healed, { success: true, data: { name: "d", times: 1 } });
    let reloaded = false;
    for (let i = 0; i < 500 && !reloaded; i++) {
      await sleep(10);
      reloaded = validateJsonSchema(schema(), { times: 0 }).success === false && !/nonexistent/.test(await readFile(join(dir, files[0]!), "utf8"));
    }
    assert.ok(reloaded, "the stored validator was replaced");
  } finally {
    setValidatorCacheDir(null);
    await rm(dir, { recursive: true, force: true });
  }
});

test("validator cache: schemas with `pattern` (the linear regex engine) are validated but not stored", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-validators-"));
  try {
    setValidatorCacheDir(dir);
    const withPattern = { type: "object", properties: { id: { type: "string", pattern: "^[a-z]+$" } } };
    assert.equal(validateJsonSchema(withPattern, { id: "abc" }).success, true);
    assert.equal(validateJsonSchema({ ...withPattern }, { id: "ABC" }).success, false);
    await sleep(50);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    setValidatorCacheDir(null);
    await rm(dir, { recursive: true, force: true });
  }
});
