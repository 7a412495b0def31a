/**
 * Gitignore-style patterns for `datastore.exclude`: matching paths stay in the repo-local
 * `.swamp/` instead of the datastore. Last match wins; `!` negates; `*` stops at `/`; `**`
 * crosses directories; patterns are anchored at both ends (`telemetry` does not match
 * `telemetry/x` — write `telemetry/**`).
 */

interface CompiledPattern {
  negate: boolean;
  regex: RegExp;
}

function escapeRegex(ch: string): string {
  return /[.+^${}()|\\]/.test(ch) ? `\\${ch}` : ch;
}

function compile(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        if (pattern[i + 2] === "/") {
          re += "(?:.*/)?";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else {
        re += "[^/]*";
      }
    } else if (ch === "?") {
      re += "[^/]";
    } else if (ch === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close === -1) re += "\\[";
      else {
        re += pattern.slice(i, close + 1);
        i = close;
      }
    } else {
      re += escapeRegex(ch);
    }
  }
  return new RegExp(`^${re}$`);
}

export class ExcludeMatcher {
  private readonly patterns: CompiledPattern[];

  constructor(lines: readonly string[]) {
    this.patterns = [];
    for (const raw of lines) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const negate = line.startsWith("!");
      const body = (negate ? line.slice(1) : line).replace(/^\/+/, "");
      this.patterns.push({ negate, regex: compile(body) });
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** `relPath` is relative to the datastore root, e.g. `data/aws/vpc/<id>/x`. */
  matches(relPath: string): boolean {
    const path = relPath.replace(/\\/g, "/").replace(/^\/+/, "");
    let excluded = false;
    for (const p of this.patterns) {
      if (p.regex.test(path)) excluded = !p.negate;
    }
    return excluded;
  }
}
