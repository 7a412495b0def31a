import { Command } from "clipanion";
import { lastSignOfLife } from "../../../../kernel/contract/lock-keys.js";
import type { LockInfo } from "../../../../kernel/contract/ports/datastore.js";
import { isStale } from "../../../../kernel/runtime/locks.js";
import { SwampCommand } from "../../../base.js";
import { formatAge } from "../../../output.js";

function describe(info: LockInfo): string {
  const stale = isStale(info) ? " (stale)" : "";
  const last = lastSignOfLife(info, Date.now());
  const seen = last === null ? "never" : formatAge(new Date(last).toISOString());
  return `held by ${info.holder} (pid ${info.pid}), last sign of life ${seen}, ttl ${Math.round(info.ttlMs / 1000)}s${stale}`;
}

export default class DatastoreLockStatusCommand extends SwampCommand {
  static override paths = [["datastore", "lock", "status"]];
  static override usage = Command.Usage({
    description: "Show who holds the datastore's global lock and any per-model locks",
    examples: [
      ["Who holds the locks", "swamp datastore lock status"],
      ["As JSON, for a script", "swamp datastore lock status --json"],
    ],
  });

  async run(): Promise<void> {
    const kernel = await this.kernel();
    const [global, models] = await Promise.all([kernel.locks.globalLock().inspect(), kernel.locks.listModelLocks()]);
    const datastoreType = kernel.datastore.type;
    const result = {
      held: global !== null,
      ...(global ? { info: global, stale: isStale(global) } : {}),
      datastoreType,
      models: models.map((m) => ({
        lockScope: `${m.modelType}/${m.modelId}`,
        held: m.info !== null,
        ...(m.info ? { info: m.info, stale: isStale(m.info) } : {}),
      })),
    };
    this.emit(result, () => {
      const lines = [`Global lock: ${global ? describe(global) : "free"}`];
      for (const m of models) lines.push(`Model ${m.modelType}/${m.modelId}: ${m.info ? describe(m.info) : "unreadable lock file"}`);
      return lines.join("\n");
    });
  }
}
