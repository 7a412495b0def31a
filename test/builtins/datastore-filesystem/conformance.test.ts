import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { datastore } from "../../../builtins/datastore-filesystem/index.js";
import { FileLock } from "../../../builtins/datastore-filesystem/lock.js";
import { FilesystemVerifier } from "../../../builtins/datastore-filesystem/verifier.js";
import {
  assertDatastoreExportConformance,
  assertLockConformance,
  assertLockContention,
  assertSyncServiceConformance,
  assertVerifierConformance,
  createDatastoreTestContext,
} from "../../../sdk/testing/index.js";

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "swamp-fs-conformance-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("filesystem datastore conformance", () => {
  test("export conformance (builtin type)", async () => {
    await assertDatastoreExportConformance(datastore, {
      validConfigs: [{ path: "/tmp/swamp-ds" }, { path: root }],
      invalidConfigs: [{}, { path: "" }, { path: "relative/dir" }, { path: 42 }],
      builtin: true,
    });
  });

  test("export conformance rejects a single-segment type without the builtin option", async () => {
    await assert.rejects(
      assertDatastoreExportConformance(datastore, { validConfigs: [{ path: root }] }),
      /check 1\]/,
    );
  });

  test("provider resolves the configured path and no cache path", async () => {
    const provider = await datastore.createProvider({ path: root });
    assert.equal(provider.resolveDatastorePath("/somewhere/else"), root);
    assert.equal(provider.resolveCachePath?.("/somewhere/else"), undefined);
    assert.ok(provider.createLock(root) instanceof FileLock);
  });

  test("lock conformance", async () => {
    const provider = await datastore.createProvider({ path: root });
    await assertLockConformance(provider.createLock(join(root, "lock-conformance")));
  });

  test("lock conformance on a per-model key", async () => {
    const provider = await datastore.createProvider({ path: root });
    await assertLockConformance(provider.createLock(root, { lockKey: "data/@org/aws/ec2/i-123/.lock" }));
    assert.ok((await stat(join(root, "data/@org/aws/ec2/i-123"))).isDirectory());
  });

  test("lock contention behaviours", async () => {
    const provider = await datastore.createProvider({ path: root });
    const dir = join(root, "contention");
    await assertLockContention((opts) => provider.createLock(dir, opts));
  });

  test("verifier: healthy on a writable directory", async () => {
    const provider = await datastore.createProvider({ path: root });
    const result = await assertVerifierConformance(provider.createVerifier());
    assert.equal(result.healthy, true, result.message);
    assert.equal(result.message, `Filesystem datastore at ${root} is healthy`);
    assert.equal(result.datastoreType, "filesystem");
    assert.deepEqual(result.details, { path: root });
  });

  test("verifier: unhealthy when the directory is missing", async () => {
    const missing = join(root, "does-not-exist");
    const result = await assertVerifierConformance(new FilesystemVerifier(missing));
    assert.equal(result.healthy, false);
    assert.equal(
      result.message,
      `Datastore directory does not exist: ${missing}. Run 'swamp datastore setup filesystem --path ${missing}' to create it.`,
    );
  });

  test("verifier: unhealthy when the path is a file", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a directory");
    const result = await assertVerifierConformance(new FilesystemVerifier(file));
    assert.equal(result.healthy, false);
    assert.equal(result.message, `Path exists but is not a directory: ${file}`);
  });
});

describe("in-memory test context passes the same suites", () => {
  test("export, lock, contention, verifier and sync service", async () => {
    const ctx = createDatastoreTestContext({ withSyncService: true, syncCapabilities: { scopedSync: true } });
    await assertDatastoreExportConformance(
      {
        type: "@test/memory",
        name: "Memory",
        description: "In-memory datastore for tests",
        configSchema: datastore.configSchema,
        createProvider: () => ctx.provider,
      },
      { validConfigs: [{ path: "/tmp/x" }] },
    );
    await assertLockConformance(ctx.provider.createLock(ctx.datastorePath));
    await assertLockContention((opts) => ctx.provider.createLock(ctx.datastorePath, opts));
    await assertVerifierConformance(ctx.provider.createVerifier());
    const sync = ctx.provider.createSyncService?.("/repo", "/cache");
    assert.ok(sync);
    await assertSyncServiceConformance(sync, { expectScopedSync: true });
    assert.equal(ctx.isLockHeld(), false);
    assert.ok(ctx.lockOperations.some((op) => op.method === "acquire" && op.lockKey === "default"));
    assert.deepEqual(
      ctx.syncOperations.map((op) => op.method),
      ["markDirty", "pullChanged", "pushChanged"],
    );
  });

  test("records operations, reports held locks and can fail acquisition", async () => {
    const ctx = createDatastoreTestContext({ datastorePath: "/ds" });
    const lock = ctx.provider.createLock("/ds", { lockKey: "data/t/1/.lock" });
    await lock.acquire();
    assert.equal(ctx.isLockHeld("data/t/1/.lock"), true);
    await lock.release();
    assert.equal(ctx.isLockHeld(), false);
    assert.deepEqual(
      ctx.lockOperations.map((op) => [op.method, op.lockKey]),
      [
        ["acquire", "data/t/1/.lock"],
        ["release", "data/t/1/.lock"],
      ],
    );

    const failing = createDatastoreTestContext({ lockAcquireFails: true });
    await assert.rejects(failing.provider.createLock("/x").acquire(), (err: unknown) => (err as { code?: string }).code === "lock_timeout");
    await assert.rejects(
      assertSyncServiceConformance(
        { pullChanged: async () => "three" as unknown as number, pushChanged: async () => 0, markDirty: async () => {} },
      ),
      /check 34\]/,
    );
  });
});
