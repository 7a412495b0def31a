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
import { appendFile, mkdir, readFile } from "node:fs/promises";
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

export const AUDIT_ACTIONS: readonly VaultAuditAction[] = ["get", "put", "delete", "annotate"];
const DAY_MS = 86_400_000;

export interface AuditQuery {
  since: Date;
  until: Date;
  vault?: string;
  key?: string;
  action?: VaultAuditAction;
  limit: number;
}

function asEntry(value: unknown): VaultAuditEntry | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const fields = ["action", "timestamp", "vaultName", "vaultType", "secretKey", "callerContext"] as const;
  if (!fields.every((f) => typeof v[f] === "string")) return null;
  if (!AUDIT_ACTIONS.includes(v.action as VaultAuditAction) || Number.isNaN(Date.parse(v.timestamp as string))) return null;
  const entry = {} as Record<string, string>;
  for (const f of fields) entry[f] = v[f] as string;
  return entry as unknown as VaultAuditEntry;
}

/**
 * Entries of the window `[since, until]` that match, newest first, at most `limit` of them;
 * `truncated` when more matched. Only the day files of the window are read; a line that is not
 * an entry (another program's, or a torn one) is skipped.
 */
export async function readAuditTrail(dir: string, q: AuditQuery): Promise<{ entries: VaultAuditEntry[]; truncated: boolean }> {
  const matches: VaultAuditEntry[] = [];
  const from = Date.parse(q.since.toISOString().slice(0, 10));
  for (let day = from; day <= q.until.getTime(); day += DAY_MS) {
    let text: string;
    try {
      text = await readFile(join(dir, auditFileName(new Date(day))), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let entry: VaultAuditEntry | null;
      try {
        entry = asEntry(JSON.parse(line));
      } catch {
        entry = null;
      }
      if (!entry) continue;
      const at = Date.parse(entry.timestamp);
      if (at < q.since.getTime() || at > q.until.getTime()) continue;
      if ((q.vault !== undefined && entry.vaultName !== q.vault) || (q.key !== undefined && entry.secretKey !== q.key) || (q.action !== undefined && entry.action !== q.action)) continue;
      matches.push(entry);
    }
  }
  // Newest first; equal timestamps keep the later line first.
  const ordered = matches.map((e, i) => ({ e, i, t: Date.parse(e.timestamp) })).sort((a, b) => b.t - a.t || b.i - a.i);
  const page = ordered.slice(0, q.limit + 1).map((x) => x.e);
  return { entries: page.slice(0, q.limit), truncated: page.length > q.limit };
}
