import { Command, Option } from "clipanion";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, lstat, mkdir, readdir, readlink, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ErrorCode, errorMessage, SwampError, UsageError } from "../../../../kernel/contract/errors.js";
import { swampHome } from "../../../../kernel/runtime/datastore-config.js";
import { pathAnchors, requireDatastorePath } from "../../../../kernel/runtime/path-policy.js";
import { readMarker, writeMarker } from "../../../../kernel/runtime/marker.js";
import { DatastoreSync, parseSyncTimeoutFlag, syncTimeoutMs, SyncingLockManager } from "../../../../kernel/runtime/sync.js";
import { SwampCommand } from "../../../base.js";
import { showTransfers, syncingKernel } from "../sync.js";

interface CopyResult {
  files: number;
  bytes: number;
  copied: string[];
  errors: string[];
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Copies `src` into `dest` for a migration that can be re-run: identical files are skipped,
 * a file whose content differs is an error (never overwritten), every copy lands through a
 * hidden temp file and a rename. Hidden files (indexes, temp files) are local and skipped; old
 * `latest` symlinks become text files.
 */
async function copyForMigration(src: string, dest: string, rel: string, out: CopyResult, onFile?: () => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(src, { withFileTypes: true });
  } catch {
    return;
  }
  await mkdir(dest, { recursive: true });
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const from = join(src, e.name);
    const to = join(dest, e.name);
    const childRel = `${rel}/${e.name}`;
    try {
      if (e.isDirectory()) {
        await copyForMigration(from, to, childRel, out, onFile);
        continue;
      }
      let content: string | null = null;
      if (e.isSymbolicLink()) {
        const target = (await readlink(from)).replace(/\/+$/, "");
        if (!/^[0-9]+$/.test(target)) {
          out.errors.push(`${childRel}: symbolic link to ${target} cannot be migrated`);
          continue;
        }
        content = target;
      } else if (!e.isFile()) {
        continue;
      }
      const existing = await lstat(to).catch(() => null);
      if (existing) {
        const same = content !== null ? (await sha256(to)) === createHash("sha256").update(content).digest("hex") : (await sha256(to)) === (await sha256(from));
        if (!same) out.errors.push(`${childRel}: the remote datastore already holds different content at this path`);
        continue;
      }
      const temp = join(dest, `.${e.name}.${randomBytes(6).toString("hex")}.tmp`);
      if (content !== null) await writeFile(temp, content);
      else await copyFile(from, temp);
      await rename(temp, to).catch(async (err) => {
        await unlink(temp).catch(() => {});
        throw err;
      });
      out.files++;
      out.bytes += (await lstat(to)).size;
      out.copied.push(childRel);
      onFile?.();
    } catch (err) {
      out.errors.push(`${childRel}: ${errorMessage(err)}`);
    }
  }
}

export default class DatastoreSetupS3Command extends SwampCommand {
  static override paths = [["datastore", "setup", "s3"]];
  static override usage = Command.Usage({
    description: "Keep this repo's runtime data in an S3 bucket shared by a team and CI",
    details:
      "Checks the bucket is reachable, pulls what the bucket already holds into the local cache, copies this repo's " +
      "existing runtime data into the cache and pushes it (unless --skip-migration), and only then points .swamp.yaml " +
      "at the bucket and removes the old local copy. Interrupted or failed runs change nothing in .swamp.yaml and can " +
      "simply be re-run. Credentials come from the AWS default chain (AWS_PROFILE, env keys, SSO, roles).",
    examples: [
      ["Use a bucket", "swamp datastore setup s3 --bucket my-team-swamp --prefix infra --region eu-west-1"],
      ["Use MinIO or another S3-compatible store", "swamp datastore setup s3 --bucket swamp --endpoint http://minio:9000 --force-path-style"],
    ],
  });

  bucket = Option.String("--bucket", { required: true, description: "Bucket name" });
  prefix = Option.String("--prefix", { description: "Key prefix inside the bucket (share one bucket between repos)" });
  region = Option.String("--region", { description: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or us-east-1)" });
  endpoint = Option.String("--endpoint", { description: "Endpoint URL of an S3-compatible store" });
  forcePathStyle = Option.Boolean("--force-path-style", false, { description: "Address the bucket in the path, not the host name" });
  skipMigration = Option.Boolean("--skip-migration", false, { description: "Do not copy this repo's existing data to the bucket" });
  timeout = Option.String("--timeout", { description: "Deadline per sync direction, in seconds (1-21600)" });

  async run(): Promise<number> {
    const { S3ConfigSchema, createS3Provider } = await import("../../../../builtins/datastore-s3/index.js");
    // Before the health check, which would report a missing (optional) AWS SDK as an unreachable bucket.
    await (await import("../../../../builtins/datastore-s3/client.js")).loadSdk();
    const raw: Record<string, unknown> = { bucket: this.bucket };
    if (this.prefix !== undefined && this.prefix.replace(/^\/+|\/+$/g, "") !== "") raw.prefix = this.prefix.replace(/^\/+|\/+$/g, "");
    if (this.region !== undefined) raw.region = this.region;
    if (this.endpoint !== undefined) raw.endpoint = this.endpoint;
    if (this.forcePathStyle) raw.forcePathStyle = true;
    const parsed = S3ConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`Invalid S3 datastore settings: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid value"}`);
    }
    const config = parsed.data;
    const timeoutMs = this.timeout !== undefined ? parseSyncTimeoutFlag(this.timeout) : syncTimeoutMs(process.env);

