/**
 * Negative lookup cache for auto-resolve: "registry R has no package P", remembered for a short
 * time in `.swamp/extension-lookup-misses.json`, so a trusted type that nothing publishes does not
 * cost a registry request on every command. Only auto-resolve reads it; explicit commands
 * (`pull`, `install`, `update`) always ask the registry.
 *
 *   { "<registry url> <npm name>": { "checkedAt": "2026-…Z" } }
 *
 * It is a cache: a file that cannot be read or parsed counts as empty, and concurrent writers
 * may lose each other's entries (the next lookup simply asks again).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";

export const LOOKUP_MISS_FILE = join(".swamp", "extension-lookup-misses.json");
export const LOOKUP_MISS_TTL_MS = 10 * 60_000;

export type LookupMisses = Record<string, { checkedAt: string }>;

function key(registry: string, npmName: string): string {
  return `${registry} ${npmName}`;
}

export async function readLookupMisses(repoDir: string): Promise<LookupMisses> {
  try {
    const value: unknown = JSON.parse(await readFile(join(repoDir, LOOKUP_MISS_FILE), "utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    const out: LookupMisses = {};
    for (const [k, v] of Object.entries(value)) {
      const checkedAt = (v as { checkedAt?: unknown } | null)?.checkedAt;
      if (typeof checkedAt === "string") out[k] = { checkedAt };
    }
    return out;
  } catch {
    return {};
  }
}

/** True when the registry said "no such package" less than the TTL ago (a future stamp is not trusted). */
export function isRecentMiss(misses: LookupMisses, registry: string, npmName: string, now = Date.now()): boolean {
  const at = Date.parse(misses[key(registry, npmName)]?.checkedAt ?? "");
  return Number.isFinite(at) && at <= now && now - at < LOOKUP_MISS_TTL_MS;
}

/** Records new misses, dropping expired entries; never fails the command. */
export async function recordLookupMisses(repoDir: string, misses: ReadonlyArray<{ registry: string; npmName: string }>, now = Date.now()): Promise<void> {
  if (misses.length === 0) return;
  const current = await readLookupMisses(repoDir);
  const next: LookupMisses = {};
  for (const [k, v] of Object.entries(current)) {
    const at = Date.parse(v.checkedAt);
    if (Number.isFinite(at) && at <= now && now - at < LOOKUP_MISS_TTL_MS) next[k] = v;
  }
  const stamp = new Date(now).toISOString();
  for (const m of misses) next[key(m.registry, m.npmName)] = { checkedAt: stamp };
  await atomicWriteFile(join(repoDir, LOOKUP_MISS_FILE), `${JSON.stringify(next, null, 2)}\n`, { durable: false }).catch(() => {});
}
