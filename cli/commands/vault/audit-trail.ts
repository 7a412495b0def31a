import { Command, Option } from "clipanion";
import { UsageError } from "../../../kernel/contract/errors.js";
import { AUDIT_ACTIONS, readAuditTrail, type VaultAuditAction } from "../../../kernel/vaults/audit.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";

const DAY_MS = 86_400_000;
const MAX_WINDOW_DAYS = 365;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO-8601 date or date-time; a date alone means the start of that UTC day (its end, for `--until`). */
export function parseAuditDate(text: string, endOfDay: boolean): Date {
  const t = text.trim();
  const dateOnly = DATE_ONLY.test(t);
  let ms = Number.NaN;
  if (dateOnly) ms = Date.parse(`${t}T00:00:00Z`);
  // A date-time without a zone is UTC, whatever the machine's zone.
  else if (DATE_TIME.test(t)) ms = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`);
  // Date.parse may roll 2026-02-30 over to March: a day that does not exist is refused.
  const rolledOver = !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) !== t.slice(0, 10) && dateOnly;
  if (Number.isNaN(ms) || rolledOver) {
    throw new UsageError(`Invalid date: ${t.slice(0, 40)}. Use an ISO-8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z`);
  }
  return new Date(dateOnly && endOfDay ? ms + DAY_MS - 1 : ms);
}

export default class VaultAuditTrailCommand extends SwampCommand {
  static override paths = [["vault", "audit-trail"]];
  static override usage = Command.Usage({
    description: "Show the vault audit trail: which secrets were written, deleted, annotated (and read, for vaults that audit reads)",
    details:
      "Entries are listed newest first. The window defaults to the last 7 days and spans at most 365 days; a date " +
      "without a time means the whole UTC day. Entries name keys, never values.",
    examples: [
      ["The last week", "swamp vault audit-trail"],
      ["Writes to one key since a date", "swamp vault audit-trail --vault dev-secrets --key api-token --action put --since 2026-01-01"],
    ],
  });

  vault = Option.String("--vault", { description: "Only this vault" });
  key = Option.String("--key", { description: "Only this secret key" });
  action = Option.String("--action", { description: "Only get, put, delete or annotate" });
  since = Option.String("--since", { description: "Start of the window (ISO-8601 date or date-time; default 7 days before --until)" });
  until = Option.String("--until", { description: "End of the window (ISO-8601 date or date-time; default now)" });
  limit = Option.String("--limit", "100", { description: "Most entries to show (default 100)" });

  async run(): Promise<void> {
    if (this.action !== undefined && !AUDIT_ACTIONS.includes(this.action as VaultAuditAction)) {
      throw new UsageError(`Invalid --action "${this.action.slice(0, 40)}": use one of ${AUDIT_ACTIONS.join(", ")}`);
    }
    const limit = Number(this.limit);
    if (!/^\d+$/.test(this.limit) || !Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`Invalid --limit "${this.limit.slice(0, 40)}": use a whole number of 1 or more`);
    const until = this.until !== undefined ? parseAuditDate(this.until, true) : new Date();
    const since = this.since !== undefined ? parseAuditDate(this.since, false) : new Date(until.getTime() - 7 * DAY_MS);
    if (since.getTime() > until.getTime()) throw new UsageError(`--since ${since.toISOString()} is after --until ${until.toISOString()}`);
    if (until.getTime() - since.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
      throw new UsageError(`The window from --since to --until spans more than ${MAX_WINDOW_DAYS} days; narrow it`);
    }

    const kernel = await this.kernel();
    const { entries, truncated } = await readAuditTrail(kernel.paths.resolve("audit"), {
      since,
      until,
      limit,
      ...(this.vault !== undefined ? { vault: this.vault } : {}),
      ...(this.key !== undefined ? { key: this.key } : {}),
      ...(this.action !== undefined ? { action: this.action as VaultAuditAction } : {}),
    });
    this.emit({ entries, returnedCount: entries.length, truncated }, () =>
      [
        `${entries.length} vault operation(s):`,
        ...(entries.length ? [table(entries.map((e) => [e.timestamp, e.action, `${e.vaultName}/${e.secretKey}`, e.vaultType, e.callerContext]))] : []),
        ...(truncated ? ["(results truncated — use --limit to see more)"] : []),
      ].join("\n"),
    );
  }
}
