/**
 * Loading freshly built bundles once to learn what they declare. Runs in pooled workers, or
 * in sandbox processes when the kind (or any override) asks for sandbox isolation: a new
 * extension's code never runs with more rights than it will get later.
 */
import { availableParallelism } from "node:os";
import { ErrorCode } from "../../kernel/contract/errors.js";
import { messageSchemas } from "../../kernel/contract/wire.js";
import type { CatalogContext } from "../catalog.js";
import { displayPath } from "../catalog.js";
import { hostModuleUrl } from "../host-modules.js";
import { isolationBeforeType } from "../isolation.js";
import type { ManifestEntry } from "../manifest.js";
import { CEL_SPECIFIER, isSdkSpecifier, WORKER_OWN_ZOD, type DescribeResult, type InstanceInit } from "../worker/protocol.js";
import { classifyWorkerEnd } from "./transport.js";
import { hostLimits, type HostLimits } from "./limits.js";
import type { Piscina } from "piscina";

/** What the worker imports for a host module: a file URL, or the specifier when it serves the module from its own copy. */
function hostModuleFor(spec: string): string {
  return isSdkSpecifier(spec) || WORKER_OWN_ZOD.has(spec) ? spec : hostModuleUrl(spec);
}

/** The init message for an entry: bundle, fingerprint and the host modules it imports. */
export function initFor(repoDir: string, entry: ManifestEntry): InstanceInit {
  const hostModules: Record<string, string> = { zod: hostModuleFor("zod") };
  // Loading the CEL engine is a good part of a worker's start: only for a bundle that may use it.
  if (entry.kind === "model" && entry.mayUseCel !== false) hostModules[CEL_SPECIFIER] = hostModuleUrl(CEL_SPECIFIER);
  for (const spec of entry.hostModules) hostModules[spec] = hostModuleFor(spec);
  return {
    kind: entry.kind,
    source: displayPath(repoDir, entry.source),
    bundlePath: entry.bundlePath ?? "",
    fingerprint: entry.fingerprint ?? "",
    hostModules,
  };
}

/**
 * Loads one bundle in a pooled worker; a crash or timeout becomes a failed result. A worker
 * that ran out of memory is gone (piscina starts a fresh one for the next task): the bundle is
 * tried once more, since the heap it exhausted may have been filled by earlier bundles.
 */
async function describeInWorker(pool: Piscina, init: InstanceInit, limits: HostLimits, retried = false): Promise<DescribeResult> {
  try {
    const raw: unknown = await pool.run({ op: "describe", init }, { signal: AbortSignal.timeout(limits.startTimeoutMs) });
    // What the worker returns is untrusted like every message from it.
    const parsed = messageSchemas().DescribeResultSchema.safeParse(raw);
    if (parsed.success) return parsed.data as DescribeResult;
    return { ok: false, error: { code: ErrorCode.extensionCrashed, message: "the worker returned a malformed describe result" } };
  } catch (err) {
    const fault = (err as { name?: string }).name === "AbortError" ? null : classifyWorkerEnd(err, limits.memoryMb);
    if (fault?.reason === "oom" && !retried) return describeInWorker(pool, init, limits, true);
    const message = !fault
      ? `loading the bundle took longer than ${limits.startTimeoutMs}ms`
      : fault.reason === "exit"
        ? `the extension called process.exit(${fault.code}) while loading`
        : fault.reason === "oom"
          ? `the extension ran out of memory while loading, also when retried in a fresh worker (limit ${fault.limitMb} MB)`
          : fault.reason === "crash"
            ? `the extension crashed while loading: ${fault.message}`
            : "the worker stopped while loading the bundle";
    return { ok: false, error: { code: fault ? ErrorCode.extensionCrashed : ErrorCode.extensionTimeout, message } };
  }
}

export async function describeBundles(ctx: CatalogContext, entries: ManifestEntry[]): Promise<DescribeResult[]> {
  const limits = hostLimits(ctx.env);
  const inits = entries.map((e) => initFor(ctx.repoDir, e));
  const sandboxed = entries.map((e) => isolationBeforeType(ctx.isolation, e.kind) === "sandbox");
  const results: DescribeResult[] = new Array(entries.length);
  const inSandbox = inits.filter((_, i) => sandboxed[i]);
  if (inSandbox.length > 0) {
    const { describeInSandbox } = await import("./sandbox.js");
    const out = await describeInSandbox(inSandbox, limits, ctx.env);
    let j = 0;
    sandboxed.forEach((s, i) => {
      if (s) results[i] = out[j++] as DescribeResult;
    });
  }
  const queue = inits.map((init, i) => ({ init, i })).filter(({ i }) => !sandboxed[i]);
  if (queue.length > 0) {
    const { configurePool, workerPool } = await import("./pool.js");
    configurePool(limits);
    const pool = await workerPool();
    // A few threads, reused: each loads zod once, then describes bundle after bundle.
    const lanes = Math.min(queue.length, Math.max(2, availableParallelism()));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) results[next.i] = await describeInWorker(pool, next.init, limits);
      }),
    );
  }
  return results;
}
