import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as zod from "zod";
import { installHostModules } from "../../../plugins/worker/load.js";
import { HOST_GLOBAL } from "../../../plugins/worker/protocol.js";

test("zod (and zod/v4) come from the worker's own copy, not from the URL the host names", async () => {
  // A worker would otherwise resolve and compile zod's hundred files again.
  await installHostModules({ zod: "file:///nonexistent/zod/index.js", "zod/v4": "file:///nonexistent/zod/v4/index.js" });
  const host = (globalThis as Record<string, unknown>)[HOST_GLOBAL] as { modules: Record<string, typeof zod> };
  assert.equal(host.modules["zod"], host.modules["zod/v4"]);
  assert.equal(host.modules["zod"]!.object, zod.object, "the same zod the worker itself uses");
  assert.equal(typeof host.modules["zod"]!.toJSONSchema, "function");
  assert.equal(host.modules["zod"]!.default, zod.z);
});

test("the extension worker and sandbox bundles carry their own zod", () => {
  // The worker's code is bin/worker/main.js, run by the small bin/extension-worker.cjs.
  for (const name of ["worker/main.js", "extension-sandbox.js"]) {
    const bundle = readFileSync(fileURLToPath(new URL(`../../../bin/${name}`, import.meta.url)), "utf8");
    assert.doesNotMatch(bundle, /(from|import)\s*\(?\s*["']zod(\/[^"']*)?["']/, `${name}: zod is bundled, not imported from node_modules`);
  }
});

test("the worker loads the CEL engine only when the host lists it (host/describe.ts lists it for a bundle that may build an environment)", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { writeCelProbeBundles } = await import("../fixtures.js");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { loadBundle } = await import("../../../plugins/worker/load.js");
  const { CEL_SPECIFIER } = await import("../../../plugins/worker/protocol.js");
  const { hostModuleUrl } = await import("../../../plugins/host-modules.js");
  const dir = mkdtempSync(join(tmpdir(), "swamp-load-"));
  try {
    const { plain, cel } = writeCelProbeBundles(dir);
    const init = (bundlePath: string, withCel: boolean) => ({
      kind: "model" as const,
      source: bundlePath,
      bundlePath,
      fingerprint: "f".repeat(64),
      hostModules: { zod: hostModuleUrl("zod"), ...(withCel ? { [CEL_SPECIFIER]: hostModuleUrl(CEL_SPECIFIER) } : {}) },
    });
    const host = () => ((globalThis as Record<string, unknown>)[HOST_GLOBAL] as { modules: Record<string, unknown> }).modules;
    assert.equal((await loadBundle(init(plain, false))).exportName, "model");
    assert.equal(host()[CEL_SPECIFIER], undefined, "not loaded when not listed");
    await loadBundle(init(cel, true));
    assert.equal(typeof (host()[CEL_SPECIFIER] as { Environment?: unknown }).Environment, "function");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
