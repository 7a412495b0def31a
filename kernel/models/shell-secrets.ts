/**
 * Secrets reach a shell only as environment variables. A command text holding vault sentinels
 * is rewritten so each sentinel becomes a reference to `__SWAMP_VAULT_<n>`, quoted for the
 * context it sits in; the secret itself goes into the child's environment. A secret value
 * (however many quotes or semicolons it holds) is then delivered literally and never parsed
 * by the shell.
 */
import { SENTINEL_PATTERN } from "../expressions/sentinels.js";

type Quote = "none" | "single" | "double";

/** Quote state at each index of a POSIX shell word sequence (enough for splicing references). */
function quoteStates(text: string): Quote[] {
  const states: Quote[] = new Array(text.length);
  let state: Quote = "none";
  for (let i = 0; i < text.length; i++) {
    states[i] = state;
    const ch = text[i];
    if (state === "single") {
      if (ch === "'") state = "none";
    } else if (ch === "\\") {
      states[i + 1] = state;
      i++;
    } else if (state === "double") {
      if (ch === '"') state = "none";
    } else if (ch === "'") state = "single";
    else if (ch === '"') state = "double";
  }
  return states;
}

export interface ShellSecrets {
  run: string;
  env: Record<string, string>;
}

export function rewriteShellSecrets(run: string, secrets: ReadonlyMap<string, string>): ShellSecrets {
  if (!run.includes("__SWAMP_VSEC_")) return { run, env: {} };
  const states = quoteStates(run);
  const names = new Map<string, string>();
  const env: Record<string, string> = {};
  let out = "";
  let last = 0;
  for (const match of run.matchAll(SENTINEL_PATTERN)) {
    const sentinel = match[0];
    const at = match.index ?? 0;
    const secret = secrets.get(sentinel);
    if (secret === undefined) continue;
    let name = names.get(sentinel);
    if (!name) {
      name = `__SWAMP_VAULT_${names.size}`;
      names.set(sentinel, name);
      env[name] = secret;
    }
    const ref = `\${${name}}`;
    const state = states[at] ?? "none";
    const replacement = state === "double" ? ref : state === "single" ? `'"${ref}"'` : `"${ref}"`;
    out += run.slice(last, at) + replacement;
    last = at + sentinel.length;
  }
  return { run: out + run.slice(last), env };
}
