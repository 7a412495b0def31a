/**
 * Auto-resolve on first use: a type the repo refers to (a model definition's type, a vault
 * config's type, the configured datastore type, checked when a command starts) or that a command
 * asks for (a driver, a report, `vault create <type>`, through PluginRegistry.ensure) that no
 * builtin, local, source-mounted or pulled extension provides is pulled from the registry when
 * its collective is trusted.
 *
 * The extension is found by name: the type itself, then the type with trailing segments
 * dropped while at least `@collective/name` remains (`@acme/aws/ec2` tries `@acme/aws/ec2`,
 * then `@acme/aws`). A lockfile entry among those names wins and is installed at its pinned
 * version and integrity; otherwise the first name the registry has, at its latest version.
 * A name the registry does not have is remembered for a few minutes (lookup-cache.ts), so a
 * trusted type nothing publishes does not cost a request on every command.
 * Installing never replaces existing files. A type from an untrusted collective is not
 * fetched: its usual "unknown type" error says so and names the trust command.
 */
import { SwampError } from "../../kernel/contract/errors.js";
import type { PluginRegistry } from "../../kernel/runtime/registry.js";
import { RegistryClient } from "./client.js";
import { resolveRegistry } from "./config.js";
import { installExtension, type InstallContext } from "./install.js";
import { isRecentMiss, readLookupMisses, recordLookupMisses } from "./lookup-cache.js";
import { lockfilePath, readLockfile, type Lockfile } from "./lockfile.js";
import { toNpmName } from "./names.js";
import { collectiveOfName, isTrusted, untrustedHint } from "./trust.js";
import { candidateNames, missingTypes, type TypeRef } from "./type-refs.js";

/**
 * Pulls the extensions of the missing trusted types; marks missing untrusted ones in the
 * registry. Returns the extensions installed (the caller registers their types).
 */
export async function autoResolve(
  registry: PluginRegistry,
  ctx: Pick<InstallContext, "repoDir" | "marker" | "env" | "progress" | "onProgress">,
  refs: readonly TypeRef[],
  onInstalled?: (line: string) => void,
): Promise<string[]> {
  const missing = missingTypes(registry, refs);
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
      else if (!candidateNames(ref.type).some((n) => installed.includes(n))) {
        registry.markUnresolved(ref.kind, ref.type, `No extension in the registry publishes it (looked for ${candidateNames(ref.type).join(", ")}); install one with: swamp extension pull <@collective/name>`);
      }
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
  ctx: Pick<InstallContext, "repoDir" | "marker" | "env" | "progress" | "onProgress">,
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
    const misses = await readLookupMisses(ctx.repoDir);
    const fresh: Array<{ registry: string; npmName: string }> = [];
    for (const candidate of names) {
      const client = new RegistryClient(await resolveRegistry({ repoDir: ctx.repoDir, env: ctx.env, extension: candidate }));
      const npmName = toNpmName(candidate);
      if (isRecentMiss(misses, client.target.url, npmName)) continue;
      if (await client.packument(npmName, { abbreviated: true })) {
        name = candidate;
        break;
      }
      fresh.push({ registry: client.target.url, npmName });
    }
    await recordLookupMisses(ctx.repoDir, fresh);
  }
  if (!name) return null;
  const entry = pinned ? lock[pinned] : undefined;
  const [main] = await installExtension(
    { ...ctx, force: false },
    { name, ...(entry ? { version: entry.version, ...(entry.integrity ? { integrity: entry.integrity } : {}) } : {}) },
  );
  onInstalled?.(`Installed ${main!.name}@${main!.version} for ${ref.kind} type ${ref.type}${pinned ? " (pinned by the lockfile)" : ""}`);
  return name;
}
