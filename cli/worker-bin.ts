/**
 * The extension worker's entry file (bin/extension-worker.cjs, piscina's `filename`). Kept tiny
 * like the bin: it runs the worker bundle (bin/worker/main.js: plugins/worker/entry.ts as one
 * CommonJS file) with its compiled code cached in `$SWAMP_HOME/cache/code/worker` (see
 * code-cache.ts), and hands piscina the bundle's task function. Every worker thread would
 * otherwise compile the bundle (zod included) afresh. Built as CommonJS, like the bin, so
 * piscina's runner requires it without starting the ESM loader (scripts/bundle.mjs defines
 * `import.meta.url` for it).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { swampHome } from "../kernel/runtime/datastore-config.js";
import { lazyEsmResolve, runBundle } from "./code-cache.js";

/** The worker bundle's hash, written in by scripts/bundle.mjs. */
declare const SWAMP_WORKER_HASH: string;

type Task = (task: unknown) => Promise<unknown>;

function cacheDir(): string | null {
  try {
    return join(swampHome(process.env), "cache", "code", "worker");
  } catch {
    return null; // no home folder: run without a cache
  }
}

let save: (() => void) | undefined;
const bundle = runBundle({
  file: fileURLToPath(new URL("./worker/main.js", import.meta.url)),
  hash: SWAMP_WORKER_HASH,
  scope: "worker",
  cacheDir: cacheDir(),
  // The bin's resolver, loaded on first use (nothing in the worker bundle resolves today).
  resolve: lazyEsmResolve(fileURLToPath(new URL("./esm-resolve.mjs", import.meta.url))),
  importModule: (specifier) => import(specifier),
  saveCache: (write) => (save = write),
}) as { default: Task };

export default async function run(task: unknown): Promise<unknown> {
  try {
    return await bundle.default(task);
  } finally {
    // After the first task, when the functions it ran are compiled too: piscina terminates a
    // thread, so there is no exit to wait for.
    const write = save;
    save = undefined;
    write?.();
  }
}
