/**
 * Installing pulled extensions: `pull`, `install` (restore from the lockfile) and `update` all
 * go through `installExtensions`.
 *
 * For each requested extension: resolve the version from the packument (an explicit or pinned
 * version, else `dist-tags.latest`), download the tarball verified against `dist.integrity`
 * (and, when pinned, against the lockfile's integrity too), extract it safely into a staging
 * directory, re-apply the push-time safety rules to its code (`eval(` refused, …), then follow `manifest.yaml` `dependencies` (depth-first, at most 10 deep; one
 * already in the lockfile is kept as it is; a dependency from a collective that is neither
 * trusted nor the requested extension's own is refused). Only when every extension is staged
 * are they moved into `.swamp/pulled-extensions/<name>/` and recorded in the lockfile, in one
 * lockfile write; a failure at any step removes what was staged and puts back what was moved,
 * so nothing is half-installed and the lockfile is unchanged.
 *
 * An extension directory that already exists is replaced only when `force` is set, or when the
 * caller's `confirmOverwrite` agrees.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { holdShutdown, registerCleanup } from "../../kernel/runtime/shutdown.js";
import { RegistryClient, type Packument, type PackumentVersion } from "./client.js";
import { resolveRegistry } from "./config.js";
import { RegistryErrorCode } from "./errors.js";
import { extractTarball } from "./extract.js";
import { checkSafety, CODE_KINDS } from "./manifest.js";
import { lockfilePath, readLockfile, updateLockfile, type Lockfile, type LockfileEntry } from "./lockfile.js";
import { calVerToSemVer, compareCalVer, extensionCollective, isExtensionName, parseExtensionRef, semVerToCalVer, toNpmName } from "./names.js";
import { PULLED_DIR } from "./sources.js";
import { isTrusted, untrustedHint, type TrustConfig } from "./trust.js";

type Env = Readonly<Record<string, string | undefined>>;

const MAX_DEPTH = 10;

export interface InstallContext {
  repoDir: string;
  marker: Record<string, unknown> & TrustConfig;
  env: Env;
  /** Replace an existing extension directory without asking. */
  force?: boolean;
  /** Asked when extension directories already exist and `force` is off; absent means refuse. */
  confirmOverwrite?: (existing: string[]) => Promise<boolean>;
  /** Restore exactly the requests (`install`: dependencies have lockfile entries of their own). */
  skipDependencies?: boolean;
  /** Progress lines (a dependency being pulled, …). */
  onProgress?: (message: string) => void;
  /** Bytes of each download as they arrive (a progress line on a terminal). */
  progress?: TransferProgress;
}

/** What a download reports to; the CLI's progress line fits it. */
export interface TransferProgress {
  start(label: string, total?: number): void;
  update(done: number): void;
}

export interface InstallRequest {
  name: string;
  /** CalVer; absent means the registry's latest. */
  version?: string;
  /** From the lockfile: the tarball must have exactly this integrity. */
  integrity?: string;
}

export interface InstalledExtension {
  name: string;
  version: string;
  integrity: string;
  registry: string;
  /** Repo-relative paths, sorted. */
  files: string[];
  /** Safety warnings about its code (long lines, base64-looking blobs, subprocesses). */
  warnings: string[];
  /** Set for extensions installed as another's dependency. */
  dependencyOf?: string;
}

interface Staged extends InstalledExtension {
  resolved: string;
  /** Where it was extracted, waiting to be moved into place. */
  staging: string;
  dest: string;
}

/** `.swamp/pulled-extensions/<name>` for an extension name. */
export function pulledDir(repoDir: string, name: string): string {
  return join(repoDir, PULLED_DIR, ...name.split("/"));
}

