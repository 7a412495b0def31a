/**
 * The datastore port across the worker boundary.
 *
 * `createProvider(config)` instantiates the provider in the extension's worker and learns,
 * in that same call, everything the port needs synchronously: the datastore and cache paths
 * for this repo (plus a probe so other directories can be answered too), which optional
 * methods exist, and the sync service's capabilities. `createLock`, `createVerifier` and
 * `createSyncService` stay synchronous: they return proxies that create their object in the
 * worker on first use (create + first call in one round trip).
 *
 * A lock lives in the worker with its heartbeat. If the worker dies while a lock is held, the
 * next `release()` cleans up from a fresh instance: it force-releases the lock by nonce when
 * the lock still names the dead holder (this process, or the dead sandbox process).
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ErrorCode, SwampError } from "../../../kernel/contract/errors.js";
import type {
  DatastoreHealthResult,
  DatastorePlugin,
  DatastoreProvider,
  DatastoreSyncOptions,
  DatastoreSyncService,
  DistributedLock,
  LockInfo,
  LockOptions,
  PushPreviewSummary,
  SyncCapabilities,
} from "../../../kernel/contract/ports/datastore.js";
import { jsonSchemaParser } from "../../../kernel/models/types.js";
import { atomicWriteFile } from "../../../kernel/runtime/atomic-write.js";
import { hostDatastoreDirs } from "../../../kernel/runtime/datastore-config.js";
import { pathAnchors, requireDatastorePath } from "../../../kernel/runtime/path-policy.js";
import { isolationFor } from "../../isolation.js";
import { bundleDir, type ManifestEntry } from "../../manifest.js";
import type { ConfigurableDescriptor } from "../../worker/protocol.js";
import { who, type ExtensionIdentity } from "../faults.js";
import type { ExtensionHost, HostContext } from "../host.js";
import type { Instance } from "../instance.js";
import type { HostLimits } from "../limits.js";
import type { ExtensionProcess, RemoteRef } from "../remote.js";
import { runWithLock } from "../../../kernel/contract/lock-keys.js";

const PROBE_DIR = "/__swamp_probe_repo__";

/** What `createProvider` answers from the worker: untrusted, so checked before use. */
const SyncSummarySchema = z.object({
  handle: z.number().int(),
  repoDir: z.string(),
  cachePath: z.string(),
  capabilities: z.record(z.string(), z.unknown()).nullable(),
  hasCapabilities: z.boolean(),
  has: z.object({ hydrateFile: z.boolean(), previewPush: z.boolean() }),
});

const ProviderSummarySchema = z.object({
  datastorePath: z.string().min(1),
  cachePath: z.string().nullable(),
  datastorePathProbe: z.string().nullable(),
  cachePathProbe: z.string().nullable(),
  probeDir: z.string(),
  has: z.object({ createSyncService: z.boolean(), listLockKeys: z.boolean(), resolveCachePath: z.boolean() }),
  sync: SyncSummarySchema.optional(),
});

type SyncSummary = Omit<z.infer<typeof SyncSummarySchema>, "capabilities"> & { capabilities: SyncCapabilities | null };
type ProviderSummary = Omit<z.infer<typeof ProviderSummarySchema>, "sync"> & { sync?: SyncSummary };

function providerSummary(id: ExtensionIdentity, value: unknown): ProviderSummary {
  const parsed = ProviderSummarySchema.safeParse(value);
  if (parsed.success) return parsed.data as ProviderSummary;
  const issue = parsed.error.issues[0];
  throw new SwampError(ErrorCode.extensionInvalid, `The ${who(id)} answered createProvider with a malformed summary (${issue?.path.join(".") || "value"}: ${issue?.message ?? "invalid"})`, {
    details: { extension: id.type, source: id.source },
  });
}

/** Strips the (uncloneable) signal from sync options; it travels as a cancel message instead. */
function splitSignal(options: DatastoreSyncOptions | undefined): { options: Record<string, unknown> | null; signal?: AbortSignal } {
  if (!options) return { options: null };
  // A progress callback cannot cross to a worker; the host's own line covers the wait.
  const { signal, onProgress: _progress, ...rest } = options;
  return { options: rest, ...(signal ? { signal } : {}) };
}

class LockProxy implements DistributedLock {
  /** The instance in which our acquire() succeeded, while we hold the lock. */
  private heldIn: Instance | undefined;

  constructor(
    private readonly ref: RemoteRef,
    private readonly options: LockOptions | undefined,
    private readonly limits: HostLimits,
  ) {}

