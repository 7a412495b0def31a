import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SwampError } from "../../../kernel/contract/errors.js";
import { readInputFile, readInputFileSync } from "../../../kernel/runtime/user-input.js";

test("a file that cannot be opened is one clear error naming what was read, not a raw errno", async () => {
  const dir = mkdtempSync(join(tmpdir(), "swamp-input-"));
  const missing = join(dir, "nope.yaml");
  for (const read of [() => readInputFileSync(missing, "--input-file nope.yaml"), () => readInputFile(missing, "--input-file nope.yaml")]) {
    await assert.rejects(async () => read(), (err: unknown) => {
      assert.ok(err instanceof SwampError);
      assert.equal(err.code, "not_found");
      assert.equal(err.message, `--input-file nope.yaml: no such file: ${missing}`);
      return true;
    });
  }
  assert.throws(() => readInputFileSync(dir, "The definition in dir"), (err: unknown) => err instanceof SwampError && /^The definition in dir: cannot read .*: is a directory$/.test(err.message));
});
