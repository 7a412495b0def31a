/**
 * The one redaction layer: every sink (terminal, log files, data, reports, --json) goes through
 * a Redactor holding the run's live secret values, and each occurrence becomes `***`.
 *
 * Two ways in, never mixed:
 * - `redact(text)` for text meant to be read (log lines, terminal output, messages, markdown).
 * - `redactValue(value)` for structured values (resources, report JSON, argument maps, the
 *   evaluated definition): it rewrites string *values* only, before the value is serialized.
 *   Keys, numbers and the serialization itself are never touched, so a secret equal to `stdout`
 *   or `","` cannot rename a key or break the JSON.
 *
 * Values are matched longest first, also in their JSON-escaped form (a log line may quote
 * JSON); values shorter than 3 characters are not registered (they would shred ordinary
 * text). A multi-line value also registers each of its lines of 4 characters or more: output
 * is redacted line by line (a command printing a PEM key shows it one line at a time), so the
 * whole value never appears in one piece.
 */
export const REDACTED = "***";

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  register(value: string): void {
    if (typeof value !== "string" || value.length < 3) return;
    const forms = [value, JSON.stringify(value).slice(1, -1)];
    if (/[\r\n]/.test(value)) {
      for (const line of value.split(/\r?\n|\r/)) if (line.trim().length >= 4) forms.push(line, JSON.stringify(line).slice(1, -1));
    }
    for (const form of forms) {
      if (form.length >= 3 && !this.secrets.has(form)) {
        this.secrets.add(form);
        this.pattern = null;
      }
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    if (this.secrets.size === 0 || text.length === 0) return text;
    if (!this.pattern) {
      const sorted = [...this.secrets].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
    }
    return text.replace(this.pattern, REDACTED);
  }

  /**
   * A copy of a JSON-like value with every string value redacted; keys are kept as they are.
   * `keep` leaves chosen strings alone (e.g. vault references, which name a key, not a value).
   */
  redactValue<T>(value: T, keep?: (text: string) => boolean): T {
    if (this.secrets.size === 0) return value;
    const walk = (node: unknown): unknown => {
      if (typeof node === "string") return keep?.(node) ? node : this.redact(node);
      if (Array.isArray(node)) return node.map(walk);
      if (node && typeof node === "object" && !(node instanceof Uint8Array)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(node)) out[k] = walk(v);
        return out;
      }
      return node;
    };
    return walk(value) as T;
  }
}

/**
 * Redacts lines joined by "\n" exactly as redacting each line alone would: a block in which
 * nothing matches is returned as it is (one scan); otherwise line by line, so a multi-line
 * secret is redacted the way line-by-line output always saw it.
 */
export function redactLines(redactor: Pick<Redactor, "redact">, block: string): string {
  const once = redactor.redact(block);
  if (once === block || !block.includes("\n")) return once;
  return block.split("\n").map((line) => redactor.redact(line)).join("\n");
}
