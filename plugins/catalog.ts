/**
 * The extension catalog: for each kind, the sources on disk reconciled with the bundle
 * manifest. Unchanged sources cost a stat (see fingerprint.ts); new or changed ones are
 * rebuilt with esbuild and loaded once in a worker (or sandbox) to record their descriptor.
 * esbuild and the worker pool load only when something needs building.
 *
 * A source whose build fails is marked BundleBuildFailed with esbuild's message and its
 * bundle is dropped: a stale bundle is never used in its place.
 */
import { unlink } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import type { PluginKind } from "../kernel/contract/plugin.js";
import { atomicWriteFile } from "../kernel/runtime/atomic-write.js";
import { candidateFiles, declaredTypeOf, EXTENSION_KINDS, extensionDirFor, hasKindExport } from "./discover.js";
import { checkInputs, currentStat, fingerprintOf, recordInput, stampStillValid, statStamp, type InputRecord } from "./fingerprint.js";
import { installedVersion } from "./host-modules.js";
import { bundleDir, hasChanges, noChanges, readManifest, saveManifest, type Manifest, type ManifestChanges, type ManifestEntry } from "./manifest.js";
import type { IsolationPolicy } from "./isolation.js";
import { BUNDLE_SUFFIX, CEL_USE_MARK, type BundleFormat } from "./worker/protocol.js";

/** Bumped when the bundle format or the virtual modules change. */
const FORMAT = "swamp-extension-bundle/5";

let builderId: string | undefined;

/** Identity of the bundler; part of every fingerprint. */
export function builderIdentity(): string {
  builderId ??= `${FORMAT};esbuild=${installedVersion("esbuild")};zod=${installedVersion("zod")}`;
  return builderId;
}

export interface CatalogContext {
  repoDir: string;
  marker: Record<string, unknown>;
  env: Readonly<Record<string, string | undefined>>;
  isolation: IsolationPolicy;
  /** Per kind, source-mount directories scanned after the repo's own (read from `.swamp-sources.yaml` when absent). */
  sourceDirs?: Partial<Record<PluginKind, string[]>>;
}

export interface KindCatalog {
  kind: PluginKind;
  dir: string;
  /** Source-mount directories scanned after `dir`, in order. */
  sourceDirs: string[];
  /** Entries for the sources present now: `dir`'s sorted, then each source mount's. */
  entries: ManifestEntry[];
  /** Why the kind could not be reconciled at all (unreadable directory, …). */
  loaderError?: string;
}

export interface ReconcileOptions {
  /** Re-hash every input instead of trusting stat stamps (doctor). */
  force?: boolean;
  /** Only these kinds (default all). */
  kinds?: readonly PluginKind[];
  /** Sources bundled so far of those being rebuilt, all kinds together (a progress line). */
  onBundleProgress?(done: number, total: number): void;
}

/** Counts rebuilt sources across kinds reconciled in parallel. */
interface BundleTally {
  add(n: number): void;
  built(): void;
}

function bundleTally(report: (done: number, total: number) => void): BundleTally {
  let done = 0;
  let total = 0;
  return {
    add(n) {
      total += n;
      report(done, total);
    },
    built() {
      report(++done, total);
    },
  };
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A content-addressed bundle file name: `<source name>-<fingerprint prefix>.cjs` for a script,
 * `.mjs` for an ES module (the worker loads each its own way: worker/load.ts).
 */
function bundleFileFor(repoDir: string, kind: PluginKind, source: string, fingerprint: string, format: BundleFormat): string {
  const name = basename(source).replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9_-]/g, "_");
  return join(bundleDir(repoDir, kind), `${name}-${fingerprint.slice(0, 16)}${BUNDLE_SUFFIX[format]}`);
}

async function removeUnlessShared(path: string | null, manifest: Manifest): Promise<void> {
  if (!path) return;
  if (Object.values(manifest.entries).some((e) => e.bundlePath === path)) return;
  await unlink(path).catch(() => {});
}

/** A new or changed source to build, with its text as read. */
interface Stale {
  source: string;
  entryInput: InputRecord;
  text: string;
}

