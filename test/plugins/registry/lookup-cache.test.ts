import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRecentMiss, LOOKUP_MISS_FILE, LOOKUP_MISS_TTL_MS, readLookupMisses, recordLookupMisses } from "../../../plugins/registry/lookup-cache.js";

test("misses are remembered per registry and package for the TTL, then dropped", async () => {
  const repo = await mkdtemp(join(tmpdir(), "swamp-lookup-cache-"));
  try {
    const t0 = Date.parse("2026-03-01T10:00:00.000Z");
    assert.deepEqual(await readLookupMisses(repo), {}, "no file is an empty cache");
    await recordLookupMisses(repo, [{ registry: "http://r/", npmName: "@a/x" }], t0);
    const misses = await readLookupMisses(repo);
    assert.equal(isRecentMiss(misses, "http://r/", "@a/x", t0 + LOOKUP_MISS_TTL_MS - 1), true);
    assert.equal(isRecentMiss(misses, "http://r/", "@a/x", t0 + LOOKUP_MISS_TTL_MS), false, "expired");
    assert.equal(isRecentMiss(misses, "http://other/", "@a/x", t0), false, "per registry");
    assert.equal(isRecentMiss(misses, "http://r/", "@a/x", t0 - 1000), false, "a stamp from the future is not trusted");
    assert.match(JSON.parse(await readFile(join(repo, LOOKUP_MISS_FILE), "utf8"))["http://r/ @a/x"].checkedAt, /^2026-03-01T10:00:00\.000Z$/);

    await recordLookupMisses(repo, [{ registry: "http://r/", npmName: "@a/y" }], t0 + LOOKUP_MISS_TTL_MS + 1);
    assert.deepEqual(Object.keys(await readLookupMisses(repo)), ["http://r/ @a/y"], "expired entries are pruned on write");
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});