function toRepoPath(repoDir: string, abs: string): string {
  return relative(repoDir, abs).split(sep).join("/");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function notFound(name: string, registry: string, version?: string): SwampError {
  const what = version ? `${name}@${version}` : name;
  return new SwampError(RegistryErrorCode.extensionNotFound, `Extension ${what} not found in the registry at ${registry}`, {
    details: { name, ...(version ? { version } : {}), registry },
  });
}

/** The packument of an extension, with the client that fetched it; not-found is an error. */
export async function fetchPackument(ctx: Pick<InstallContext, "repoDir" | "env">, name: string): Promise<{ client: RegistryClient; packument: Packument }> {
  const target = await resolveRegistry({ repoDir: ctx.repoDir, env: ctx.env, extension: name });
  const client = new RegistryClient(target);
  const packument = await client.packument(toNpmName(name));
  if (!packument || !packument.versions || Object.keys(packument.versions).length === 0) throw notFound(name, target.url);
  return { client, packument };
}

/** The CalVer of `dist-tags.latest`, or null when the packument has none usable. */
export function latestVersion(packument: Packument): string | null {
  const latest = packument["dist-tags"]?.latest;
  return latest ? semVerToCalVer(latest) : null;
}

function pickVersion(name: string, packument: Packument, registry: string, version?: string): PackumentVersion & { calver: string } {
  const calver = version ?? latestVersion(packument);
  if (!calver) throw notFound(name, registry);
  const entry = packument.versions[calVerToSemVer(calver)];
  if (!entry) throw notFound(name, registry, calver);
  return { ...entry, calver };
}

/** `manifest.yaml` `dependencies` of an extracted extension: names, optionally `@version`. */
async function dependenciesOf(dir: string): Promise<string[]> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(join(dir, "manifest.yaml"), "utf8"));
  } catch (err) {
    throw new SwampError(ErrorCode.extensionInvalid, `The downloaded extension has no readable manifest.yaml (${(err as Error).message}); it may be corrupt`);
  }
  const deps = (doc as { dependencies?: unknown } | null)?.dependencies;
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === "string") : [];
}

/** A dependency as written in a manifest: `@c/n`, `@c/n@CalVer`; a range resolves to latest. */
function dependencyRequest(dep: string): InstallRequest {
  const at = dep.indexOf("@", 1);
  const name = at === -1 ? dep : dep.slice(0, at);
  if (!isExtensionName(name)) throw new SwampError(RegistryErrorCode.nameInvalid, `Dependency "${dep}" is not an extension name (@collective/name)`);
  try {
    return parseExtensionRef(dep);
  } catch {
    return { name };
  }
}

async function stage(ctx: InstallContext, stagingRoot: string, req: InstallRequest): Promise<Staged> {
  const { client, packument } = await fetchPackument(ctx, req.name);
  const registry = client.target.url;
  const picked = pickVersion(req.name, packument, registry, req.version);
  const label = `${req.name}@${picked.calver}`;
  const integrity = picked.dist.integrity;
  if (req.integrity && integrity !== req.integrity) {
    throw new SwampError(
      RegistryErrorCode.integrityMismatch,
      `${label}: the registry's integrity (${integrity ?? "none"}) does not match the lockfile's (${req.integrity}); refusing to install`,
      { details: { name: req.name, version: picked.calver, expected: req.integrity, actual: integrity ?? null } },
    );
  }
  ctx.onProgress?.(`Downloading ${label}`);
  const progress = ctx.progress;
  const onBytes = progress && ((received: number, total: number | undefined) => (received === 0 ? progress.start(`Downloading ${label}`, total) : progress.update(received)));
  const tarball = await client.tarball(picked.dist.tarball, req.integrity ?? integrity, label, onBytes);
  const staging = join(stagingRoot, ...req.name.split("/"));
  const extracted = await extractTarball(tarball, staging);
  const dest = pulledDir(ctx.repoDir, req.name);
  // The push-time safety rules, again: the archive may not come from `swamp extension push`.
  const code = extracted.files.filter((f) => f.endsWith(".ts") && (CODE_KINDS as readonly string[]).includes(f.split("/")[0]!));
  const warnings = await checkSafety(
    await Promise.all(code.map(async (f) => ({ archivePath: f, source: join(staging, ...f.split("/")), size: (await stat(join(staging, ...f.split("/")))).size, binary: false }))),
  ).catch((err: unknown) => {
    throw err instanceof SwampError ? new SwampError(err.code, `${label} is refused by the safety rules: ${err.message}`, { details: { name: req.name, ...err.details } }) : err;
  });
  return {
    warnings,
    name: req.name,
    version: picked.calver,
    integrity: (req.integrity ?? integrity)!,
    registry,
    resolved: picked.dist.tarball,
    files: extracted.files.map((f) => toRepoPath(ctx.repoDir, join(dest, ...f.split("/")))).sort(),
    staging,
    dest,
  };
}

