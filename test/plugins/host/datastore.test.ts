/**
 * An extension datastore through the real worker boundary: the sdk conformance suites, a
 * lock's heartbeat living in the worker, and every fault the host must survive (a throw with
 * and without a code, a crash, process.exit, an endless loop, running out of memory), each
 * followed by a call in the same process that works.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DatastorePlugin, DatastoreProvider } from "../../../kernel/contract/ports/datastore.js";
import { shutdownExtensions } from "../../../plugins/lifecycle.js";
import {
  assertDatastoreExportConformance,
  assertLockConformance,
  assertLockContention,
  assertSyncServiceConformance,
  assertVerifierConformance,
} from "../../../sdk/testing/index.js";
import { FS_STORE, FS_STORE_LIB, SEED_STORE } from "../fixtures.js";
import { extensionRegistry, tempRepo, testEnv, type TempRepo } from "../helpers.js";

let t: TempRepo;
let plugin: DatastorePlugin;

before(async () => {
  t = await tempRepo({
    "extensions/datastores/fs-store/mod.ts": FS_STORE,
    "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB,
    "extensions/datastores/my-store/mod.ts": SEED_STORE,
  });
  const { registry, outcome } = await extensionRegistry(t.repo, testEnv());
  assert.deepEqual(outcome.warnings, []);
  plugin = await registry.load("datastore", "@test/fs-store");
});

after(async () => {
  await shutdownExtensions();
  await t.cleanup();
});

test("the seed's datastore passes export conformance through the worker (zod config as JSON Schema, ajv)", async () => {
  const { registry } = await extensionRegistry(t.repo, testEnv());
  const seed = await registry.load("datastore", "@myorg/my-store");
  await assertDatastoreExportConformance(seed, {
    validConfigs: [{ endpoint: "https://storage.example.com", bucket: "my-data" }],
    invalidConfigs: [{ endpoint: "not a url", bucket: "b" }, { endpoint: "https://x.example" }, { endpoint: "https://x.example", bucket: 3 }],
  });
  const bad = (seed.configSchema as { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: string[] }> } } }).safeParse({ endpoint: "https://x.example" });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ["bucket"]);
});

test("datastore conformance suites pass through the worker boundary", async () => {
  const ds = join(t.dir, "conformance-ds");
  await assertDatastoreExportConformance(plugin, {
    validConfigs: [{}, { path: ds }],
    invalidConfigs: [{ path: 3 }, { misbehave: "sometimes" }],
  });
  const provider = await plugin.createProvider({ path: ds });
  assert.equal(provider.resolveDatastorePath(t.repo), ds);
  await assertLockConformance(provider.createLock(ds, { lockKey: "conformance/one.lock" }));
  await assertLockContention((options) => provider.createLock(ds, options));
  const health = await assertVerifierConformance(provider.createVerifier());
  assert.equal(health.healthy, true);
  assert.deepEqual(await provider.listLockKeys?.(ds, "conformance"), []);

  const syncing = await plugin.createProvider({ path: ds, sync: true });
  const service = syncing.createSyncService?.(t.repo, join(t.repo, ".fs-store-cache"));
  assert.ok(service, "the sync service is offered");
  await assertSyncServiceConformance(service);
  assert.deepEqual(service.capabilities?.(), { scopedSync: false });
  await service.markDirty({ relPath: "data/x" });
  assert.equal(await service.pushChanged(), 1);
});

test("synchronous provider methods are answered without a round trip, for other repos too", async () => {
  const provider = await plugin.createProvider({});
  assert.equal(provider.resolveDatastorePath(t.repo), join(t.repo, ".fs-store"));
  assert.equal(provider.resolveDatastorePath("/elsewhere/repo"), "/elsewhere/repo/.fs-store");
  assert.equal(provider.createSyncService, undefined, "optional methods the extension lacks stay absent");
});

test("a held lock keeps heartbeating inside the worker; a waiter cannot steal it", async () => {
  const ds = join(t.dir, "heartbeat-ds");
  const provider = await plugin.createProvider({ path: ds });
  const holder = provider.createLock(ds, { lockKey: "hb.lock", ttlMs: 600 });
  await holder.acquire();
  const first = await holder.inspect();
  await new Promise((r) => setTimeout(r, 1_200));
  const later = await holder.inspect();
  assert.ok(first && later);
  assert.equal(later.nonce, first.nonce);
  assert.ok(Date.parse(later.acquiredAt) > Date.parse(first.acquiredAt), "acquiredAt was refreshed by the heartbeat");
  await assert.rejects(provider.createLock(ds, { lockKey: "hb.lock", maxWaitMs: 300 }).acquire(), (err: { code?: string; exitCode?: number; message: string }) => {
    assert.equal(err.code, "lock_timeout");
    assert.equal(err.exitCode, 75, "an extension's lock_timeout keeps exit code 75");
    assert.match(err.message, /hb\.lock/);
    return true;
  });
  await holder.release();
  assert.equal(await holder.inspect(), null);
});

const FAULTS: Array<{ misbehave: string; code: string; message: RegExp; env?: Record<string, string> }> = [
  { misbehave: "throw", code: "extension_error", message: /failed in verify: verify exploded/ },
  { misbehave: "throw-code", code: "backend_unavailable", message: /^the backend said no$/ },
  { misbehave: "crash", code: "extension_crashed", message: /crashed during verify: async boom/ },
  { misbehave: "exit", code: "extension_crashed", message: /called process\.exit\(7\) during verify/ },
  { misbehave: "oom", code: "extension_crashed", message: /ran out of memory during verify/ },
  { misbehave: "loop", code: "extension_timeout", message: /did not finish verify within 1500ms/, env: { SWAMP_EXTENSION_CALL_TIMEOUT_MS: "1500" } },
];

for (const fault of FAULTS) {
  test(`fault "${fault.misbehave}" becomes ${fault.code}; the next call in this process works`, async () => {
    const { registry } = await extensionRegistry(t.repo, testEnv(fault.env));
    const p = await registry.load("datastore", "@test/fs-store");
    const bad = await p.createProvider({ misbehave: fault.misbehave });
    await assert.rejects(bad.createVerifier().verify(), (err: { code?: string; message: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, fault.code);
      assert.match(err.message, fault.message);
      assert.equal(err.details?.extension, "@test/fs-store");
      assert.equal(err.details?.source, "extensions/datastores/fs-store/mod.ts");
      assert.equal(err.details?.method, "verify");
      if (fault.code.startsWith("extension_") && fault.code !== "extension_error") {
        assert.match(err.message, /@test\/fs-store \(extensions\/datastores\/fs-store\/mod\.ts\)/);
      }
      return true;
    });
    const good = await p.createProvider({});
    const health = await good.createVerifier().verify();
    assert.equal(health.healthy, true, "a fresh worker serves the next call");
    // The faulty provider itself is usable again too (its worker was replaced).
    const again = await p.createProvider({ misbehave: fault.misbehave === "throw" ? "throw-code" : "throw" });
    await assert.rejects(again.createVerifier().verify());
  });
}

test("a lock held by a worker that crashes is released by the proxy's release()", async () => {
  const ds = join(t.dir, "crash-ds");
  const { registry } = await extensionRegistry(t.repo, testEnv());
  const p = await registry.load("datastore", "@test/fs-store");
  const provider: DatastoreProvider = await p.createProvider({ path: ds });
  const lock = provider.createLock(ds, { lockKey: "held.lock" });
  await lock.acquire();
  assert.ok(existsSync(join(ds, "held.lock")));
  // Same extension, same worker: crash it while the lock is held.
  const crasher = await p.createProvider({ path: ds, misbehave: "crash" });
  await assert.rejects(crasher.createVerifier().verify(), { code: "extension_crashed" });
  await lock.release();
  assert.equal(existsSync(join(ds, "held.lock")), false, "the lock file of the dead holder was force-released by nonce");
  const next = provider.createLock(ds, { lockKey: "held.lock", maxWaitMs: 2_000 });
  await next.acquire();
  await next.release();
});

test("an aborted sync call is cancelled in the worker", async () => {
  const provider = await plugin.createProvider({ sync: true });
  const service = provider.createSyncService?.(t.repo, join(t.repo, ".fs-store-cache"));
  assert.ok(service);
  const controller = new AbortController();
  controller.abort();
  // The fixture ignores the signal and answers at once: the call still completes cleanly.
  assert.equal(await service.pullChanged({ signal: controller.signal }), 0);
});
