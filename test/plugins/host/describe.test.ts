import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initFor } from "../../../plugins/host/describe.js";
import { hostModuleUrl } from "../../../plugins/host-modules.js";
import type { ManifestEntry } from "../../../plugins/manifest.js";
import { CEL_SPECIFIER, SDK_SPECIFIER } from "../../../plugins/worker/protocol.js";

test("initFor names a URL only for the host modules the worker imports from a file, and the CEL engine only for a bundle built naming it", () => {
  const dir = mkdtempSync(join(tmpdir(), "swamp-init-"));
  try {
    const entry = (hostModules: string[], mayUseCel?: boolean): ManifestEntry => ({
      source: join(dir, "x.ts"),
      kind: "model",
      state: "Indexed",
      fingerprint: "f".repeat(64),
      inputs: [],
      // Never read: what the bundle uses was recorded when it was built.
      bundlePath: join(dir, "missing.mjs"),
      hostModules,
      ...(mayUseCel === undefined ? {} : { mayUseCel }),
      descriptor: null,
      lastType: null,
      lastError: null,
      updatedAt: "2026-01-01T00:00:00.000Z",
    });
    // zod and zod/v4 are the worker's own copy, the sdk too: no URL is resolved for them.
    const init = initFor(dir, entry(["zod/v4", "zod/v4/core", SDK_SPECIFIER], false));
    assert.deepEqual(init.hostModules, { zod: "zod", "zod/v4": "zod/v4", "zod/v4/core": hostModuleUrl("zod/v4/core"), [SDK_SPECIFIER]: SDK_SPECIFIER });
    assert.equal(initFor(dir, entry([], true)).hostModules[CEL_SPECIFIER], hostModuleUrl(CEL_SPECIFIER));
    // An entry that does not say (a manifest written by hand) may use it.
    assert.equal(initFor(dir, entry([])).hostModules[CEL_SPECIFIER], hostModuleUrl(CEL_SPECIFIER));
    assert.equal(initFor(dir, { ...entry([], true), kind: "vault" }).hostModules[CEL_SPECIFIER], undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
