/**
 * Conformance suites for datastore extensions (and the builtins), plus an in-memory test
 * double. Framework-agnostic: every suite is an async function that resolves when all checks
 * pass and throws an `AssertionError` (node:assert) naming the first failed check.
 *
 *   await assertDatastoreExportConformance(datastore, { validConfigs: [{ bucket: "b" }] });
 *   await assertLockConformance(provider.createLock(tmpDir));
 *   await assertLockContention((opts) => provider.createLock(tmpDir, opts));
 *   await assertVerifierConformance(provider.createVerifier());
 *   await assertSyncServiceConformance(service, { expectScopedSync: true });
 *
 * Check numbers follow the published list: 1-14 export, 15-26 lock, 27-31 verifier,
 * 32-37 sync service.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ErrorCode, LockTimeoutError } from "../../kernel/contract/errors.js";
import type {
  DatastoreHealthResult,
  DatastoreProvider,
  DatastoreSyncOptions,
  DatastoreSyncService,
  DatastoreVerifier,
  DistributedLock,
  LockInfo,
  LockOptions,
  SyncCapabilities,
} from "../../kernel/contract/ports/datastore.js";

// ---------------------------------------------------------------------------------------------
// helpers

/** Extension datastore types: `@collective/name` or `collective/name`. */
export const CONFORMANCE_EXTENSION_TYPE_PATTERN = /^@?[a-z][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/;
/** Builtin datastore types may be a single lowercase segment (`filesystem`). */
export const CONFORMANCE_BUILTIN_TYPE_PATTERN = /^[a-z][a-z0-9_-]*$/;

function check(n: number, what: string): string {
  return `[datastore conformance check ${n}] ${what}`;
}

function describe(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return `${value.name}${typeof code === "string" ? ` (code ${code})` : ""}: ${value.message}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function codeOf(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

function isFunction(value: unknown): value is (...args: unknown[]) => unknown {
  return typeof value === "function";
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === "object" && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// export conformance (checks 1-14)

export interface DatastoreExportConformanceOptions {
  /** Configs the schema must accept; the first one is used to create a provider. */
  validConfigs: unknown[];
  /** Configs the schema must reject. */
  invalidConfigs?: unknown[];
  /** Allow a single-segment builtin type such as `filesystem` (first-party datastores only). */
  builtin?: boolean;
}

/**
 * Checks the `datastore` export of an extension file (checks 1-14). Pass the exported object;
 * a whole module namespace (`{ datastore }`) is unwrapped for convenience.
 */
export async function assertDatastoreExportConformance(
  exported: unknown,
  options: DatastoreExportConformanceOptions,
): Promise<void> {
  let ds = exported;
  if (field(ds, "type") === undefined && typeof field(ds, "datastore") === "object") ds = field(ds, "datastore");
  assert.ok(typeof ds === "object" && ds !== null, check(1, `the datastore export must be an object, got ${describe(ds)}`));

  const type = field(ds, "type");
  assert.ok(typeof type === "string", check(1, `"type" must be a string, got ${describe(type)}`));
  const typeOk =
    CONFORMANCE_EXTENSION_TYPE_PATTERN.test(type) || (options.builtin === true && CONFORMANCE_BUILTIN_TYPE_PATTERN.test(type));
  assert.ok(
    typeOk,
    check(
      1,
      `"type" ${JSON.stringify(type)} must match ${CONFORMANCE_EXTENSION_TYPE_PATTERN}` +
        (options.builtin ? ` (or ${CONFORMANCE_BUILTIN_TYPE_PATTERN} for a builtin)` : ""),
    ),
  );

  const name = field(ds, "name");
  assert.ok(typeof name === "string" && name.trim() !== "", check(2, `"name" must be a non-empty string, got ${describe(name)}`));
  const description = field(ds, "description");
  assert.ok(
    typeof description === "string" && description.trim() !== "",
    check(3, `"description" must be a non-empty string, got ${describe(description)}`),
  );

  const schema = field(ds, "configSchema");
  assert.ok(schema !== undefined && schema !== null, check(4, `"configSchema" must be present`));
  const safeParse = field(schema, "safeParse");
  assert.ok(isFunction(safeParse), check(5, `"configSchema.safeParse" must be a function`));
  const parse = (config: unknown): { success: boolean; error?: unknown } =>
    (safeParse as (this: unknown, c: unknown) => { success: boolean; error?: unknown }).call(schema, config);

  assert.ok(Array.isArray(options.validConfigs) && options.validConfigs.length > 0, check(6, "supply at least one valid config"));
  options.validConfigs.forEach((config, i) => {
    const result = parse(config);
    assert.ok(
      result?.success === true,
      check(7, `validConfigs[${i}] ${describe(config)} must pass configSchema.safeParse; error: ${describe(result?.error)}`),
    );
  });
  (options.invalidConfigs ?? []).forEach((config, i) => {
    const result = parse(config);
    assert.ok(result?.success === false, check(8, `invalidConfigs[${i}] ${describe(config)} must fail configSchema.safeParse`));
  });

  const createProvider = field(ds, "createProvider");
  assert.ok(isFunction(createProvider), check(9, `"createProvider" must be a function`));
  const provider = await (createProvider as (this: unknown, c: unknown) => unknown).call(ds, options.validConfigs[0]);
  assert.ok(provider, check(10, `createProvider(validConfigs[0]) must return a provider, got ${describe(provider)}`));

  for (const method of ["createLock", "createVerifier", "resolveDatastorePath"]) {
    assert.ok(isFunction(field(provider, method)), check(11, `the provider must have a "${method}" function`));
  }
  const p = provider as DatastoreProvider;

  const resolved = p.resolveDatastorePath("/tmp/test-repo");
  assert.ok(
    typeof resolved === "string" && resolved !== "",
    check(12, `resolveDatastorePath("/tmp/test-repo") must return a non-empty string, got ${describe(resolved)}`),
  );

  const lock = p.createLock("/tmp/test-ds");
  for (const method of ["acquire", "release", "withLock", "inspect", "forceRelease"]) {
    assert.ok(isFunction(field(lock, method)), check(13, `createLock("/tmp/test-ds") must return a lock with a "${method}" function`));
  }

  const verifier = p.createVerifier();
  assert.ok(isFunction(field(verifier, "verify")), check(14, `createVerifier() must return an object with a "verify" function`));
}

// ---------------------------------------------------------------------------------------------
// lock conformance (checks 15-26)

/**
 * Runs checks 15-26 sequentially against one lock instance, which must start unheld (use a
 * fresh key or a fresh datastore). Leaves the lock released.
 */
export async function assertLockConformance(lock: DistributedLock): Promise<void> {
  try {
    assert.equal(await lock.inspect(), null, check(15, "inspect() must be null before acquire()"));

    await lock.acquire();
    const info = await lock.inspect();
    assert.ok(info !== null && typeof info === "object", check(16, "inspect() must return the holder after acquire()"));
    assert.equal(typeof info.holder, "string", check(16, `inspect().holder must be a string, got ${describe(info.holder)}`));
    assert.equal(typeof info.pid, "number", check(16, `inspect().pid must be a number, got ${describe(info.pid)}`));
    assert.equal(typeof info.acquiredAt, "string", check(16, `inspect().acquiredAt must be a string, got ${describe(info.acquiredAt)}`));
    assert.equal(typeof info.ttlMs, "number", check(16, `inspect().ttlMs must be a number, got ${describe(info.ttlMs)}`));

    await lock.release();
    assert.equal(await lock.inspect(), null, check(17, "inspect() must be null after release()"));

    const second = await settle(lock.release());
    assert.ok(second.ok, check(18, `a second release() must not throw; it threw ${second.ok ? "" : describe(second.error)}`));

    const value = await lock.withLock(async () => 42);
    assert.equal(value, 42, check(19, `withLock(() => 42) must return 42, got ${describe(value)}`));
    assert.equal(await lock.inspect(), null, check(20, "inspect() must be null after withLock resolves"));

    const boom = new Error("conformance: callback failure");
    const failed = await settle(
      lock.withLock(async () => {
        throw boom;
      }),
    );
    assert.ok(!failed.ok && failed.error === boom, check(21, "withLock must propagate the callback's rejection unchanged"));
    assert.equal(await lock.inspect(), null, check(21, "inspect() must be null after withLock with a rejecting callback"));

    await lock.acquire();
    const held = await lock.inspect();
    const nonce = held?.nonce;
    assert.ok(typeof nonce === "string" && nonce !== "", check(22, `inspect().nonce must be a string after acquire(), got ${describe(nonce)}`));

    const forced = await lock.forceRelease(nonce);
    assert.equal(forced, true, check(23, "forceRelease(<current nonce>) must return true"));
    assert.equal(await lock.inspect(), null, check(23, "inspect() must be null after forceRelease(<current nonce>)"));

    const afterForce = await settle(lock.release());
    assert.ok(afterForce.ok, check(24, `release() after forceRelease must not throw; it threw ${afterForce.ok ? "" : describe(afterForce.error)}`));

    await lock.acquire();
    const wrong = await lock.forceRelease("wrong-nonce-value");
    assert.equal(wrong, false, check(25, `forceRelease("wrong-nonce-value") must return false`));
    assert.notEqual(await lock.inspect(), null, check(26, "the lock must still be held after a wrong-nonce forceRelease"));
  } finally {
    await lock.release().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// verifier conformance (checks 27-31)

/** Checks 27-31; returns the result so callers can assert on health. Unhealthy results pass. */
export async function assertVerifierConformance(verifier: DatastoreVerifier): Promise<DatastoreHealthResult> {
  const outcome = await settle(Promise.resolve().then(() => verifier.verify()));
  assert.ok(outcome.ok, check(27, `verify() must not throw (report unhealthy instead); it threw ${outcome.ok ? "" : describe(outcome.error)}`));
  const result = outcome.value;
  assert.ok(result !== null && typeof result === "object", check(27, `verify() must return a result, got ${describe(result)}`));
  assert.equal(typeof result.healthy, "boolean", check(28, `"healthy" must be a boolean, got ${describe(result.healthy)}`));
  assert.equal(typeof result.message, "string", check(29, `"message" must be a string, got ${describe(result.message)}`));
  assert.ok(
    typeof result.latencyMs === "number" && Number.isFinite(result.latencyMs) && result.latencyMs >= 0,
    check(30, `"latencyMs" must be a number >= 0, got ${describe(result.latencyMs)}`),
  );
  assert.equal(typeof result.datastoreType, "string", check(31, `"datastoreType" must be a string, got ${describe(result.datastoreType)}`));
  return result;
}

// ---------------------------------------------------------------------------------------------
// sync service conformance (checks 32-37)

export interface SyncServiceConformanceOptions {
  /** The service claims scoped sync: `capabilities().scopedSync` must be true. */
  expectScopedSync?: boolean;
}

export async function assertSyncServiceConformance(
  service: DatastoreSyncService,
  options: SyncServiceConformanceOptions = {},
): Promise<void> {
  for (const method of ["pullChanged", "pushChanged", "markDirty"]) {
    assert.ok(isFunction(field(service, method)), check(32, `the sync service must have a "${method}" function`));
  }

  const dirty = await settle(Promise.resolve().then(() => service.markDirty()));
  assert.ok(dirty.ok, check(33, `markDirty() must resolve; it threw ${dirty.ok ? "" : describe(dirty.error)}`));

  const pulled = await settle(Promise.resolve().then(() => service.pullChanged()));
  assert.ok(pulled.ok, check(34, `pullChanged() must resolve; it threw ${pulled.ok ? "" : describe(pulled.error)}`));
  assert.ok(
    pulled.value === undefined || typeof pulled.value === "number",
    check(34, `pullChanged() must resolve to a number or undefined, got ${describe(pulled.value)}`),
  );

  const pushed = await settle(Promise.resolve().then(() => service.pushChanged()));
  assert.ok(pushed.ok, check(35, `pushChanged() must resolve; it threw ${pushed.ok ? "" : describe(pushed.error)}`));
  assert.ok(
    pushed.value === undefined || typeof pushed.value === "number",
    check(35, `pushChanged() must resolve to a number or undefined, got ${describe(pushed.value)}`),
  );

  const capabilities = field(service, "capabilities");
  let caps: unknown;
  if (capabilities !== undefined) {
    assert.ok(isFunction(capabilities), check(36, `"capabilities" must be a function when present`));
    caps = (capabilities as (this: unknown) => unknown).call(service);
    assert.ok(caps !== null && typeof caps === "object", check(36, `capabilities() must return an object, got ${describe(caps)}`));
    const scoped = field(caps, "scopedSync");
    assert.ok(
      scoped === undefined || typeof scoped === "boolean",
      check(36, `capabilities().scopedSync must be a boolean when present, got ${describe(scoped)}`),
    );
  }
  if (options.expectScopedSync) {
    assert.equal(field(caps, "scopedSync"), true, check(37, "expectScopedSync: capabilities().scopedSync must be true"));
  }
}

// ---------------------------------------------------------------------------------------------
// contention behaviours (beyond the published list)

export interface LockContentionOptions {
  /**
   * Extra time allowed past `maxWaitMs` before a timeout counts as "slept past the deadline".
   * Generous by default (1000 ms) for slow CI machines.
   */
  slackMs?: number;
  /** Prefix of the lock keys this suite uses (default: a fresh `conformance-<random>`). */
  keyPrefix?: string;
}

/**
 * Contention behaviours every lock should have, run against fresh locks from `makeLock`
 * (which must create a lock on one shared datastore for the given options):
 *  - forceRelease on a free key returns false;
 *  - a second instance on a held key fails with a `lock_timeout` error within maxWaitMs, and
 *    the error message names the lock key;
 *  - backoff never sleeps past maxWaitMs, even with a long retry interval;
 *  - a maxWaitMs override is respected;
 *  - a waiter acquires once the holder releases;
 *  - a custom (nested) lockKey is honoured and independent of other keys;
 *  - two different keys can be held at the same time;
 *  - a holder whose lock was force-released and re-acquired by a successor does not delete
 *    the successor's lock on release.
 * Takes about 2-3 s.
 */
export async function assertLockContention(
  makeLock: (options: LockOptions) => DistributedLock,
  options: LockContentionOptions = {},
): Promise<void> {
  const slack = options.slackMs ?? 1000;
  const prefix = options.keyPrefix ?? `conformance-${randomUUID().slice(0, 8)}`;
  const created: DistributedLock[] = [];
  const lockFor = (opts: LockOptions): DistributedLock => {
    const lock = makeLock(opts);
    created.push(lock);
    return lock;
  };
  const what = (label: string, text: string): string => `[lock contention: ${label}] ${text}`;

  async function expectTimeout(label: string, lock: DistributedLock, maxWaitMs: number, lockKey: string): Promise<void> {
    const start = performance.now();
    const outcome = await settle(lock.acquire());
    const elapsed = performance.now() - start;
    if (outcome.ok) {
      await lock.release().catch(() => {});
      assert.fail(what(label, `acquire() succeeded while another instance held "${lockKey}"`));
    }
    const err = outcome.error;
    assert.equal(codeOf(err), ErrorCode.lockTimeout, what(label, `expected an error with code "lock_timeout", got ${describe(err)}`));
    assert.ok(
      elapsed >= maxWaitMs * 0.8,
      what(label, `gave up after ${Math.round(elapsed)}ms, well before maxWaitMs ${maxWaitMs}ms`),
    );
    assert.ok(
      elapsed < maxWaitMs + slack,
      what(label, `timed out after ${Math.round(elapsed)}ms, more than ${slack}ms past maxWaitMs ${maxWaitMs}ms (backoff must be clamped to the deadline)`),
    );
    const message = err instanceof Error ? err.message : String(err);
    assert.ok(message.includes(lockKey), what(label, `the timeout message must name the lock "${lockKey}": ${JSON.stringify(message)}`));
  }

  try {
    // forceRelease on a key nobody holds
    const freeKey = `${prefix}/free.lock`;
    assert.equal(await lockFor({ lockKey: freeKey }).forceRelease("no-such-nonce"), false, what("forceRelease", "must return false when no lock exists"));

    // a second instance times out
    const key = `${prefix}/contended.lock`;
    const holder = lockFor({ lockKey: key });
    await holder.acquire();
    await expectTimeout("second instance", lockFor({ lockKey: key, maxWaitMs: 300 }), 300, key);

    // backoff clamped to the deadline even with a long retry interval
    await expectTimeout("backoff clamp", lockFor({ lockKey: key, maxWaitMs: 300, retryIntervalMs: 2000 }), 300, key);

    // maxWaitMs override respected
    await expectTimeout("maxWaitMs override", lockFor({ lockKey: key, maxWaitMs: 900 }), 900, key);

    // a waiter gets the lock once the holder releases
    const holderNonce = (await holder.inspect())?.nonce;
    const waiter = lockFor({ lockKey: key, maxWaitMs: 10_000 });
    const waiting = settle(waiter.acquire());
    await delay(200);
    await holder.release();
    const got = await waiting;
    assert.ok(got.ok, what("acquire after release", `the waiter must acquire once the holder releases; got ${got.ok ? "" : describe(got.error)}`));
    const waiterInfo = await waiter.inspect();
    assert.ok(waiterInfo !== null, what("acquire after release", "inspect() must show the waiter as holder"));
    if (holderNonce !== undefined) {
      assert.notEqual(waiterInfo.nonce, holderNonce, what("acquire after release", "the new holder must have a new nonce"));
    }
    await waiter.release();
    assert.equal(await waiter.inspect(), null, what("acquire after release", "inspect() must be null after the waiter releases"));

    // custom nested key honoured, independent of other keys
    const nestedKey = `${prefix}/data/@conformance/nested-type/model-1/.lock`;
    const nested = lockFor({ lockKey: nestedKey, maxWaitMs: 2000 });
    await nested.acquire();
    assert.notEqual(await lockFor({ lockKey: nestedKey }).inspect(), null, what("custom lockKey", `another instance on "${nestedKey}" must see the lock`));
    assert.equal(
      await lockFor({ lockKey: `${prefix}/data/@conformance/nested-type/model-2/.lock` }).inspect(),
      null,
      what("custom lockKey", "a different key must not see the lock"),
    );
    await nested.release();
    assert.equal(await nested.inspect(), null, what("custom lockKey", "inspect() must be null after release"));

    // two different keys at once
    const a = lockFor({ lockKey: `${prefix}/a.lock`, maxWaitMs: 2000 });
    const b = lockFor({ lockKey: `${prefix}/b.lock`, maxWaitMs: 2000 });
    await a.acquire();
    const bOutcome = await settle(b.acquire());
    assert.ok(bOutcome.ok, what("two keys", `a second key must be acquirable while the first is held; got ${bOutcome.ok ? "" : describe(bOutcome.error)}`));
    assert.notEqual(await a.inspect(), null, what("two keys", "the first key must still be held"));
    await b.release();
    await a.release();

    // fenced-out release keeps the successor's lock
    const fenceKey = `${prefix}/fenced.lock`;
    const stale = lockFor({ lockKey: fenceKey });
    await stale.acquire();
    const staleNonce = (await stale.inspect())?.nonce;
    assert.ok(typeof staleNonce === "string", what("fenced release", "the holder's lock must carry a nonce"));
    assert.equal(await lockFor({ lockKey: fenceKey }).forceRelease(staleNonce), true, what("fenced release", "breakglass forceRelease must succeed"));
    const successor = lockFor({ lockKey: fenceKey, maxWaitMs: 2000 });
    await successor.acquire();
    const successorNonce = (await successor.inspect())?.nonce;
    const released = await settle(stale.release());
    assert.ok(released.ok, what("fenced release", `release() by the fenced-out holder must not throw; it threw ${released.ok ? "" : describe(released.error)}`));
    const after = await successor.inspect();
    assert.ok(after !== null, what("fenced release", "release() by the fenced-out holder deleted the successor's lock"));
    assert.equal(after.nonce, successorNonce, what("fenced release", "the successor's lock must be unchanged"));
    await successor.release();
  } finally {
    await Promise.allSettled(created.map((lock) => lock.release()));
  }
}

// ---------------------------------------------------------------------------------------------
// in-memory test double

export type LockOperationMethod = "acquire" | "release" | "withLock" | "inspect" | "forceRelease";

export interface LockOperationRecord {
  method: LockOperationMethod;
  lockKey: string;
  timestamp: number;
}

export interface SyncOperationRecord {
  method: "pullChanged" | "pushChanged" | "markDirty";
  timestamp: number;
  /** Only for markDirty. */
  relPath?: string;
}

export interface DatastoreTestContextOptions {
  /** Default `/tmp/swamp-test-datastore`. */
  datastorePath?: string;
  cachePath?: string;
  /** What the verifier reports (default: healthy). */
  healthResult?: DatastoreHealthResult;
  /** Every acquire() fails with a `lock_timeout` error. */
  lockAcquireFails?: boolean;
  /** Provide `createSyncService` (in-memory, records calls). */
  withSyncService?: boolean;
  /** What the fake sync service's capabilities() returns (default `{}`). */
  syncCapabilities?: SyncCapabilities;
}

export interface DatastoreTestContext {
  provider: DatastoreProvider;
  datastorePath: string;
  cachePath: string | undefined;
  lockOperations: LockOperationRecord[];
  syncOperations: SyncOperationRecord[];
  /** Whether `lockKey` (or, without an argument, any key) is held. */
  isLockHeld(lockKey?: string): boolean;
  /** Clears recorded operations and drops every held lock. */
  reset(): void;
}

const FAKE_DEFAULT_LOCK_KEY = "default";

/**
 * An in-memory datastore provider for unit-testing code that uses a datastore. Locks are
 * shared per context and keyed by `lockKey` (default "default"); each lock instance has one
 * fixed nonce. Every lock and sync call is recorded with a timestamp.
 */
export function createDatastoreTestContext(opts: DatastoreTestContextOptions = {}): DatastoreTestContext {
  const datastorePath = opts.datastorePath ?? "/tmp/swamp-test-datastore";
  const cachePath = opts.cachePath;
  const lockOperations: LockOperationRecord[] = [];
  const syncOperations: SyncOperationRecord[] = [];
  const held = new Map<string, LockInfo>();

  const createLock = (_path: string, options: LockOptions = {}): DistributedLock => {
    const lockKey = options.lockKey ?? FAKE_DEFAULT_LOCK_KEY;
    const nonce = randomUUID();
    const ttlMs = options.ttlMs ?? 30_000;
    const maxWaitMs = options.maxWaitMs ?? 60_000;
    const record = (method: LockOperationMethod): void => {
      lockOperations.push({ method, lockKey, timestamp: Date.now() });
    };
    const holderSummary = (info: LockInfo | undefined) =>
      info ? { holder: info.holder, pid: info.pid, hostname: info.hostname } : null;

    const acquire = async (): Promise<void> => {
      record("acquire");
      const start = performance.now();
      if (opts.lockAcquireFails) throw new LockTimeoutError(lockKey, holderSummary(held.get(lockKey)), 0);
      if (held.get(lockKey)?.nonce === nonce) throw new Error(`Lock "${lockKey}" is already held by this instance`);
      for (;;) {
        if (!held.has(lockKey)) {
          held.set(lockKey, {
            holder: "test-user@test-host",
            hostname: "test-host",
            pid: process.pid,
            acquiredAt: new Date().toISOString(),
            ttlMs,
            nonce,
          });
          return;
        }
        const remaining = start + maxWaitMs - performance.now();
        if (remaining <= 0) {
          throw new LockTimeoutError(lockKey, holderSummary(held.get(lockKey)), performance.now() - start);
        }
        await delay(Math.min(10, remaining));
      }
    };
    const release = async (): Promise<void> => {
      record("release");
      if (held.get(lockKey)?.nonce === nonce) held.delete(lockKey);
    };
    return {
      acquire,
      release,
      async withLock<T>(fn: () => Promise<T>): Promise<T> {
        record("withLock");
        await acquire();
        try {
          return await fn();
        } finally {
          await release();
        }
      },
      async inspect(): Promise<LockInfo | null> {
        record("inspect");
        const info = held.get(lockKey);
        return info ? { ...info } : null;
      },
      async forceRelease(expectedNonce: string): Promise<boolean> {
        record("forceRelease");
        const info = held.get(lockKey);
        if (!info || info.nonce !== expectedNonce) return false;
        held.delete(lockKey);
        return true;
      },
    };
  };

  const healthResult: DatastoreHealthResult = opts.healthResult ?? {
    healthy: true,
    message: "In-memory test datastore is healthy",
    latencyMs: 0,
    datastoreType: "test",
    details: { path: datastorePath },
  };

  const createSyncService = (): DatastoreSyncService => ({
    async pullChanged(): Promise<number> {
      syncOperations.push({ method: "pullChanged", timestamp: Date.now() });
      return 0;
    },
    async pushChanged(): Promise<number> {
      syncOperations.push({ method: "pushChanged", timestamp: Date.now() });
      return 0;
    },
    async markDirty(options?: DatastoreSyncOptions): Promise<void> {
      const entry: SyncOperationRecord = { method: "markDirty", timestamp: Date.now() };
      if (options?.relPath !== undefined) entry.relPath = options.relPath;
      syncOperations.push(entry);
    },
    capabilities: () => ({ ...(opts.syncCapabilities ?? {}) }),
  });

  const provider: DatastoreProvider = {
    createLock,
    createVerifier: () => ({ verify: async () => ({ ...healthResult }) }),
    resolveDatastorePath: () => datastorePath,
    resolveCachePath: () => cachePath,
  };
  if (opts.withSyncService) provider.createSyncService = () => createSyncService();

  return {
    provider,
    datastorePath,
    cachePath,
    lockOperations,
    syncOperations,
    isLockHeld: (lockKey?: string) => (lockKey === undefined ? held.size > 0 : held.has(lockKey)),
    reset() {
      lockOperations.length = 0;
      syncOperations.length = 0;
      held.clear();
    },
  };
}
