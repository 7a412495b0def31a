/**
 * The S3 datastore against the sdk conformance suites, over HTTP to a real S3-protocol server
 * (s3rver plus the conditional-request layer of test/helpers/s3-server.ts).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createS3Provider, datastore, type S3DatastoreConfig } from "../../../builtins/datastore-s3/index.js";
import {
  assertDatastoreExportConformance,
  assertLockConformance,
  assertLockContention,
  assertSyncServiceConformance,
  assertVerifierConformance,
} from "../../../sdk/testing/index.js";
import { startS3Server, type S3TestServer } from "../../helpers/s3-server.js";

let server: S3TestServer;
const cfg = (extra: Record<string, unknown> = {}) => server.config(extra) as S3DatastoreConfig;
const fcfg = (extra: Record<string, unknown> = {}) => fallbackServer.config(extra) as S3DatastoreConfig;
let fallbackServer: S3TestServer;
let rejectingServer: S3TestServer;
let root: string;

before(async () => {
  server = await startS3Server();
  fallbackServer = await startS3Server({ conditionalDelete: "ignored" });
  rejectingServer = await startS3Server({ conditionalDelete: "rejected" });
  Object.assign(process.env, server.clientEnv());
  root = await mkdtemp(join(tmpdir(), "swamp-s3-conformance-"));
});

after(async () => {
  await server.close();
  await fallbackServer.close();
  await rejectingServer.close();
  await rm(root, { recursive: true, force: true });
});

describe("s3 datastore conformance", () => {
  test("export conformance (builtin type)", async () => {
    await assertDatastoreExportConformance(datastore, {
      validConfigs: [server.config(), { bucket: "my-bucket" }, { bucket: "a.b-c", prefix: "team/swamp", region: "eu-west-1", requestTimeoutMs: 5000 }],
      invalidConfigs: [
        {},
        { bucket: "" },
        { bucket: "ab" },
        { bucket: "Upper-Case" },
        { bucket: "-leading" },
        { bucket: "x".repeat(64) },
        { bucket: "ok-bucket", endpoint: "not a url" },
        { bucket: "ok-bucket", pullConcurrency: 0 },
        { bucket: "ok-bucket", pushConcurrency: 1001 },
        { bucket: "ok-bucket", requestTimeoutMs: 10 },
        { bucket: "ok-bucket", prefix: "a/../b" },
      ],
      builtin: true,
    });
  });

  test("lock conformance", async () => {
    const provider = createS3Provider(cfg({ prefix: "conf-lock" }));
    await assertLockConformance(provider.createLock("/unused", { lockKey: "conformance/a.lock" }));
  });

  test("lock contention", async () => {
    const provider = createS3Provider(cfg({ prefix: "conf-contention" }));
    await assertLockContention((opts) => provider.createLock("/unused", opts));
  });

  test("lock conformance and contention on a server that silently ignores If-Match on DELETE", async () => {
    const provider = createS3Provider(fcfg({ prefix: "fallback" }));
    await assertLockConformance(provider.createLock("/unused", { lockKey: "conformance/b.lock" }));
    await assertLockContention((opts) => provider.createLock("/unused", opts));
  });

  test("lock conformance and contention on a server that rejects If-Match on DELETE (501)", async () => {
    const provider = createS3Provider(rejectingServer.config({ prefix: "rejecting" }) as S3DatastoreConfig);
    await assertLockConformance(provider.createLock("/unused", { lockKey: "conformance/c.lock" }));
    await assertLockContention((opts) => provider.createLock("/unused", opts));
  });

  test("verifier conformance: healthy bucket", async () => {
    const provider = createS3Provider(cfg());
    const result = await assertVerifierConformance(provider.createVerifier());
    assert.equal(result.healthy, true);
    assert.equal(result.message, `S3 bucket '${server.bucket}' is accessible`);
    assert.equal(result.datastoreType, "s3");
  });

  test("verifier conformance: missing bucket is unhealthy with a hint, never a throw", async () => {
    const provider = createS3Provider(cfg({ bucket: "no-such-bucket" }));
    const result = await assertVerifierConformance(provider.createVerifier());
    assert.equal(result.healthy, false);
    assert.match(result.message, /does not exist/);
  });

  test("verifier conformance: unreachable endpoint is unhealthy", async () => {
    const provider = createS3Provider({ bucket: "whatever", endpoint: "http://127.0.0.1:9", forcePathStyle: true, requestTimeoutMs: 1000 });
    const result = await assertVerifierConformance(provider.createVerifier());
    assert.equal(result.healthy, false);
  });

  test("sync service conformance", async () => {
    const provider = createS3Provider(cfg({ prefix: "conf-sync" }));
    const service = provider.createSyncService?.(join(root, "repo"), join(root, "cache"));
    assert.ok(service);
    await assertSyncServiceConformance(service, { expectScopedSync: true });
  });

  test("listLockKeys lists per-model lock keys with one LIST", async () => {
    const provider = createS3Provider(cfg({ prefix: "conf-list" }));
    const a = provider.createLock("/unused", { lockKey: ".locks/models/command%2Fshell~m1.lock" });
    const b = provider.createLock("/unused", { lockKey: ".locks/models/command%2Fshell~m2.lock" });
    await a.acquire();
    await b.acquire();
    server.resetCounts();
    const keys = await provider.listLockKeys?.("/unused", ".locks/models/");
    assert.deepEqual(keys?.sort(), [".locks/models/command%2Fshell~m1.lock", ".locks/models/command%2Fshell~m2.lock"]);
    assert.equal(server.counts().ListObjectsV2, 1);
    assert.equal(server.total(), 1);
    await a.release();
    await b.release();
  });
});