/** Builds and describes the stale sources of one kind, updating the manifest in place. */
async function rebuild(ctx: CatalogContext, kind: PluginKind, manifest: Manifest, stale: Stale[], changes: ManifestChanges, tally?: BundleTally): Promise<void> {
  const { bundleExtensions } = await import("./bundle.js");
  const salt = builderIdentity();
  const built: Array<{ entry: ManifestEntry; previous: ManifestEntry | undefined }> = [];
  // One call for the whole batch: the npm packages they import are installed together.
  tally?.add(stale.length);
  const outcomes = await bundleExtensions(
    stale.map((s) => s.source),
    ctx.repoDir,
    ctx.env,
    tally ? { onBuilt: () => tally.built() } : {},
  );
  await Promise.all(
    stale.map(async ({ source, entryInput, text }, i) => {
      const previous = manifest.entries[source];
      const lastType = previous?.descriptor?.type ?? previous?.lastType ?? null;
      const base = { source, kind, hostModules: [], descriptor: null, lastType, updatedAt: new Date().toISOString() };
      const outcome = outcomes[i]!;
      if (!outcome.ok) {
        // Keep watching what the failed build was made of (and the import-map files that
        // could fix it), so fixing any of it rebuilds.
        const watched = new Map<string, InputRecord>([[source, entryInput]]);
        for (const input of [...(previous?.inputs ?? []), ...outcome.inputs.map((path) => ({ path }))]) {
          if (!watched.has(input.path)) {
            const rec = await recordInput(input.path);
            delete rec.text;
            watched.set(input.path, rec);
          }
        }
        const inputs = [...watched.values()];
        manifest.entries[source] = {
          ...base,
          lastType: base.lastType ?? declaredTypeOf(kind, text) ?? null,
          state: "BundleBuildFailed",
          fingerprint: fingerprintOf(ctx.repoDir, inputs, salt),
          inputs,
          bundlePath: null,
          lastError: outcome.message,
        };
        changes.entries.add(source);
        await removeUnlessShared(previous?.bundlePath ?? null, manifest);
        return;
      }
      const inputs: InputRecord[] = [];
      for (const path of outcome.inputs) {
        if (path === source) inputs.push(entryInput);
        else {
          const rec = await recordInput(path);
          delete rec.text;
          inputs.push(rec);
        }
      }
      const fingerprint = fingerprintOf(ctx.repoDir, inputs, salt);
      const bundlePath = bundleFileFor(ctx.repoDir, kind, source, fingerprint, outcome.format);
      await atomicWriteFile(bundlePath, outcome.code, { durable: false });
      const entry: ManifestEntry = {
        ...base,
        state: "Indexed",
        fingerprint,
        inputs,
        bundlePath,
        hostModules: outcome.hostModules,
        mayUseCel: Buffer.from(outcome.code.buffer, outcome.code.byteOffset, outcome.code.byteLength).includes(CEL_USE_MARK),
        lastError: null,
      };
      manifest.entries[source] = entry;
      changes.entries.add(source);
      built.push({ entry, previous });
    }),
  );
  if (built.length === 0) return;
  const { describeBundles } = await import("./host/describe.js");
  const results = await describeBundles(
    ctx,
    built.map((b) => b.entry),
  );
  built.forEach(({ entry, previous }, i) => {
    const result = results[i];
    if (result && result.ok) {
      entry.descriptor = result.descriptor;
      entry.lastType = result.descriptor.type;
    } else {
      entry.state = "ValidationFailed";
      entry.lastError = result ? result.error.message : "the bundle could not be loaded";
      entry.lastType = (result && !result.ok ? result.type : undefined) ?? entry.lastType;
    }
    if (previous?.bundlePath && previous.bundlePath !== entry.bundlePath) void removeUnlessShared(previous.bundlePath, manifest);
  });
}

