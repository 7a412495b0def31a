/**
 * Secret sentinels: while a run evaluates `vault.get(...)`, each secret stands in the arguments
 * as `__SWAMP_VSEC_<8 hex>_<n>__` until it is placed (revealed for methods, turned into an
 * environment variable for shells, hidden in what is shown or saved). No CEL in here, so the
 * run path can use it without loading the engine.
 */
export const SENTINEL_PATTERN = /__SWAMP_VSEC_[0-9a-f]{8}_\d+__/g;
const MARKER = "__SWAMP_VSEC_";

/** Replaces every sentinel inside the strings of a JSON-like value (returns a copy). */
export function mapSentinels<T>(value: T, replace: (sentinel: string) => string): T {
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") return node.includes(MARKER) ? node.replace(SENTINEL_PATTERN, replace) : node;
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v);
      return out;
    }
    return node;
  };
  return walk(value) as T;
}

/** Every sentinel becomes its secret (for consumers that need the value). */
export function revealSecrets<T>(value: T, secrets: ReadonlyMap<string, string>): T {
  return mapSentinels(value, (s) => secrets.get(s) ?? s);
}

/** Every sentinel becomes `***` (for what is shown or saved). */
export function hideSentinels<T>(value: T): T {
  return mapSentinels(value, () => "***");
}
