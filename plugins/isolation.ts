/**
 * Isolation levels from `.swamp.yaml`:
 *
 *   extensions:
 *     isolation: worker            # default for every extension (worker | sandbox)
 *     kinds: { datastore: sandbox }
 *     overrides: { "@acme/s3": worker, "@community": sandbox }
 *
 * The most specific setting wins: `overrides[type]`, then `overrides[collective]` (a key
 * `@collective` or `@collective/*`: every type of that collective, however it was installed),
 * then `kinds[kind]`, then `isolation`.
 */
import type { PluginKind } from "../kernel/contract/plugin.js";

export type Isolation = "worker" | "sandbox";

export interface IsolationPolicy {
  default: Isolation;
  kinds: Partial<Record<PluginKind, Isolation>>;
  overrides: Record<string, Isolation>;
}

const asIsolation = (v: unknown): Isolation | undefined => (v === "worker" || v === "sandbox" ? v : undefined);

export function isolationPolicy(marker: Record<string, unknown>): IsolationPolicy {
  const block = (marker.extensions ?? {}) as { isolation?: unknown; kinds?: Record<string, unknown>; overrides?: Record<string, unknown> };
  const kinds: Partial<Record<PluginKind, Isolation>> = {};
  for (const [k, v] of Object.entries(block.kinds ?? {})) {
    const level = asIsolation(v);
    if (level) kinds[k as PluginKind] = level;
  }
  const overrides: Record<string, Isolation> = {};
  for (const [k, v] of Object.entries(block.overrides ?? {})) {
    const level = asIsolation(v);
    if (level) overrides[k.toLowerCase().replace(/\/\*$/, "")] = level;
  }
  return { default: asIsolation(block.isolation) ?? "worker", kinds, overrides };
}

export function isolationFor(policy: IsolationPolicy, kind: PluginKind, type?: string): Isolation {
  const key = type?.toLowerCase();
  const collective = key?.startsWith("@") ? key.split("/")[0] : undefined;
  const override = (key ? policy.overrides[key] : undefined) ?? (collective ? policy.overrides[collective] : undefined);
  return override ?? policy.kinds[kind] ?? policy.default;
}

/**
 * Isolation for loading a new bundle before its type is known (to describe it): sandbox when
 * the kind is sandboxed or any override asks for sandbox — untrusted code never runs in a
 * worker just because its type was not known yet.
 */
export function isolationBeforeType(policy: IsolationPolicy, kind: PluginKind): Isolation {
  if (isolationFor(policy, kind) === "sandbox") return "sandbox";
  return Object.values(policy.overrides).includes("sandbox") ? "sandbox" : "worker";
}
