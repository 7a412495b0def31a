/**
 * The bundle manifest of one extension kind: `.swamp/<kind>-bundles/manifest.json`, always in
 * the repo's own `.swamp/` (never in a datastore). Per source file it records the state, the
 * fingerprint and the inputs it covers, the bundle, and the descriptor learned by loading the
 * bundle once — everything listing and describing types needs, without loading code.
 *
 * Several CLI processes may update it at once: a write re-reads the file and merges this
 * process's changes by source path before an atomic rename, so a concurrent writer's entries
 * survive (at worst an entry is rebuilt once more).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { PluginKind } from "../kernel/contract/plugin.js";
import { atomicWriteFile } from "../kernel/runtime/atomic-write.js";
import { SWAMP_DIR } from "../kernel/runtime/paths.js";
import type { InputRecord, StatStamp } from "./fingerprint.js";
import type { ExtensionDescriptor } from "./worker/protocol.js";

export type SourceState = "Indexed" | "BundleBuildFailed" | "ValidationFailed" | "EntryPointUnreadable";

export interface ManifestEntry {
  /** Absolute path of the source file. */
  source: string;
  kind: PluginKind;
  state: SourceState;
  fingerprint: string | null;
  inputs: InputRecord[];
  bundlePath: string | null;
  /** Host-provided modules the bundle imports (zod, zod subpaths, the sdk). */
  hostModules: string[];
  /**
   * False when the built bundle never names `createCelEnvironment` (a bundle holds all of an
   * extension's code), so its worker need not load the CEL engine. Absent: assumed true.
   */
  mayUseCel?: boolean;
  descriptor: ExtensionDescriptor | null;
  /** The type the last good build declared (kept while the source is broken). */
  lastType: string | null;
  lastError: string | null;
  updatedAt: string;
}

export interface Manifest {
  version: 1;
  kind: PluginKind;
  /** Bundler identity (format version, esbuild, zod, swamp): a change invalidates every entry. */
  builder: string;
  entries: Record<string, ManifestEntry>;
  /** Candidate files without the kind's export, so they are not re-read on every command. */
  skipped: Record<string, StatStamp>;
}

export function bundleDir(repoDir: string, kind: PluginKind): string {
  return join(repoDir, SWAMP_DIR, `${kind}-bundles`);
}

export function manifestPath(repoDir: string, kind: PluginKind): string {
  return join(bundleDir(repoDir, kind), "manifest.json");
}

export function emptyManifest(kind: PluginKind, builder: string): Manifest {
  return { version: 1, kind, builder, entries: {}, skipped: {} };
}

async function readRaw(path: string): Promise<Manifest | null> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Manifest;
    if (value && value.version === 1 && typeof value.entries === "object" && typeof value.skipped === "object") return value;
  } catch {
    // missing or unreadable: rebuilt from the sources
  }
  return null;
}

export async function readManifest(repoDir: string, kind: PluginKind, builder: string): Promise<Manifest> {
  const raw = await readRaw(manifestPath(repoDir, kind));
  if (!raw || raw.kind !== kind || raw.builder !== builder) return emptyManifest(kind, builder);
  return raw;
}

export interface ManifestChanges {
  /** Entries this process wrote (by source). */
  entries: Set<string>;
  skipped: Set<string>;
  /** Sources this process found gone. */
  removed: Set<string>;
}

export function noChanges(): ManifestChanges {
  return { entries: new Set(), skipped: new Set(), removed: new Set() };
}

export function hasChanges(c: ManifestChanges): boolean {
  return c.entries.size + c.skipped.size + c.removed.size > 0;
}

/** Merges this process's changes into the manifest on disk and writes it atomically. */
export async function saveManifest(repoDir: string, manifest: Manifest, changes: ManifestChanges): Promise<void> {
  const path = manifestPath(repoDir, manifest.kind);
  const onDisk = await readRaw(path);
  const base = onDisk && onDisk.kind === manifest.kind && onDisk.builder === manifest.builder ? onDisk : emptyManifest(manifest.kind, manifest.builder);
  for (const source of changes.removed) {
    delete base.entries[source];
    delete base.skipped[source];
  }
  for (const source of changes.entries) {
    const entry = manifest.entries[source];
    delete base.skipped[source];
    if (entry) base.entries[source] = entry;
    else delete base.entries[source];
  }
  for (const source of changes.skipped) {
    const stamp = manifest.skipped[source];
    delete base.entries[source];
    if (stamp) base.skipped[source] = stamp;
    else delete base.skipped[source];
  }
  await atomicWriteFile(path, `${JSON.stringify(base, null, 1)}\n`, { durable: false });
}
