import { Command, Option } from "clipanion";
import { UsageError } from "../../../../kernel/contract/errors.js";
import { modelLockKey } from "../../../../kernel/contract/lock-keys.js";
import { SwampCommand } from "../../../base.js";

const CHANGED = "lock holder changed — aborting to avoid breaking an active lock";

export default class DatastoreLockReleaseCommand extends SwampCommand {
  static override paths = [["datastore", "lock", "release"]];
  static override usage = Command.Usage({
    description: "Break a lock left behind by a crashed process",
    details:
      "Deletes the global lock (or a per-model lock with --model) only if it is still held by the holder just inspected. " +
      "Pass --nonce to release only that exact acquisition.",
    examples: [
      ["Release the global lock", "swamp datastore lock release --force"],
      ["Release one model's lock", "swamp datastore lock release --force --model command/shell/<model-id>"],
    ],
  });

  force = Option.Boolean("--force", false, { description: "Required: confirms breaking the lock" });
  nonce = Option.String("--nonce", { description: "Only release the acquisition with this nonce" });
  model = Option.String("--model", { description: "Release the per-model lock of <type>/<id>" });

  async run(): Promise<void> {
    if (!this.force) throw new UsageError("Refusing to break a lock without --force");
    let lockKey: string | undefined;
    if (this.model !== undefined) {
      const slash = this.model.lastIndexOf("/");
      if (slash <= 0 || slash === this.model.length - 1) throw new UsageError(`--model must be <type>/<id>, got "${this.model}"`);
      lockKey = modelLockKey(this.model.slice(0, slash), this.model.slice(slash + 1));
    }
    const kernel = await this.kernel();
    const lock = lockKey ? kernel.locks.lock(lockKey) : kernel.locks.globalLock();
    const info = await lock.inspect();
    let result: Record<string, unknown>;
    if (!info) result = { released: false, reason: "no lock held" };
    else if (this.nonce !== undefined && info.nonce !== this.nonce) result = { released: false, reason: CHANGED, currentHolder: info };
    else if (await lock.forceRelease(info.nonce as string)) result = { released: true, previousHolder: info };
    else result = { released: false, reason: CHANGED };
    this.emit(result, () =>
      result.released
        ? `Released lock held by ${info?.holder} (pid ${info?.pid})`
        : `Lock not released: ${String(result.reason)}`,
    );
  }
}
