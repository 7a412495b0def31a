/**
 * Example datastore: keeps swamp's runtime data in a plain directory (default
 * `<repo>/.dir-store`, or any absolute path, e.g. a shared mount) with a working lock.
 *
 * The lock is one JSON file per lock key, created with an exclusive open (`wx`), so two
 * processes can never both create it. `createPollingLock` from @swamp-ts/sdk adds everything else a
 * DistributedLock needs: retry with a backoff clamped to `maxWaitMs`, a `LockTimeoutError`
 * naming the holder, a heartbeat that keeps `acquiredAt` fresh, takeover of locks whose TTL
 * ran out (or whose holder process is dead on this host), nonce-fenced release and
 * `forceRelease`.
 *
 * Install: copy this folder to `extensions/datastores/dir-store/`, then in `.swamp.yaml`:
 *
 *   datastore:
 *     type: "@examples/dir-store"
 *     config:
 *       path: /mnt/shared/swamp-data     # optional; default <repo>/.dir-store
 *
 * and check it with `swamp datastore status --json`.
 */
import { z } from "npm:zod@4";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import { createPollingLock, defineDatastore, GLOBAL_LOCK_KEY, type DatastoreHealthResult, type LockInfo, type LockStore } from "@swamp-ts/sdk";

const TYPE = "@examples/dir-store";

const ConfigSchema = z.object({
  path: z.string().min(1).refine(isAbsolute, "must be an absolute path").optional().describe("Data directory (default <repo>/.dir-store)"),
  lockTtlMs: z.number().int().min(1000).default(30_000).describe("A lock whose holder stopped heartbeating for this long is taken over"),
});

/** `root/key`, refusing keys that climb out of the root. */
function lockPath(root: string, key: string): string {
  const full = resolve(root, key);
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) throw new Error(`lock key escapes the datastore: ${key}`);
  return full;
}

function processIsDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** The lock primitives over one lock file. */
function fileLockStore(path: string): LockStore {
  const read = async (): Promise<LockInfo | null> => {
    try {
      const info = JSON.parse(await readFile(path, "utf8")) as LockInfo;
      return typeof info.holder === "string" && typeof info.acquiredAt === "string" ? info : null;
    } catch {
      return null;
    }
  };
  return {
    async create(info) {
      await mkdir(dirname(path), { recursive: true });
      let handle;
      try {
        handle = await open(path, "wx", 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw err;
      }
      try {
        await handle.writeFile(JSON.stringify(info, null, 2));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return true;
    },
    read,
    async update(info) {
      const current = await read();
      if (current?.nonce !== info.nonce) return false;
      const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temp, JSON.stringify(info, null, 2));
      await rename(temp, path);
      return true;
    },
    async remove(nonce) {
      const current = await read();
      if (!current || current.nonce !== nonce) return false;
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
      return true;
    },
  };
}

export const datastore = defineDatastore({
  type: TYPE,
  name: "Directory store (example)",
  description: "Keeps runtime data in a directory, with exclusive-create lock files",
  configSchema: ConfigSchema,
  createProvider: (raw) => {
    // swamp validated `raw` against the JSON Schema form of ConfigSchema; parse it again so the
    // refinement (absolute path) and defaults apply here too.
    const config = ConfigSchema.parse(raw);
    const dataDir = (repoDir: string) => config.path ?? join(repoDir, ".dir-store");
    return {
      resolveDatastorePath: dataDir,
      resolveCachePath: () => undefined,

      createLock: (datastorePath, options = {}) => {
        const lockKey = options.lockKey ?? GLOBAL_LOCK_KEY;
        return createPollingLock(fileLockStore(lockPath(datastorePath, lockKey)), {
          ...options,
          lockKey,
          ttlMs: options.ttlMs ?? config.lockTtlMs,
          // A holder on this machine whose process is gone will never release: take it over.
          isStale: (info) => info.hostname === hostname() && processIsDead(info.pid),
        });
      },

      // Lets swamp find per-model locks with one directory listing.
      listLockKeys: async (datastorePath, prefix) => {
        const base = prefix.endsWith("/") ? prefix : `${prefix}/`;
        try {
          return (await readdir(lockPath(datastorePath, base))).filter((n) => n.endsWith(".lock")).map((n) => base + n);
        } catch {
          return [];
        }
      },

      createVerifier: () => ({
        // Never throws: problems are reported as an unhealthy result.
        async verify(): Promise<DatastoreHealthResult> {
          const started = performance.now();
          const dir = config.path ?? ".dir-store (in the repository)";
          const result = (healthy: boolean, message: string): DatastoreHealthResult => ({
            healthy,
            message,
            latencyMs: Math.round(performance.now() - started),
            datastoreType: TYPE,
            details: { path: dir },
          });
          if (!config.path) return result(true, "OK");
          try {
            await mkdir(config.path, { recursive: true });
            if (!(await stat(config.path)).isDirectory()) return result(false, `${config.path} is not a directory`);
            const probe = join(config.path, `.probe-${process.pid}-${Date.now()}`);
            await writeFile(probe, "ok");
            await rm(probe, { force: true });
            return result(true, "OK");
          } catch (err) {
            return result(false, `${config.path} is not writable: ${(err as Error).message}`);
          }
        },
      }),
    };
  },
});
