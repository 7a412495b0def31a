/**
 * The vault audit trail: one JSON line per operation in
 * `<audit dir>/vault-audit-YYYY-MM-DD.jsonl` (UTC date):
 *
 *   {"action":"put","timestamp":"…","vaultName":"…","vaultType":"…","secretKey":"…","callerContext":"…"}
 *
 * put and delete are always recorded, get only for vaults with `auditReads: true`. An entry
 * names the key, never the value. Each line is one O_APPEND write, so concurrent writers never
 * interleave and no earlier line is ever rewritten (an append-only log cannot be replaced
 * atomically without losing a racing writer's line).
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";

export type VaultAuditAction = "get" | "put" | "delete" | "annotate";

export interface VaultAuditEntry {
  action: VaultAuditAction;
  timestamp: string;
  vaultName: string;
  vaultType: string;
  secretKey: string;
  callerContext: string;
}

export function auditFileName(at: Date): string {
  return `vault-audit-${at.toISOString().slice(0, 10)}.jsonl`;
}

export class VaultAuditLog {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
    /** Called before a line is appended (the audit directory is in the datastore tier). */
    private readonly markDirty?: (absPath?: string) => Promise<void>,
  ) {}

  async record(entry: Omit<VaultAuditEntry, "timestamp">): Promise<void> {
    const at = this.now();
    const line: VaultAuditEntry = {
      action: entry.action,
      timestamp: at.toISOString(),
      vaultName: entry.vaultName,
      vaultType: entry.vaultType,
      secretKey: entry.secretKey,
      callerContext: entry.callerContext,
    };
    const file = join(this.dir, auditFileName(at));
    await this.markDirty?.(file);
    await mkdir(this.dir, { recursive: true });
    await appendFile(file, `${JSON.stringify(line)}\n`, { mode: 0o600, flag: "a" });
  }
}