    const kernel = await syncingKernel(this);
    const provider = createS3Provider(config);
    const health = await provider.createVerifier().verify();
    if (!health.healthy) throw new SwampError(ErrorCode.datastoreUnavailable, `Datastore is not accessible: ${health.message}`);

    const marker = await readMarker(kernel.repoDir);
    const cachePath = provider.resolveCachePath?.(kernel.repoDir) ?? resolve(swampHome(process.env), "repos", marker.repoId ?? "unknown");
    requireDatastorePath(cachePath, pathAnchors(kernel.repoDir, process.env), "user", "The datastore cache path");
    const service = provider.createSyncService?.(kernel.repoDir, cachePath);
    if (!service) throw new SwampError(ErrorCode.internal, "the S3 provider has no sync service");
    const label = `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ""}`;
    const directories = kernel.datastore.directories;
    const sync = new DatastoreSync(service, { label, cachePath, repoDir: kernel.repoDir, timeoutMs, directories });
    const progress = await this.progress();
    showTransfers(sync, progress);
    const sourceBase = kernel.paths.datastoreBase;
    const migrate = !this.skipMigration && resolve(sourceBase) !== resolve(cachePath);

    const result = {
      type: "s3",
      bucket: config.bucket,
      ...(config.prefix ? { prefix: config.prefix } : {}),
      filesCopied: 0,
      bytesCopied: 0,
      filesPushed: 0,
      filesPulled: 0,
      directoriesMigrated: [] as string[],
      errors: [] as string[],
      warnings: [] as string[],
      sourcePath: sourceBase,
      destinationPath: cachePath,
      retryHint: undefined as string | undefined,
    };

    const work = async () => {
      await mkdir(cachePath, { recursive: true });
      // Join what the bucket already holds first, so local data is copied on top of it and
      // any clash shows up as an error instead of an overwrite.
      try {
        const pulled = await sync.pull(undefined, timeoutMs);
        result.filesPulled += pulled.files;
        result.warnings.push(...pulled.warnings);
      } catch (err) {
        result.errors.push(`pull from ${label}: ${errorMessage(err)}`);
        return;
      }
      if (!migrate) return;
      const copied: string[] = [];
      let files = 0;
      const onFile = () => {
        if (++files === 1) progress.start(`Copying local data into the cache of ${label}`, undefined, "files");
        progress.update(files);
      };
      for (const dir of directories) {
        const stats: CopyResult = { files: 0, bytes: 0, copied: [], errors: [] };
        await copyForMigration(join(sourceBase, dir), join(cachePath, dir), dir, stats, onFile);
        result.filesCopied += stats.files;
        result.bytesCopied += stats.bytes;
        result.errors.push(...stats.errors);
        copied.push(...stats.copied);
        if (!(await lstat(join(sourceBase, dir)).catch(() => null))) continue;
        if (stats.errors.length === 0) result.directoriesMigrated.push(dir);
        await service.markDirty({ relPath: dir });
      }
      progress.clear();
      await sync.invalidateDataIndex(copied);
      if (result.errors.length > 0) return;
      try {
        const pushed = await sync.push([], timeoutMs);
        result.filesPushed = pushed.files;
        result.warnings.push(...pushed.warnings);
      } catch (err) {
        result.errors.push(`push to ${label}: ${errorMessage(err)}`);
      }
    };
    // The current datastore's global lock keeps this repo's writers out while data moves.
    if (kernel.locks instanceof SyncingLockManager) await kernel.locks.withGlobalLockNoSync(work);
    else await kernel.locks.withGlobalLock(work);

    if (result.errors.length === 0) {
      const fresh = await readMarker(kernel.repoDir);
      const keep = fresh.datastore;
      fresh.datastore = {
        type: "s3",
        config: { ...config },
        ...(keep?.directories ? { directories: keep.directories } : {}),
        ...(keep?.exclude ? { exclude: keep.exclude } : {}),
      };
      await writeMarker(kernel.repoDir, fresh);
      // The copy is in the bucket and the config points there: the old copy can go.
      if (migrate && kernel.datastore.type === "filesystem") {
        for (const dir of result.directoriesMigrated) await rm(join(sourceBase, dir), { recursive: true, force: true });
      }
    } else {
      result.retryHint = "Re-run the same command to retry. Local data is preserved and the retry is safe.";
    }

    const out: Record<string, unknown> = { ...result };
    if (out.retryHint === undefined) delete out.retryHint;
    this.emit(out, () => {
      if (result.errors.length > 0) {
        return ["Setup incomplete; .swamp.yaml unchanged. Errors:", ...result.errors.map((e) => `  ${e}`), String(result.retryHint)].join("\n");
      }
      return [
        `Datastore set to ${label} (cache ${cachePath})`,
        `Pulled ${result.filesPulled} file(s); migrated ${result.filesCopied} file(s) (${result.bytesCopied} bytes) and pushed ${result.filesPushed}`,
      ].join("\n");
    });
    return result.errors.length > 0 ? 1 : 0;
  }
}