/** Removes empty directories from `dir` up to (not including) `stop`. */
export async function pruneEmptyParents(dir: string, stop: string): Promise<void> {
  let current = dir;
  while (current.startsWith(stop + sep) && current !== stop) {
    const entries = await readdir(current).catch(() => null);
    if (entries === null || entries.length > 0) return;
    await rmdir(current).catch(() => {});
    current = dirname(current);
  }
}

/** Moves every staged extension into place and records them all in one lockfile write. */
async function commit(ctx: InstallContext, staged: Staged[]): Promise<void> {
  const pulledRoot = join(ctx.repoDir, PULLED_DIR);
  const undo: Array<() => Promise<void>> = [];
  const old: string[] = [];
  try {
    for (const s of staged) {
      await mkdir(dirname(s.dest), { recursive: true });
      if (await exists(s.dest)) {
        const aside = `${s.dest}.${randomBytes(6).toString("hex")}.old`;
        await rename(s.dest, aside);
        undo.push(() => rename(aside, s.dest));
        old.push(aside);
      }
      await rename(s.staging, s.dest);
      undo.push(async () => {
        await rm(s.dest, { recursive: true, force: true });
      });
    }
    const now = new Date().toISOString();
    await updateLockfile(lockfilePath(ctx.repoDir, ctx.marker, ctx.env), (lock: Lockfile) => {
      for (const s of staged) {
        const previous = lock[s.name];
        const entry: LockfileEntry = {
          ...(previous ?? {}),
          version: s.version,
          pulledAt: previous && previous.version === s.version && previous.pulledAt ? previous.pulledAt : now,
          files: s.files,
          integrity: s.integrity,
          resolved: s.resolved,
          registry: s.registry,
        };
        lock[s.name] = entry;
      }
    });
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw err;
  }
  for (const aside of old) await rm(aside, { recursive: true, force: true });
  for (const s of staged) await pruneEmptyParents(dirname(s.dest), pulledRoot);
}

/**
 * Installs the requested extensions and their dependencies, all or nothing. Returns what was
 * installed, requested extensions first, then dependencies in the order they were pulled.
 */
export async function installExtensions(ctx: InstallContext, requests: InstallRequest[]): Promise<InstalledExtension[]> {
  const lock = await readLockfile(lockfilePath(ctx.repoDir, ctx.marker, ctx.env));
  const stagingRoot = join(ctx.repoDir, PULLED_DIR, `.staging-${randomBytes(6).toString("hex")}`);
  const staged: Staged[] = [];
  const seen = new Set<string>();
  // Ctrl-C while downloading: the process exits without unwinding; take the staging area with it.
  const unregister = registerCleanup(() => rm(stagingRoot, { recursive: true, force: true }));
  try {
    const visit = async (req: InstallRequest, depth: number, parent?: Staged, root?: string): Promise<void> => {
      if (depth > MAX_DEPTH) {
        throw new SwampError(ErrorCode.validation, `Dependency depth exceeds maximum of ${MAX_DEPTH} (at ${req.name}); possible circular dependency`);
      }
      if (seen.has(req.name)) return;
      seen.add(req.name);
      if (parent) {
        if (lock[req.name]) return;
        const collective = extensionCollective(req.name);
        if (collective !== extensionCollective(root!) && !isTrusted(collective, ctx.marker)) {
          throw new SwampError(
            RegistryErrorCode.collectiveUntrusted,
            `${parent.name} depends on ${req.name}, from collective "${collective}", which is not trusted. ${untrustedHint(collective)}`,
            { details: { name: req.name, dependencyOf: parent.name, collective } },
          );
        }
        ctx.onProgress?.(`Pulling dependency ${req.name} of ${parent.name}`);
      }
      const s = await stage(ctx, stagingRoot, req);
      if (parent) s.dependencyOf = parent.name;
      staged.push(s);
      if (ctx.skipDependencies) return;
      for (const dep of await dependenciesOf(s.staging)) await visit(dependencyRequest(dep), depth + 1, s, root ?? req.name);
    };
    for (const req of requests) await visit(req, 0);

    const conflicts: string[] = [];
    for (const s of staged) if (await exists(s.dest)) conflicts.push(toRepoPath(ctx.repoDir, s.dest));
    if (conflicts.length > 0 && !ctx.force && !(await ctx.confirmOverwrite?.(conflicts))) {
      throw new SwampError(ErrorCode.alreadyExists, `Files already exist: ${conflicts.join(", ")}. Use --force to overwrite.`, { details: { paths: conflicts } });
    }
    ctx.onProgress?.(`Installing ${staged.map((s) => `${s.name}@${s.version}`).join(", ")}`);
    // Moving into place and writing the lockfile finish before a signal ends the process.
    const release = holdShutdown();
    try {
      await commit(ctx, staged);
    } finally {
      release();
    }
  } finally {
    unregister();
    await rm(stagingRoot, { recursive: true, force: true });
    await pruneEmptyParents(join(ctx.repoDir, PULLED_DIR), join(ctx.repoDir, ".swamp"));
  }
  return staged.map(({ name, version, integrity, registry, files, warnings, dependencyOf }) => ({
    name,
    version,
    integrity,
    registry,
    files,
    warnings,
    ...(dependencyOf ? { dependencyOf } : {}),
  }));
}

