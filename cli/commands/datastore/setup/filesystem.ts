import { Command, Option } from "clipanion";
import { isAbsolute, resolve } from "node:path";
import { mkdir } from "node:fs/promises";
import { ErrorCode, SwampError, UsageError } from "../../../../kernel/contract/errors.js";
import * as setup from "../../../../kernel/runtime/datastore-setup.js";
import { collapseHome, expandPath } from "../../../../kernel/runtime/env-path.js";
import { readMarker, writeMarker } from "../../../../kernel/runtime/marker.js";
import { pathAnchors, requireDatastorePath } from "../../../../kernel/runtime/path-policy.js";
import { DEFAULT_DATASTORE_SUBDIRS, effectiveDirectories } from "../../../../kernel/runtime/paths.js";
import { SwampCommand } from "../../../base.js";

export default class DatastoreSetupFilesystemCommand extends SwampCommand {
  static override paths = [["datastore", "setup", "filesystem"]];
  static override usage = Command.Usage({
    description: "Keep this repo's runtime data in a directory of your choice",
    details:
      "Creates the directory, checks it is writable, copies the existing runtime data there (unless " +
      "--skip-migration), then points .swamp.yaml at it and removes the old copy.",
    examples: [["Use a shared directory", "swamp datastore setup filesystem --path /mnt/shared/swamp"]],
  });

  datastorePath = Option.String("--path", { required: true, description: "Directory for runtime data" });
  directories = Option.String("--directories", { description: "Comma-separated datastore directories (default: all)" });
  skipMigration = Option.Boolean("--skip-migration", false, { description: "Do not copy existing data" });

  async run(): Promise<number> {
    const expanded = expandPath(this.datastorePath, process.env);
    const target = isAbsolute(expanded) ? expanded : resolve(process.cwd(), expanded);
    const requested = this.directories?.split(",").map((d) => d.trim()).filter(Boolean);
    for (const dir of requested ?? []) {
      if (!(DEFAULT_DATASTORE_SUBDIRS as readonly string[]).includes(dir)) {
        throw new UsageError(`Unknown datastore directory "${dir}" (known: ${DEFAULT_DATASTORE_SUBDIRS.join(", ")})`);
      }
    }
    const directories = effectiveDirectories(requested);
    const kernel = await this.kernel();
    requireDatastorePath(target, pathAnchors(kernel.repoDir, process.env), "user", "The datastore path");

    const sourceBase = kernel.paths.datastoreBase;
    // Everything, including creating the target, happens under the global lock: a setup that
    // cannot get the lock changes nothing.
    const progress = await this.progress();
    const result = await kernel.locks.withGlobalLock(async () => {
      await mkdir(target, { recursive: true });
      const plugin = await kernel.registry.load("datastore", "filesystem");
      const provider = await plugin.createProvider({ path: target });
      const health = await provider.createVerifier().verify();
      if (!health.healthy) throw new SwampError(ErrorCode.datastoreUnavailable, `Datastore is not accessible: ${health.message}`);
      for (const dir of directories) await mkdir(resolve(target, dir), { recursive: true });
      const migration = this.skipMigration
        ? { filesCopied: 0, bytesCopied: 0, directoriesMigrated: [], errors: [] }
        : await setup.migrateDirectories(sourceBase, target, kernel.datastore.directories, (files) => {
            if (files === 1) progress.start(`Copying the datastore to ${target}`, undefined, "files");
            progress.update(files);
          });
      progress.clear();
      if (migration.errors.length === 0) {
        const marker = await readMarker(kernel.repoDir);
        marker.datastore = { type: "filesystem", path: collapseHome(target, process.env), directories };
        await writeMarker(kernel.repoDir, marker);
        await setup.removeDirectories(sourceBase, migration.directoriesMigrated);
      }
      return migration;
    });

    const out: Record<string, unknown> = {
      type: "filesystem",
      path: target,
      filesCopied: result.filesCopied,
      filesPulled: 0,
      bytesCopied: result.bytesCopied,
      directoriesMigrated: result.directoriesMigrated,
      errors: result.errors,
      sourcePath: sourceBase,
      destinationPath: target,
      warnings: [],
    };
    if (result.errors.length > 0) out.retryHint = "Re-run the same command to retry. Local data is preserved and the retry is safe.";
    this.emit(out, () => {
      if (result.errors.length > 0) {
        return [`Setup incomplete; .swamp.yaml unchanged. Errors:`, ...result.errors.map((e) => `  ${e}`), String(out.retryHint)].join("\n");
      }
      return [
        `Datastore set to ${target}`,
        `Migrated ${result.filesCopied} file(s) (${result.bytesCopied} bytes) from ${sourceBase}`,
      ].join("\n");
    });
    return result.errors.length > 0 ? 1 : 0;
  }
}