  async acquire(): Promise<void> {
    const maxWait = this.options?.maxWaitMs ?? 60_000;
    try {
      const r = await this.ref.call("acquire", [], { deadlineMs: maxWait + this.limits.lockMarginMs, label: "acquire" });
      this.heldIn = r.instance;
    } catch (err) {
      // The worker died mid-acquire: it may have written the lock before it went.
      const last = this.ref.proc.lastInstance;
      if (last && !last.alive && last.endedBecause?.reason !== "closed") await this.cleanupAfter(last);
      throw err;
    }
  }

  async release(): Promise<void> {
    const held = this.heldIn;
    if (held && !held.alive) {
      // The worker that held it is gone (and its heartbeat with it): clean up by nonce.
      this.heldIn = undefined;
      await this.cleanupAfter(held);
      return;
    }
    await this.ref.call("release", [], { label: "release" });
    this.heldIn = undefined;
  }

  private async cleanupAfter(dead: Instance): Promise<void> {
    try {
      const info = (await this.ref.call("inspect", [], { label: "inspect" })).value as LockInfo | null;
      if (info && info.nonce && info.pid === dead.pid && info.hostname === hostname()) {
        await this.ref.call("forceRelease", [info.nonce], { label: "forceRelease" });
      }
    } catch {
      // Best effort: the lock expires by its TTL (or its dead holder is detected) otherwise.
    }
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return runWithLock(this, fn);
  }

  async inspect(): Promise<LockInfo | null> {
    return ((await this.ref.call("inspect", [], { label: "inspect" })).value as LockInfo | null) ?? null;
  }

  async forceRelease(expectedNonce: string): Promise<boolean> {
    return (await this.ref.call("forceRelease", [expectedNonce], { label: "forceRelease" })).value === true;
  }
}

class SyncServiceProxy implements DatastoreSyncService {
  // Optional methods exist only when the extension has them (`declare`: no own property otherwise).
  declare hydrateFile?: DatastoreSyncService["hydrateFile"];
  declare previewPush?: DatastoreSyncService["previewPush"];
  declare capabilities?: () => SyncCapabilities;

  constructor(
    private readonly ref: RemoteRef,
    summary: Pick<SyncSummary, "capabilities" | "hasCapabilities" | "has">,
    private readonly limits: HostLimits,
  ) {
    if (summary.hasCapabilities) this.capabilities = () => ({ ...(summary.capabilities ?? {}) });
    if (summary.has.hydrateFile) {
      this.hydrateFile = async (relPath, options) => {
        const { options: opts, signal } = splitSignal(options);
        return (await this.ref.call("hydrateFile", [relPath, opts], { deadlineMs: this.limits.syncTimeoutMs, label: "hydrateFile", ...(signal ? { signal } : {}) })).value === true;
      };
    }
    if (summary.has.previewPush) {
      this.previewPush = async (options) => {
        const { options: opts, signal } = splitSignal(options);
        return (await this.ref.call("previewPush", [opts], { deadlineMs: this.limits.syncTimeoutMs, label: "previewPush", ...(signal ? { signal } : {}) })).value as PushPreviewSummary;
      };
    }
  }

  private async run(method: string, options: DatastoreSyncOptions | undefined, deadlineMs: number): Promise<unknown> {
    const { options: opts, signal } = splitSignal(options);
    return (await this.ref.call(method, [opts], { deadlineMs, label: method, ...(signal ? { signal } : {}) })).value;
  }

  async pullChanged(options?: DatastoreSyncOptions): Promise<number | void> {
    return (await this.run("pullChanged", options, this.limits.syncTimeoutMs)) as number | undefined;
  }
  async pushChanged(options?: DatastoreSyncOptions): Promise<number | void> {
    return (await this.run("pushChanged", options, this.limits.syncTimeoutMs)) as number | undefined;
  }
  async markDirty(options?: DatastoreSyncOptions): Promise<void> {
    await this.run("markDirty", options, this.limits.callTimeoutMs);
  }
}

/** A sandboxed extension's own answer about a directory must be the host's decision. */
function requireAgreement(id: ExtensionIdentity, what: string, answer: string, decided: string): void {
  if (isAbsolute(answer) && resolve(answer) === resolve(decided)) return;
  throw new SwampError(
    ErrorCode.extensionPermissionDenied,
    `The ${who(id)} resolved its ${what} to ${answer}, but swamp decided ${decided} (from the datastore config, or swamp's default); refusing to grant it access to ${answer}`,
    { details: { extension: id.type, source: id.source, isolation: id.isolation, path: answer, expected: decided } },
  );
}