/** One extension at a version (latest when absent), with its dependencies. */
export async function installExtension(ctx: InstallContext, req: InstallRequest): Promise<InstalledExtension[]> {
  return installExtensions(ctx, [req]);
}

/** True when every file the lockfile entry tracks is on disk. */
export async function entryIntact(repoDir: string, entry: LockfileEntry): Promise<boolean> {
  if (!entry.files || entry.files.length === 0) return false;
  for (const f of entry.files) if (!(await exists(join(repoDir, ...f.split("/"))))) return false;
  return true;
}

/** `rm`: drops the lockfile entry, then the extension's directory. */
export async function removeExtension(ctx: Pick<InstallContext, "repoDir" | "marker" | "env">, name: string): Promise<{ name: string; version: string; filesDeleted: number }> {
  let removed: LockfileEntry | undefined;
  await updateLockfile(lockfilePath(ctx.repoDir, ctx.marker, ctx.env), (lock) => {
    removed = lock[name];
    if (!removed) throw new SwampError(ErrorCode.notFound, `Extension ${name} is not installed.`, { details: { name } });
    delete lock[name];
  });
  let filesDeleted = 0;
  for (const f of removed!.files ?? []) {
    const abs = join(ctx.repoDir, ...f.split("/"));
    if (await exists(abs)) filesDeleted++;
  }
  const dir = pulledDir(ctx.repoDir, name);
  await rm(dir, { recursive: true, force: true });
  await pruneEmptyParents(dirname(dir), join(ctx.repoDir, ".swamp"));
  return { name, version: removed!.version, filesDeleted };
}

export type UpdateStatus =
  | { name: string; status: "up_to_date"; installedVersion: string; latestVersion: string }
  | { name: string; status: "update_available"; installedVersion: string; latestVersion: string }
  | { name: string; status: "failed"; installedVersion: string; error: { code: string; message: string } };

/** Compares each lockfile entry (or the named ones) with the registry's latest. */
export async function checkUpdates(ctx: Pick<InstallContext, "repoDir" | "marker" | "env">, names?: string[]): Promise<UpdateStatus[]> {
  const lock = await readLockfile(lockfilePath(ctx.repoDir, ctx.marker, ctx.env));
  const wanted = names ?? Object.keys(lock).sort();
  for (const n of wanted) if (!lock[n]) throw new SwampError(ErrorCode.notFound, `Extension ${n} is not installed.`, { details: { name: n } });
  const out: UpdateStatus[] = [];
  for (const name of wanted) {
    const installedVersion = lock[name]!.version;
    try {
      const { client, packument } = await fetchPackument(ctx, name);
      const latest = latestVersion(packument);
      if (!latest) throw notFound(name, client.target.url);
      out.push({ name, status: compareCalVer(latest, installedVersion) > 0 ? "update_available" : "up_to_date", installedVersion, latestVersion: latest });
    } catch (err) {
      if (!(err instanceof SwampError)) throw err;
      out.push({ name, status: "failed", installedVersion, error: { code: err.code, message: err.message } });
    }
  }
  return out;
}
