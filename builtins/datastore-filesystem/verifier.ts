/**
 * Health check of a filesystem datastore: the directory exists, is a directory, and we can
 * create and delete a file in it. Never throws; every problem becomes an unhealthy result.
 */
import { randomUUID } from "node:crypto";
import { stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DatastoreHealthResult, DatastoreVerifier } from "../../kernel/contract/ports/datastore.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export const FILESYSTEM_DATASTORE_TYPE = "filesystem";

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class FilesystemVerifier implements DatastoreVerifier {
  constructor(readonly path: string) {}

  async verify(): Promise<DatastoreHealthResult> {
    const start = monotonicMs();
    const path = this.path;
    const result = (healthy: boolean, message: string): DatastoreHealthResult => ({
      healthy,
      message,
      latencyMs: Math.max(0, monotonicMs() - start),
      datastoreType: FILESYSTEM_DATASTORE_TYPE,
      details: { path },
    });

    try {
      let isDirectory: boolean;
      try {
        isDirectory = (await stat(path)).isDirectory();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") {
          return result(
            false,
            `Datastore directory does not exist: ${path}. Run 'swamp datastore setup filesystem --path ${path}' to create it.`,
          );
        }
        return result(false, `Cannot access datastore directory ${path}: ${messageOf(err)}`);
      }
      if (!isDirectory) return result(false, `Path exists but is not a directory: ${path}`);

      const probe = join(path, `.swamp-health-check-${randomUUID()}`);
      try {
        await writeFile(probe, "ok", { flag: "wx" });
        await unlink(probe);
      } catch (err) {
        await unlink(probe).catch(() => {});
        return result(false, `Directory exists but is not writable: ${messageOf(err)}`);
      }
      return result(true, `Filesystem datastore at ${path} is healthy`);
    } catch (err) {
      return result(false, `Filesystem datastore check failed for ${path}: ${messageOf(err)}`);
    }
  }
}
