/**
 * The one piscina pool of extension workers, created on first use (so commands that use no
 * extension never load piscina), and the entry files workers and sandbox processes run.
 *
 * Entry files: the published CLI is an esbuild bundle (dist/bin/cli/main.js, run by
 * dist/bin/swamp.cjs); the extension worker and the sandbox entry are separate esbuild entries
 * next to it (dist/bin/extension-worker.cjs, dist/bin/extension-sandbox.js, built by
 * scripts/bundle.mjs, zod included: a worker hands its own zod to the extensions it loads; the
 * worker entry runs its code, dist/bin/worker/main.js, with V8's code cache). When running from
 * tsc's output (tests), they are dist/plugins/worker/*.js.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Piscina } from "piscina";
import type { HostLimits } from "./limits.js";

let pool: Piscina | undefined;
let creating: Promise<Piscina> | undefined;
let limitsInUse: HostLimits | undefined;

function firstExisting(candidates: string[]): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`swamp's extension worker files are missing (looked for ${candidates.join(", ")}); reinstall or run 'npm run build'`);
}

/** The piscina task module. */
export function workerEntry(): string {
  return firstExisting([
    fileURLToPath(new URL("../extension-worker.cjs", import.meta.url)),
    fileURLToPath(new URL("../worker/entry.js", import.meta.url)),
  ]);
}

/** The sandbox process entry. */
export function sandboxEntry(): string {
  return firstExisting([
    fileURLToPath(new URL("../extension-sandbox.js", import.meta.url)),
    fileURLToPath(new URL("../worker/sandbox-main.js", import.meta.url)),
  ]);
}

/** True when the worker files are esbuild bundles (one file each) rather than tsc output. */
export function bundledEntries(): boolean {
  return existsSync(fileURLToPath(new URL("../extension-worker.cjs", import.meta.url)));
}

export function configurePool(limits: HostLimits): void {
  limitsInUse ??= limits;
}

export async function workerPool(): Promise<Piscina> {
  if (pool) return pool;
  creating ??= (async () => {
    // Bundled into the CLI (its worker runner is shipped beside the bundle, see
    // scripts/bundle.mjs): about a dozen files fewer to find and compile per command.
    const { Piscina: PiscinaClass } = await import("piscina");
    const limits = limitsInUse;
    const created = new PiscinaClass({
      filename: workerEntry(),
      minThreads: 0,
      maxThreads: 64,
      idleTimeout: limits?.idleTimeoutMs ?? 2_000,
      concurrentTasksPerWorker: 1,
      atomics: "disabled",
      // No run-time histograms: nothing reads them, and they would load node:perf_hooks.
      recordTiming: false,
      resourceLimits: {
        maxOldGenerationSizeMb: limits?.memoryMb ?? 256,
        maxYoungGenerationSizeMb: 32,
        stackSizeMb: 4,
      },
    });
    // A worker that dies with no task in flight is reported as an 'error' event: never let
    // that take the CLI down (the instance that owned it already reported its fault).
    created.on("error", () => {});
    pool = created;
    return created;
  })();
  return creating;
}

/** Stops every worker (end of a command). */
export async function destroyPool(): Promise<void> {
  const p = pool ?? (creating ? await creating.catch(() => undefined) : undefined);
  pool = undefined;
  creating = undefined;
  if (p) await p.destroy().catch(() => {});
}