function derive(dir: string, real: { repoDir: string; value: string | null }, probe: { template: string | null; probeDir: string }, what: string): string {
  if (dir === real.repoDir && real.value !== null) return real.value;
  if (probe.template !== null) return probe.template.split(probe.probeDir).join(dir);
  throw new SwampError(ErrorCode.extensionError, `${what}(${JSON.stringify(dir)}) cannot be answered synchronously: the extension was instantiated for ${real.repoDir}`);
}

class DatastoreProviderProxy implements DatastoreProvider {
  // Optional methods exist only when the extension has them (`declare`: no own property otherwise).
  declare createSyncService?: DatastoreProvider["createSyncService"];
  declare resolveCachePath?: DatastoreProvider["resolveCachePath"];
  declare listLockKeys?: DatastoreProvider["listLockKeys"];
  private readonly ref: RemoteRef;
  private readonly limits: HostLimits;

  /**
   * `bound` is the instance and handle when the provider was just created; without it (the
   * summary came from the cache) the provider is created in a worker on first use.
   */
  constructor(
    proc: ExtensionProcess,
    bound: { instance: Instance; handle: number } | null,
    recipe: unknown[],
    private readonly summary: ProviderSummary,
    private readonly repoDir: string,
  ) {
    this.ref = proc.root.child("createProvider", recipe);
    if (bound) this.ref.adopt(bound.instance, bound.handle);
    const instance = bound?.instance;
    const limits = proc.limits;
    if (summary.has.resolveCachePath) {
      this.resolveCachePath = (dir: string) =>
        summary.cachePath === null && dir === repoDir
          ? undefined
          : derive(dir, { repoDir, value: summary.cachePath }, { template: summary.cachePathProbe, probeDir: summary.probeDir }, "resolveCachePath");
    }
    if (summary.has.listLockKeys) {
      this.listLockKeys = async (path, prefix) => ((await this.ref.call("listLockKeys", [path, prefix], { label: "listLockKeys" })).value as string[]) ?? [];
    }
    if (summary.has.createSyncService) {
      const sync = summary.sync;
      this.createSyncService = (dir: string, cachePath: string) => {
        const ref = this.ref.child("createSyncService", [dir, cachePath]);
        if (instance && sync && sync.repoDir === dir && sync.cachePath === cachePath) ref.adopt(instance, sync.handle);
        return new SyncServiceProxy(ref, sync ?? { capabilities: null, hasCapabilities: false, has: { hydrateFile: false, previewPush: false } }, limits);
      };
    }
    this.limits = limits;
  }

  resolveDatastorePath(dir: string): string {
    return derive(dir, { repoDir: this.repoDir, value: this.summary.datastorePath }, { template: this.summary.datastorePathProbe, probeDir: this.summary.probeDir }, "resolveDatastorePath");
  }

  createLock(datastorePath: string, options?: LockOptions): DistributedLock {
    return new LockProxy(this.ref.child("createLock", [datastorePath, options ?? null], "createLock"), options, this.limits);
  }

  createVerifier() {
    const ref = this.ref.child("createVerifier", [], "createVerifier");
    return {
      verify: async (): Promise<DatastoreHealthResult> => (await ref.call("verify", [], { label: "verify" })).value as DatastoreHealthResult,
    };
  }
}

/**
 * What instantiating a provider taught us (paths, optional methods, capabilities), cached per
 * bundle fingerprint, config and repo in `.swamp/datastore-bundles/providers.json`. With it a
 * command that only needs the paths (listing types, reading data) starts no worker at all;
 * `resolveDatastorePath` and friends are expected to be pure functions of config and repo.
 */
function summaryCachePath(ctx: HostContext): string {
  return join(bundleDir(ctx.repoDir, "datastore"), "providers.json");
}

function summaryKey(entry: ManifestEntry, config: unknown, instanceCtx: unknown, isolation: string, env: HostContext["env"]): string {
  // Paths under the home directory are common; other environment variables are not keyed.
  const homeish = Object.entries(env).filter(([k]) => k === "HOME" || k === "USERPROFILE" || k === "SWAMP_HOME" || k.startsWith("XDG_")).sort();
  return createHash("sha256").update(JSON.stringify([entry.fingerprint, config, instanceCtx, isolation, homeish])).digest("hex");
}

interface SummaryFile {
  version: 1;
  entries: Record<string, ProviderSummary>;
  /** `<fingerprint>:<config JSON as written>` → the config as validated (defaults applied). */
  validated: Record<string, Record<string, unknown>>;
}

