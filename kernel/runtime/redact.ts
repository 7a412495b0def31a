/**
 * The one redaction layer: every sink (terminal, log files, data, reports, --json) passes text
 * through a Redactor holding the run's live secret values, and each occurrence becomes `***`.
 * Values are matched longest first, also in their JSON-escaped form; values shorter than 3
 * characters are not registered (they would shred ordinary text). A multi-line value also
 * registers each of its lines of 4 characters or more: output is redacted line by line (a
 * command printing a PEM key shows it one line at a time), so the whole value never appears
 * in one piece.
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

  /** Redacts every string inside a JSON-like value (returns a copy). */
  redactValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
