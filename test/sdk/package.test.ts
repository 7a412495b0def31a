/**
 * The sdk as a published package: the names it exports are what extension authors use, and its
 * optional esbuild peer fails with one clear line when it is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as sdk from "../../sdk/index.js";

test("the sdk exports the define helpers, runtime helpers and error model, not swamp's internals", () => {
  assert.deepEqual(Object.keys(sdk).sort(), [
    "DEFAULT_LOCK_MAX_WAIT_MS",
    "DEFAULT_LOCK_RETRY_INTERVAL_MS",
    "DEFAULT_LOCK_TTL_MS",
    "ErrorCode",
    "GLOBAL_LOCK_KEY",
    "INVALID_SECRET_KEY_CODE",
    "LockInfoSchema",
    "LockTimeoutError",
    "MAX_LOCK_BACKOFF_MS",
    "SECRET_NOT_FOUND_CODE",
    "SwampError",
    "assertSecretKey",
    "createLockInfo",
    "createPollingLock",
    "defineDatastore",
    "defineDriver",
    "defineModel",
    "defineModelExtension",
    "defineReport",
    "defineVault",
    "errorCode",
    "isLockExpired",
    "modelLockKey",
    "secretKeyProblem",
    "secretNotFoundError",
  ]);
});

test("importExtension without esbuild installed says how to install it", async () => {
  const dist = fileURLToPath(new URL("../../", import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), "swamp-sdk-no-esbuild-"));
  try {
    // The sdk's own files, alone in a package whose node_modules has zod but no esbuild.
    await cp(join(dist, "sdk"), join(dir, "dist", "sdk"), { recursive: true });
    await cp(join(dist, "kernel", "contract"), join(dir, "dist", "kernel", "contract"), { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "@swamp-ts/sdk", type: "module" }));
    await mkdir(join(dir, "node_modules"));
    await symlink(dirname(fileURLToPath(import.meta.resolve("zod/package.json"))), join(dir, "node_modules", "zod"));
    const load = (await import(pathToFileURL(join(dir, "dist", "sdk", "testing", "load.js")).href)) as typeof import("../../sdk/testing/load.js");
    await assert.rejects(load.importExtension(join(dir, "ext.ts")), /needs esbuild .*npm install -D esbuild/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
