/**
 * Auto-resolve on first use: a type the repo refers to (a model definition's type, a vault
 * config's type, the configured datastore type) that no builtin, local, source-mounted or pulled extension
 * provides is pulled from the registry when its collective is trusted.
 *
 * The extension is found by name: the type itself, then the type with trailing segments
 * dropped while at least `@collective/name` remains (`@acme/aws/ec2` tries `@acme/aws/ec2`,
 * then `@acme/aws`). A lockfile entry among those names wins and is installed at its pinned
 * version and integrity; otherwise the first name the registry has, at its latest version.
 * Installing never replaces existing files. A type from an untrusted collective is not
 * fetched: its usual "unknown type" error says so and names the trust command.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { SwampError } from "../../kernel/contract/errors.js";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import type { PluginRegistry } from "../../kernel/runtime/registry.js";
import { RegistryClient } from "./client.js";
import { resolveRegistry } from "./config.js";
import { installExtension, type InstallContext } from "./install.js";
import { lockfilePath, readLockfile, type Lockfile } from "./lockfile.js";
import { isExtensionName, toNpmName } from "./names.js";
import { collectiveOfName, isTrusted, untrustedHint } from "./trust.js";

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

/**
 * Pulls the extensions of the missing trusted types; marks missing untrusted ones in the
 * registry. Returns the extensions installed (the caller registers their types).
 */
export async function autoResolve(
  registry: PluginRegistry,
  ctx: Pick<InstallContext, "repoDir" | "marker" | "env">,
  refs: readonly TypeRef[],
  onInstalled?: (line: string) => void,
): Promise<string[]> {
  const missing = refs.filter((r) => r.type.startsWith("@") && candidateNames(r.type).length > 0 && !provided(registry, r));
  if (missing.length === 0) return [];
  let lock: Lockfile;
  try {
    lock = await readLockfile(lockfilePath(ctx.repoDir, ctx.marker, ctx.env));
  } catch (err) {
    // A damaged lockfile must not be read as "no pins": resolve nothing, say why where it matters.
    if (!(err instanceof SwampError)) throw err;
    for (const ref of missing) registry.markUnresolved(ref.kind, ref.type, `It cannot be installed automatically: ${err.message}`);
    return [];
  }
  const installed: string[] = [];
  for (const ref of missing) {
    const collective = collectiveOfName(ref.type);
    if (!isTrusted(collective, ctx.marker)) {
      registry.markUnresolved(
        ref.kind,
        ref.type,
        `It is not installed, and collective "${collective}" is not trusted to install it automatically. ${untrustedHint(collective)} (or pull it: swamp extension pull @${collective}/<name>)`,
      );
      continue;
    }
    try {
      const name = await resolveOne(ctx, ref, lock, installed, onInstalled);
      if (name) installed.push(name);
    } catch (err) {
      // Only a command that needs this type fails, with the reason; the others go on.
      if (!(err instanceof SwampError)) throw err;
      registry.markUnresolved(ref.kind, ref.type, `Installing it from the registry failed (${err.code}): ${err.message}`);
    }
  }
  return installed;
}

/** Finds and installs the extension for one trusted type; returns its name, or null when nothing publishes it. */
async function resolveOne(
  ctx: Pick<InstallContext, "repoDir" | "marker" | "env">,
  ref: TypeRef,
  lock: Lockfile,
  installed: readonly string[],
  onInstalled?: (line: string) => void,
): Promise<string | null> {
  const names = candidateNames(ref.type);
  if (names.some((n) => installed.includes(n))) return null;
  const pinned = names.find((n) => lock[n]);
  let name = pinned;
  if (!name) {
    for (const candidate of names) {
      const client = new RegistryClient(await resolveRegistry({ repoDir: ctx.repoDir, env: ctx.env, extension: candidate }));
      if (await client.packument(toNpmName(candidate), { abbreviated: true })) {
        name = candidate;
        break;
      }
    }
  }
  if (!name) return null; // nothing publishes it: the usual "unknown type" error follows.
  const entry = pinned ? lock[pinned] : undefined;
  const [main] = await installExtension(
    { ...ctx, force: false },
    { name, ...(entry ? { version: entry.version, ...(entry.integrity ? { integrity: entry.integrity } : {}) } : {}) },
  );
  onInstalled?.(`Installed ${main!.name}@${main!.version} for ${ref.kind} type ${ref.type}${pinned ? " (pinned by the lockfile)" : ""}`);
  return name;
}