async function readSummaries(ctx: HostContext): Promise<SummaryFile> {
  try {
    const raw = JSON.parse(await readFile(summaryCachePath(ctx), "utf8")) as Partial<SummaryFile>;
    if (raw.version === 1 && raw.entries && raw.validated) return raw as SummaryFile;
  } catch {
    // none yet
  }
  return { version: 1, entries: {}, validated: {} };
}

function trim<T>(record: Record<string, T>, max: number): void {
  const keys = Object.keys(record);
  for (const old of keys.slice(0, Math.max(0, keys.length - max))) delete record[old];
}

async function saveSummary(ctx: HostContext, key: string, summary: ProviderSummary, validated: [string, Record<string, unknown>] | undefined): Promise<void> {
  const file = await readSummaries(ctx);
  const { sync, ...rest } = summary;
  file.entries[key] = { ...rest, ...(sync ? { sync: { ...sync, handle: -1 } } : {}) };
  if (validated) file.validated[validated[0]] = validated[1];
  trim(file.entries, 32);
  trim(file.validated, 32);
  await atomicWriteFile(summaryCachePath(ctx), JSON.stringify(file), { durable: false }).catch(() => {});
}

export async function datastoreProxy(host: ExtensionHost, ctx: HostContext, entry: ManifestEntry, descriptor: ConfigurableDescriptor): Promise<DatastorePlugin> {
  const summaries = await readSummaries(ctx);
  const prefix = `${entry.fingerprint}:`;
  const known = new Map<string, Record<string, unknown>>();
  for (const [k, v] of Object.entries(summaries.validated)) if (k.startsWith(prefix)) known.set(k.slice(prefix.length), v);
  let learned: [string, Record<string, unknown>] | undefined;
  const onValid = (raw: unknown, data: Record<string, unknown>) => {
    learned = [`${prefix}${JSON.stringify(raw)}`, data];
  };
  return {
    type: descriptor.type,
    name: descriptor.name,
    description: descriptor.description,
    ...(descriptor.configSchema ? { configSchema: jsonSchemaParser(descriptor.configSchema, { known, onValid }) } : {}),
    createProvider: async (config: Record<string, unknown>) => {
      const isolation = isolationFor(ctx.isolation, "datastore", descriptor.type);
      const instanceCtx = { repoDir: ctx.repoDir, defaultCachePath: ctx.defaultCachePath, probeDir: PROBE_DIR };
      const recipe = [config, instanceCtx];
      const key = summaryKey(entry, config, instanceCtx, isolation, ctx.env);
      const cached = summaries.entries[key];
      let proc: ExtensionProcess;
      if (isolation === "sandbox") {
        // The host decides the directories and checks them before any extension code runs;
        // the extension learns its paths in a probe with no write access, and must agree.
        const dirs = hostDatastoreDirs(config, ctx.repoDir, ctx.env, ctx.defaultCachePath);
        const anchors = pathAnchors(ctx.repoDir, ctx.env);
        requireDatastorePath(dirs.data, anchors, "extension", `The data directory of the sandboxed datastore ${descriptor.type}`);
        let summary = cached;
        if (!summary) {
          const probe = host.process(ctx, entry, descriptor.type, "sandbox", undefined, true);
          try {
            summary = providerSummary(probe.identity, (await probe.root.call("createProvider", recipe, { label: "createProvider" })).value);
          } finally {
            await probe.close();
          }
        }
        const identity = host.identity(ctx, entry, descriptor.type, "sandbox");
        requireAgreement(identity, "datastore path", summary.datastorePath, dirs.data);
        const grantDirs = [dirs.data];
        if (summary.has.createSyncService) {
          requireAgreement(identity, "cache path", summary.cachePath ?? summary.sync?.cachePath ?? ctx.defaultCachePath, dirs.cache);
          requireDatastorePath(dirs.cache, anchors, "extension", `The cache directory of the sandboxed datastore ${descriptor.type}`);
          grantDirs.push(dirs.cache);
        }
        const { datastoreGrants } = await import("../sandbox.js");
        const granted = await datastoreGrants(grantDirs, ctx.repoDir);
        proc = host.process(ctx, entry, descriptor.type, "sandbox", { read: granted, write: granted });
      } else {
        proc = host.process(ctx, entry, descriptor.type, "worker");
      }
      if (cached) return new DatastoreProviderProxy(proc, null, recipe, cached, ctx.repoDir);
      const r = await proc.root.call("createProvider", recipe, { label: "createProvider" });
      const summary = providerSummary(proc.identity, r.value);
      await saveSummary(ctx, key, summary, learned);
      return new DatastoreProviderProxy(proc, { instance: r.instance, handle: r.handle ?? -1 }, recipe, summary, ctx.repoDir);
    },
  };
}
