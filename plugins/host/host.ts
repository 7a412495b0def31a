/**
 * The extension host of one CLI process: the running extension processes (one per source and
 * isolation level, with their grants), how each is launched, and the shutdown at the end of
 * the command (every instance closed, the worker pool destroyed, sandbox processes ended).
 */
import type { ManifestEntry } from "../manifest.js";
import { onExtensionsShutdown } from "../lifecycle.js";
import type { Isolation, IsolationPolicy } from "../isolation.js";
import { initFor } from "./describe.js";
import type { ExtensionIdentity } from "./faults.js";
import type { DefaultSink } from "./instance.js";
import { hostLimits, type HostLimits } from "./limits.js";
import { ExtensionProcess } from "./remote.js";
import type { SandboxGrants } from "./sandbox.js";
import { startWorkerTransport } from "./transport.js";
import { displayPath } from "../catalog.js";

export interface HostContext {
  repoDir: string;
  env: Readonly<Record<string, string | undefined>>;
  isolation: IsolationPolicy;
  /** `<swampHome>/repos/<repoId>`: where a syncing datastore's cache goes by default. */
  defaultCachePath: string;
}

const stderrSink: DefaultSink = (identity, _level, text) => {
  process.stderr.write(`[${identity.type}] ${text}\n`);
};

export class ExtensionHost {
  private readonly processes = new Map<string, ExtensionProcess>();

  limits(ctx: HostContext): HostLimits {
    return hostLimits(ctx.env);
  }

  identity(ctx: HostContext, entry: ManifestEntry, type: string, isolation: Isolation): ExtensionIdentity {
    return { kind: entry.kind, type, source: displayPath(ctx.repoDir, entry.source), isolation };
  }

  /**
   * The extension process for `entry` at `isolation` (shared by every proxy of that source
   * with the same grants). `fresh` makes a private one (e.g. a sandbox probe).
   */
  process(ctx: HostContext, entry: ManifestEntry, type: string, isolation: Isolation, grants?: SandboxGrants, fresh = false): ExtensionProcess {
    const limits = this.limits(ctx);
    const key = `${entry.source}\0${entry.fingerprint}\0${isolation}\0${JSON.stringify(grants ?? null)}\0${JSON.stringify(limits)}`;
    const existing = fresh ? undefined : this.processes.get(key);
    if (existing) return existing;
    const identity = this.identity(ctx, entry, type, isolation);
    const init = initFor(ctx.repoDir, entry);
    const launch = async () => {
      if (isolation === "worker") {
        const { configurePool } = await import("./pool.js");
        configurePool(limits);
        return startWorkerTransport(init, limits.memoryMb);
      }
      const { baseReadGrants, launchSandbox } = await import("./sandbox.js");
      const base = baseReadGrants(init.bundlePath);
      const g = grants ?? { read: [], write: [] };
      return launchSandbox(init, { read: [...base, ...g.read], write: g.write }, limits, ctx.env);
    };
    const proc = new ExtensionProcess(identity, launch, limits, stderrSink);
    if (!fresh) this.processes.set(key, proc);
    return proc;
  }

  async shutdown(): Promise<void> {
    const procs = [...this.processes.values()];
    this.processes.clear();
    await Promise.allSettled(procs.map((p) => p.close()));
    const { destroyPool } = await import("./pool.js");
    await destroyPool();
  }
}

let host: ExtensionHost | undefined;

/** The process-wide host (created on first use; shut down by shutdownExtensions()). */
export function extensionHost(): ExtensionHost {
  if (!host) {
    const created = new ExtensionHost();
    host = created;
    onExtensionsShutdown(async () => {
      if (host === created) host = undefined;
      await created.shutdown();
    });
  }
  return host;
}
