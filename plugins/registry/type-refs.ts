/**
 * The types a repo refers to that an extension could provide, found cheaply (directory names
 * only): what every command checks before it loads any registry code (auto-resolve.ts).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import type { PluginRegistry } from "../../kernel/runtime/registry.js";
import { isExtensionName } from "./names.js";

export interface TypeRef {
  kind: PluginKind;
  type: string;
}

/**
 * The types named by the directories of `root` that hold YAML files: model definitions live
 * at `models/@c/name/<id>.yaml`, vault configs at `vaults/@c/name/<id>.yaml`.
 */
export async function typesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, segments: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (segments.length >= 2 && entries.some((e) => e.isFile() && /\.ya?ml$/.test(e.name))) out.push(segments.join("/"));
    if (segments.length >= 6) return;
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) await walk(join(dir, e.name), [...segments, e.name]);
  }
  let scopes;
  try {
    scopes = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  for (const s of scopes) if (s.isDirectory() && s.name.startsWith("@")) await walk(join(root, s.name), [s.name]);
  return out.sort();
}

/** Names an extension providing `type` may have, longest first. */
export function candidateNames(type: string): string[] {
  const segments = type.toLowerCase().split("/");
  const out: string[] = [];
  for (let n = segments.length; n >= 2; n--) {
    const name = segments.slice(0, n).join("/");
    if (isExtensionName(name)) out.push(name);
  }
  return out;
}

function provided(registry: PluginRegistry, ref: TypeRef): boolean {
  const t = ref.type;
  return registry.get(ref.kind, t) !== undefined || registry.get(ref.kind, t.startsWith("@") ? t.slice(1) : `@${t}`) !== undefined;
}

/** The refs no registered plugin provides and an extension could (an `@collective/…` type). */
export function missingTypes(registry: PluginRegistry, refs: readonly TypeRef[]): TypeRef[] {
  return refs.filter((r) => r.type.startsWith("@") && candidateNames(r.type).length > 0 && !provided(registry, r));
}
