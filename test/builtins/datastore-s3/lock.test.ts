/**
 * S3Lock across real processes: a kill -9'd holder is taken over after its TTL (judged on the
 * server's clock), a live heartbeating holder is never stolen from, and a timeout exits with
 * the lock_timeout code naming the holder.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { after, afterEach, before, describe, test } from "node:test";
import { createS3Provider, type S3DatastoreConfig } from "../../../builtins/datastore-s3/index.js";
import { S3Lock } from "../../../builtins/datastore-s3/lock.js";
import { S3Transport } from "../../../builtins/datastore-s3/client.js";
import { resolveS3Config, S3ConfigSchema } from "../../../builtins/datastore-s3/config.js";
import { ExitCode, exitCodeFor } from "../../../kernel/contract/errors.js";
import { startS3Server, type S3TestServer } from "../../helpers/s3-server.js";

const HOLDER = fileURLToPath(new URL("./fixtures/s3-lock-holder.js", import.meta.url));
let server: S3TestServer;
const children = new Set<ChildProcess>();

before(async () => {
  server = await startS3Server();
  Object.assign(process.env, server.clientEnv());
});

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
});

after(async () => {
  await server.close();
});

function holder(config: Record<string, unknown>, lockKey: string, ttlMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, JSON.stringify(config), lockKey, String(ttlMs)], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env } });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("acquired")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`holder exited early (${code})`)));
  });
}

describe("S3Lock across processes", () => {
  test("a kill -9'd holder is taken over after its TTL", async () => {
    const config = server.config({ prefix: "mp-kill" });
    const child = await holder(config, ".datastore.lock", 2000);
    const killedAt = performance.now();
    child.kill("SIGKILL");
    const lock = createS3Provider(config as S3DatastoreConfig).createLock("/unused", { maxWaitMs: 15_000 });
    await lock.acquire();
    const waited = performance.now() - killedAt;
    assert.ok(waited >= 500, `took over too early (${Math.round(waited)}ms): a fresh lease must be respected`);
    assert.ok(waited < 8000, `took ${Math.round(waited)}ms to take over a 2 s lease`);
    const info = await lock.inspect();
    assert.equal(info?.pid, process.pid);
    await lock.release();
    assert.equal(await lock.inspect(), null);
  });

  test("a live, heartbeating holder is never stolen from; the timeout names it (exit 75)", async () => {
    const config = server.config({ prefix: "mp-live" });
    const child = await holder(config, ".datastore.lock", 1500);
    const lock = createS3Provider(config as S3DatastoreConfig).createLock("/unused", { maxWaitMs: 4000 });
    const started = performance.now();
    const err = await lock.acquire().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err, "acquired a lock held by a live process");
    assert.equal((err as { code?: string }).code, "lock_timeout");
    assert.equal(exitCodeFor(err), ExitCode.lockTimeout);
    assert.match((err as Error).message, new RegExp(`pid ${child.pid}`));
    assert.ok(performance.now() - started < 6000);
  });

  test("a holder fenced out by a takeover stops heartbeating and does not delete the new lock", async () => {
    const provider = createS3Provider(server.config({ prefix: "fence" }) as S3DatastoreConfig);
    const first = provider.createLock("/unused", { lockKey: "f.lock", ttlMs: 600 }) as S3Lock;
    await first.acquire();
    const nonce = (await first.inspect())?.nonce;
    assert.ok(nonce);
    assert.equal(await provider.createLock("/unused", { lockKey: "f.lock" }).forceRelease(nonce), true);
    const second = provider.createLock("/unused", { lockKey: "f.lock", ttlMs: 30_000 });
    await second.acquire();
    const secondNonce = (await second.inspect())?.nonce;
    // The first holder's heartbeat (every 200 ms) runs and finds the CAS failing; under load it may take a few beats.
    for (let i = 0; i < 100 && !first.isLost(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(first.isLost(), true);
    assert.equal((await second.inspect())?.nonce, secondNonce, "the heartbeat did not overwrite the new holder");
    await first.release();
    assert.equal((await second.inspect())?.nonce, secondNonce, "release did not delete the new holder's lock");
    await second.release();
  });

  test("force release breaks a live holder even when its heartbeat lands between the read and the delete", async () => {
    const config = server.config({ prefix: "fence-beat" }) as S3DatastoreConfig;
    const holderLock = createS3Provider(config).createLock("/unused", { lockKey: "b.lock", ttlMs: 60_000 }) as S3Lock;
    await holderLock.acquire();
    const nonce = (await holderLock.inspect())?.nonce;
    assert.ok(nonce);
    // Before the breaker's first delete, rewrite the lock as a heartbeat does: same holder and
    // nonce, fresh body, so a new ETag.
    const transport = new S3Transport(resolveS3Config(S3ConfigSchema.parse(config)));
    let beats = 0;
    const heartbeatFirst = Object.create(transport) as S3Transport;
    heartbeatFirst.delete = async (key, options) => {
      if (beats++ === 0) {
        const got = await transport.get(key);
        assert.ok(got && got !== "not-modified");
        const body = JSON.parse(got.body.toString("utf8")) as Record<string, unknown>;
        await transport.put(key, Buffer.from(JSON.stringify({ ...body, acquiredAt: new Date().toISOString() })), { ifMatch: got.etag });
      }
      return transport.delete(key, options);
    };
    const breaker = new S3Lock(heartbeatFirst, { lockKey: "b.lock" });
    assert.equal(await breaker.forceRelease(nonce), true, "the same holder's lock, only heartbeated, is still the one asked to break");
    assert.equal(await breaker.inspect(), null);
    assert.equal(await breaker.forceRelease(nonce), false, "nothing left to break");
    await holderLock.release();
    transport.destroy();
  });
});