async function reconcileKind(ctx: CatalogContext, kind: PluginKind, options: ReconcileOptions, tally?: BundleTally): Promise<KindCatalog> {
  const dir = extensionDirFor(kind, ctx.repoDir, ctx.marker, ctx.env);
  const sourceDirs = ctx.sourceDirs?.[kind] ?? [];
  // The repo's own files first, so a local type wins over a source mount's.
  const files = [...new Set((await Promise.all([dir, ...sourceDirs].map((d) => candidateFiles(d)))).flat())];
  const manifest = await readManifest(ctx.repoDir, kind, builderIdentity());
  const changes = noChanges();
  const present = new Set(files);
  for (const source of [...Object.keys(manifest.entries), ...Object.keys(manifest.skipped)]) {
    // Sources that disappeared (or lie outside the current directory) leave the manifest.
    if (!present.has(source)) {
      const gone = manifest.entries[source];
      delete manifest.entries[source];
      delete manifest.skipped[source];
      changes.removed.add(source);
      if (gone) await removeUnlessShared(gone.bundlePath, manifest);
    }
  }

  const stale: Stale[] = [];
  for (const source of files) {
    const entry = manifest.entries[source];
    if (entry && entry.state !== "EntryPointUnreadable") {
      const check = await checkInputs(entry.inputs, options.force === true);
      const bundleThere = entry.state !== "Indexed" || (entry.bundlePath !== null && (await currentStat(entry.bundlePath)) !== null);
      if (check.unchanged && bundleThere) {
        if (check.restamped) {
          entry.inputs = check.inputs;
          changes.entries.add(source);
        }
        continue;
      }
    } else if (!entry) {
      const skipped = manifest.skipped[source];
      if (skipped && options.force !== true && stampStillValid(skipped, await currentStat(source))) continue;
    }
    // New, changed or unreadable: read it and decide.
    const input = await recordInput(source);
    const text = input.text;
    delete input.text;
    if (text === undefined) {
      manifest.entries[source] = {
        source,
        kind,
        state: "EntryPointUnreadable",
        fingerprint: null,
        inputs: [input],
        bundlePath: null,
        hostModules: [],
        descriptor: null,
        lastType: entry?.descriptor?.type ?? entry?.lastType ?? null,
        lastError: `cannot read ${source}`,
        updatedAt: new Date().toISOString(),
      };
      changes.entries.add(source);
      continue;
    }
    if (!hasKindExport(kind, text)) {
      const stamp = await statStamp(source);
      if (entry) {
        delete manifest.entries[source];
        await removeUnlessShared(entry.bundlePath, manifest);
      }
      if (stamp) {
        manifest.skipped[source] = { ...stamp, hashedAt: input.hashedAt };
        changes.skipped.add(source);
      }
      continue;
    }
    stale.push({ source, entryInput: input, text });
  }
  if (stale.length > 0) await rebuild(ctx, kind, manifest, stale, changes, tally);
  if (hasChanges(changes)) await saveManifest(ctx.repoDir, manifest, changes).catch(() => {});
  const entries = files.map((f) => manifest.entries[f]).filter((e): e is ManifestEntry => e !== undefined);
  return { kind, dir, sourceDirs, entries };
}

/** Reconciles every kind (in parallel); a kind that fails reports a loader error. */
export async function reconcile(ctx: CatalogContext, options: ReconcileOptions = {}): Promise<KindCatalog[]> {
  const kinds = options.kinds ?? EXTENSION_KINDS;
  if (!ctx.sourceDirs) {
    const { resolveSourceDirs } = await import("./registry/sources.js");
    ctx = { ...ctx, sourceDirs: (await resolveSourceDirs(ctx.repoDir, ctx.marker, ctx.env)).dirs };
  }
  const tally = options.onBundleProgress ? bundleTally(options.onBundleProgress) : undefined;
  return Promise.all(
    kinds.map(async (kind) => {
      try {
        return await reconcileKind(ctx, kind, options, tally);
      } catch (err) {
        return { kind, dir: extensionDirFor(kind, ctx.repoDir, ctx.marker, ctx.env), sourceDirs: ctx.sourceDirs?.[kind] ?? [], entries: [], loaderError: describeError(err) };
      }
    }),
  );
}

/** Source path relative to the repo, for messages. */
export function displayPath(repoDir: string, source: string): string {
  const rel = relative(repoDir, source);
  return rel.startsWith("..") ? source : rel;
}
