import { Command, Option } from "clipanion";
import { ErrorCode, errorCode, errorMessage, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { createKernel, type Kernel } from "../../../kernel/runtime/kernel.js";
import { attachSync, datastoreSync, parseSyncTimeoutFlag, SyncingLockManager, type DatastoreSync } from "../../../kernel/runtime/sync.js";
import { ensureS3Registered } from "../../../builtins/datastore-s3/register.js";
import { builtinRegistry } from "../../builtins.js";
import { SwampCommand } from "../../base.js";
import type { ProgressReporter } from "../../progress.js";

/**
 * The command's kernel with the syncing lock manager installed. Falls back to a registry that
 * knows the S3 builtin when the CLI's builtin list does not register it (idempotent once it does).
 */
export async function syncingKernel(command: SwampCommand): Promise<Kernel> {
  try {
    return attachSync(await command.kernel());
  } catch (err) {
    if (errorCode(err) !== ErrorCode.datastoreUnknownType) throw err;
    const kernel = await createKernel({
      repoDir: command.resolvedRepoDir(),
      env: process.env,
      registry: ensureS3Registered(builtinRegistry()),
      datastoreFlag: command.datastoreOverride,
    });
    return attachSync(kernel);
  }
}

/** Draws the files each pull and push moves; the line goes once a direction's last file moved (warnings follow on a clean line). */
export function showTransfers(sync: DatastoreSync, progress: ProgressReporter): void {
  sync.onTransfer = (direction, done, total) => {
    if (done === 0) progress.start(direction === "pull" ? `Pulling from ${sync.config.label}` : `Pushing to ${sync.config.label}`, total, "files");
    else if (done < total) progress.update(done, { total });
    else progress.clear();
  };
}

export default class DatastoreSyncCommand extends SwampCommand {
  static override paths = [["datastore", "sync"]];
  static override usage = Command.Usage({
    description: "Pull remote changes into the local cache and push local changes to the remote datastore",
    details:
      "Without flags: pull, then push. --pull only downloads (no lock); --push and a full sync hold the global lock " +
      "while local changes wait to be pushed. " +
      "A sync that finds nothing to do costs one request. Each direction is bounded by --timeout (seconds) or " +
      "SWAMP_DATASTORE_SYNC_TIMEOUT_MS (default 300 s).",
    examples: [
      ["Sync both ways", "swamp datastore sync"],
      ["Only fetch what others pushed", "swamp datastore sync --pull --json"],
      ["Send what is waiting locally, allowing 30 minutes", "swamp datastore sync --push --timeout 1800"],
    ],
  });

  pull = Option.Boolean("--pull", false, { description: "Only pull" });
  push = Option.Boolean("--push", false, { description: "Only push" });
  timeout = Option.String("--timeout", { description: "Deadline per direction, in seconds (1-21600)" });

  async run(): Promise<number> {
    if (this.pull && this.push) throw new UsageError("Use --pull or --push, not both (no flag syncs both ways)");
    const timeoutMs = this.timeout !== undefined ? parseSyncTimeoutFlag(this.timeout) : undefined;
    const kernel = await syncingKernel(this);
    const sync = datastoreSync(kernel);
    if (!sync) {
      throw new SwampError(
        "sync_not_supported",
        `The ${kernel.datastore.type} datastore keeps its data in place and has nothing to sync; 'swamp datastore sync' is for remote datastores such as S3.`,
      );
    }
    const mode = this.pull ? "pull" : this.push ? "push" : "sync";
    const progress = await this.progress();
    showTransfers(sync, progress);
    const out: { mode: string; filesPulled?: number; filesPushed?: number; errors: string[]; warnings?: string[] } = { mode, errors: [] };
    const warnings: string[] = [];
    // Nothing waiting locally: the push would do nothing, so neither it nor the global lock
    // is needed, and a sync that finds nothing new remotely costs the pull's one request.
    const idle = mode !== "pull" && (await sync.nothingToPush());
    const body = async () => {
      if (mode !== "push") {
        const pulled = await sync.pull(undefined, timeoutMs);
        out.filesPulled = pulled.files;
        warnings.push(...pulled.warnings);
      }
      if (idle) out.filesPushed = 0;
      else if (mode !== "pull") {
        try {
          const pushed = await sync.push([], timeoutMs);
          out.filesPushed = pushed.files;
          warnings.push(...pushed.warnings);
        } catch (err) {
          if (errorCode(err) !== "sync_conflict") throw err;
          out.filesPushed = 0;
          out.errors.push(errorMessage(err));
        }
      }
    };
    // A pull alone takes no lock; pushing holds the global lock, without the implicit pull and
    // push of structural commands, so the counts reported are this command's own.
    if (mode === "pull" || idle) await body();
    else if (kernel.locks instanceof SyncingLockManager) await kernel.locks.withGlobalLockNoSync(body);
    else await kernel.locks.withGlobalLock(body);
    progress.clear();
    if (warnings.length > 0) out.warnings = warnings;
    this.emit(out, () => {
      const lines: string[] = [];
      if (out.filesPulled !== undefined) lines.push(out.filesPulled === 0 ? `${sync.config.label}: already up to date` : `Pulled ${out.filesPulled} file(s) from ${sync.config.label}`);
      if (out.filesPushed !== undefined) lines.push(out.filesPushed === 0 && out.errors.length === 0 ? "Nothing to push" : `Pushed ${out.filesPushed} file(s) to ${sync.config.label}`);
      for (const e of out.errors) lines.push(`Error: ${e}`);
      return lines.join("\n");
    });
    return out.errors.length > 0 ? 1 : 0;
  }
}
