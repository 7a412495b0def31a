/**
 * Source mounts: directories outside the repo's own `extensions/<kind>s` whose extensions load
 * as if they were local, without publishing. Listed in `.swamp-sources.yaml` (not committed):
 *
 *   sources:
 *     - path: ../my-vaults
 *       only: [vaults]
 *
 * A path is stored as the user gave it and expanded when used: `~`, `$VAR` / `${VAR}`, and the
 * globs `*`, `?`, `**` and `{a,b}` (hidden directories are not matched). A relative path is
 * relative to the root of the main git worktree, so linked worktrees share their sources;
 * outside git, to the repo. In each directory, the standard layout wins (the source's own
 * `.swamp.yaml` kind dirs, else `extensions/<kind>s`); otherwise the directory itself serves
 * every kind whose export one of its files declares. Workflows are found the same way (the
 * source's `workflowsDir`, `workflows/` or `extensions/workflows/`, else YAML files with a
 * top-level `jobs`); they are recorded and listed for the workflow loader. `only` restricts the
 * kinds. A path that does not exist is a warning when extensions load, never a failure of the
 * command.
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { parse, parseDocument, stringify } from "yaml";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { importLib } from "../../kernel/contract/import-module.js";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { configError } from "../../kernel/runtime/marker.js";
import type { ExtensionWorkflowDir } from "../../kernel/workflows/types.js";
import { candidateFiles, EXTENSION_KINDS, extensionDirFor, hasKindExport, SOURCES_FILE } from "../discover.js";

export { SOURCES_FILE };

/** What `--only` accepts: the plural kind names (workflow directories are recorded for the workflow loader, not loaded here). */
export const SOURCE_KINDS = ["models", "vaults", "drivers", "datastores", "reports", "workflows"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const SourceErrorCode = {
  /** A source directory in which no extension of any kind was found. */
  noExtensions: "source_no_extensions",
} as const;

export interface SourceEntry {
  path: string;
  only?: SourceKind[];
  installedSkills?: string[];
}

export type SourceStatus = "valid" | "path_not_found" | "no_extensions";

export interface ResolvedSource {
  entry: SourceEntry;
  /** Absolute directories the path expands to. */
  expandedPaths: string[];
  status: SourceStatus;
  /** Kind → directories to scan, in order. */
  dirs: Partial<Record<PluginKind, string[]>>;
  /** Directories holding workflow files. */
  workflowDirs: string[];
}

export interface SourceDirs {
  /** Per kind, the extra directories to scan after the repo's own. */
  dirs: Partial<Record<PluginKind, string[]>>;
  /** Directories of workflow files for the workflow loader: sources in order, then pulled extensions. */
  workflows: ExtensionWorkflowDir[];
  /** One line per source that could not be used. */
  warnings: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

export function sourcesPath(repoDir: string): string {
  return join(repoDir, SOURCES_FILE);
}

function pluginKind(kind: SourceKind): PluginKind | undefined {
  const k = kind.slice(0, -1);
  return (EXTENSION_KINDS as readonly string[]).includes(k) ? (k as PluginKind) : undefined;
}

/** Parses `--only a,b` (or a list) into known kind names; throws a usage error otherwise. */
export function parseOnly(value: string | readonly string[]): SourceKind[] {
  const names = (typeof value === "string" ? value.split(",") : [...value]).map((s) => s.trim()).filter((s) => s !== "");
  const bad = names.find((n) => !(SOURCE_KINDS as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0) {
    throw new SwampError(ErrorCode.usage, `Unknown kind ${JSON.stringify(bad ?? "")} in --only; use any of ${SOURCE_KINDS.join(", ")}`, { exitCode: 2 });
  }
  return [...new Set(names)] as SourceKind[];
}

function checkEntries(value: unknown, file: string): SourceEntry[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== "object" || Array.isArray(value)) throw configError(file, "must be a mapping with a `sources` list");
  const list = (value as { sources?: unknown }).sources;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw configError(file, "must be a list", "sources");
  return list.map((item, i) => {
    const field = `sources.${i}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw configError(file, "must be a mapping with a `path`", field);
    const { path, only, installedSkills } = item as Record<string, unknown>;
    if (typeof path !== "string" || path.trim() === "") throw configError(file, "must be a non-empty string", `${field}.path`);
    const entry: SourceEntry = { path };
    if (only !== undefined) {
      if (!Array.isArray(only) || only.some((k) => typeof k !== "string" || !(SOURCE_KINDS as readonly string[]).includes(k))) {
        throw configError(file, `must be a list of ${SOURCE_KINDS.join(", ")}`, `${field}.only`);
      }
      entry.only = only as SourceKind[];
    }
    if (installedSkills !== undefined) {
      if (!Array.isArray(installedSkills) || installedSkills.some((s) => typeof s !== "string" || s === "" || /[/\\]/.test(s) || s.includes(".."))) {
        throw configError(file, "must be a list of skill names", `${field}.installedSkills`);
      }
      entry.installedSkills = installedSkills as string[];
    }
    return entry;
  });
}

/** The configured sources, in order; [] when the file does not exist. */
export async function readSources(repoDir: string): Promise<SourceEntry[]> {
  const file = sourcesPath(repoDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const doc = parseDocument(text, { prettyErrors: false });
  const bad = doc.errors[0];
  if (bad) throw configError(file, `invalid YAML: ${bad.message.split("\n")[0]}`);
  return checkEntries(doc.toJS(), file);
}

/** Writes the sources; the file is removed when none are left. */
export async function writeSources(repoDir: string, entries: readonly SourceEntry[]): Promise<void> {
  const file = sourcesPath(repoDir);
  if (entries.length === 0) {
    await rm(file, { force: true });
    return;
  }
  await atomicWriteFile(file, stringify({ sources: entries.map((e) => ({ ...e })) }, { flowCollectionPadding: false }));
}

const GLOB = /[*?{]/;

/** `~`, `$VAR`, `${VAR}` expanded; relative to `base` when relative. */
export function expandVariables(raw: string, base: string, env: Env): string {
  let path = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? "");
  if (path === "~" || path.startsWith("~/")) path = join(env.HOME ?? homedir(), path.slice(1));
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}

export function isGlob(raw: string): boolean {
  return GLOB.test(raw);
}

/**
 * What relative source paths are relative to: the root of the main git worktree (found from the
 * `.git` entry above the repo: a directory, or a linked worktree's `gitdir:` file whose
 * `commondir` names the main `.git`), else the repo itself.
 */
export async function sourceBase(repoDir: string): Promise<string> {
  for (let dir = resolve(repoDir); ; dir = dirname(dir)) {
    const dotGit = join(dir, ".git");
    const info = await stat(dotGit).catch(() => null);
    if (info?.isDirectory()) return dir;
    if (info?.isFile()) {
      const gitdir = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, "utf8").catch(() => ""))?.[1]?.trim();
      if (!gitdir) return dir;
      const worktreeGitDir = resolve(dir, gitdir);
      const common = (await readFile(join(worktreeGitDir, "commondir"), "utf8").catch(() => "")).trim();
      // No commondir: a submodule or a plain gitfile; its own checkout is the root.
      return common ? dirname(resolve(worktreeGitDir, common)) : dir;
    }
    if (dirname(dir) === dir) return resolve(repoDir);
  }
}

/** The existing directories a source path names (globs through fast-glob; hidden directories skipped), sorted. */
export async function expandSourcePath(raw: string, repoDir: string, env: Env): Promise<string[]> {
  const absolute = expandVariables(raw, await sourceBase(repoDir), env);
  if (!GLOB.test(absolute)) return (await isDirectory(absolute)) ? [absolute] : [];
  // The literal directories before the first glob segment are the search root, escaped from glob syntax.
  const segments = absolute.split(sep);
  const first = segments.findIndex((s) => GLOB.test(s));
  const root = segments.slice(0, first).join(sep) || sep;
  const pattern = segments.slice(first).join("/");
  // fast-glob is loaded only when needed: every command that registers extensions reads this file.
  const { default: fg } = await importLib<{ default: typeof import("fast-glob") }>("fast-glob");
  const found = await fg(pattern, { cwd: root, onlyDirectories: true, absolute: true, dot: false, followSymbolicLinks: true, suppressErrors: true });
  return found.map((p) => resolve(p)).sort();
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The directory the source's own `.swamp.yaml` names for a kind, if it names one. */
async function ownMarkerDirs(dir: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = parse(await readFile(join(dir, ".swamp.yaml"), "utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const SCAN_LIMIT_BYTES = 2 * 1024 * 1024;

/** Kind → directories for one source directory, restricted to `only`. */
export async function detectKinds(dir: string, only: readonly SourceKind[] | undefined): Promise<Partial<Record<PluginKind, string[]>>> {
  const wanted = (only ?? SOURCE_KINDS).map(pluginKind).filter((k): k is PluginKind => k !== undefined);
  const marker = await ownMarkerDirs(dir);
  const standard: Partial<Record<PluginKind, string[]>> = {};
  let anyStandard = false;
  for (const kind of EXTENSION_KINDS) {
    const kindDir = extensionDirFor(kind, dir, marker, {});
    if (!(await isDirectory(kindDir))) continue;
    anyStandard = true;
    if (wanted.includes(kind)) standard[kind] = [kindDir];
  }
  if (anyStandard) return standard;
  // No standard layout: the directory itself, for each kind one of its files declares.
  const found: Partial<Record<PluginKind, string[]>> = {};
  for (const file of await candidateFiles(dir)) {
    const size = await stat(file).then((s) => s.size, () => Infinity);
    if (size > SCAN_LIMIT_BYTES) continue;
    const text = await readFile(file, "utf8").catch(() => "");
    for (const kind of wanted) if (!found[kind] && hasKindExport(kind, text)) found[kind] = [dir];
    if (wanted.every((k) => found[k])) break;
  }
  return found;
}

const WORKFLOW_SCAN_LIMIT_BYTES = 64 * 1024;
const SKIPPED_DIRS = ["**/_*/**", "**/node_modules/**", "**/.git/**", "**/.swamp/**", "**/dist/**", "**/build/**", "**/target/**"];

/**
 * Where a source directory keeps workflows: its own `.swamp.yaml` `workflowsDir`, `workflows/` or
 * `extensions/workflows/` when one exists; else the directory itself when a YAML file in it (at
 * most 4 levels down, up to 64 KiB) has a top-level `jobs` key. Empty when `only` leaves them out.
 */
export async function detectWorkflowDirs(dir: string, only: readonly SourceKind[] | undefined): Promise<string[]> {
  if (only && !only.includes("workflows")) return [];
  const marker = await ownMarkerDirs(dir);
  const named = typeof marker.workflowsDir === "string" && marker.workflowsDir !== "" ? [resolve(dir, marker.workflowsDir)] : [];
  for (const candidate of [...named, join(dir, "workflows"), join(dir, "extensions", "workflows")]) {
    if (await isDirectory(candidate)) return [candidate];
  }
  const { default: fg } = await importLib<{ default: typeof import("fast-glob") }>("fast-glob");
  const files = await fg("**/*.{yaml,yml}", { cwd: dir, absolute: true, deep: 4, dot: false, ignore: SKIPPED_DIRS, suppressErrors: true });
  for (const file of files.sort()) {
    const size = await stat(file).then((st) => st.size, () => Infinity);
    if (size > WORKFLOW_SCAN_LIMIT_BYTES) continue;
    if (/^jobs\s*:/m.test(await readFile(file, "utf8").catch(() => ""))) return [dir];
  }
  return [];
}

/** One source: what it expands to, whether it can be used, and the directories per kind. */
export async function resolveSource(entry: SourceEntry, repoDir: string, env: Env): Promise<ResolvedSource> {
  const expandedPaths = await expandSourcePath(entry.path, repoDir, env);
  const dirs: Partial<Record<PluginKind, string[]>> = {};
  const workflowDirs: string[] = [];
  for (const path of expandedPaths) {
    for (const [kind, list] of Object.entries(await detectKinds(path, entry.only)) as Array<[PluginKind, string[]]>) {
      dirs[kind] = [...(dirs[kind] ?? []), ...list];
    }
    workflowDirs.push(...(await detectWorkflowDirs(path, entry.only)));
  }
  const found = Object.keys(dirs).length > 0 || workflowDirs.length > 0;
  const status: SourceStatus = expandedPaths.length === 0 ? "path_not_found" : found ? "valid" : "no_extensions";
  return { entry, expandedPaths, status, dirs, workflowDirs };
}

/** The kinds a resolved source provides, as `--only` spells them. */
export function resolvedKinds(source: ResolvedSource): SourceKind[] {
  const kinds = Object.keys(source.dirs).map((k) => `${k}s` as SourceKind);
  return source.workflowDirs.length > 0 ? [...kinds, "workflows"] : kinds;
}

/** The repo's default scan directory a path is, if it is one. */
export function defaultScanDir(abs: string, repoDir: string, marker: Record<string, unknown>, env: Env): string | undefined {
  for (const kind of EXTENSION_KINDS) {
    const dir = extensionDirFor(kind, repoDir, marker, env);
    if (resolve(dir) === resolve(abs)) return dir;
  }
  return undefined;
}

/**
 * Per kind, the source directories to scan after the repo's own, in the order the sources are
 * listed (the repo's own directories and repeats left out), and a warning per unusable source.
 */
export async function resolveSourceDirs(repoDir: string, marker: Record<string, unknown>, env: Env): Promise<SourceDirs> {
  const warnings: string[] = [];
  let entries: SourceEntry[];
  try {
    entries = await readSources(repoDir);
  } catch (err) {
    return { dirs: {}, workflows: [], warnings: [`${(err as Error).message} (extension sources ignored)`] };
  }
  const dirs: Partial<Record<PluginKind, string[]>> = {};
  const workflows: ExtensionWorkflowDir[] = [];
  for (const entry of entries) {
    const resolved = await resolveSource(entry, repoDir, env);
    if (resolved.status === "path_not_found") {
      if (!isGlob(entry.path)) warnings.push(`Source path does not exist: ${entry.path} (from ${SOURCES_FILE}; remove it with 'swamp extension source rm ${entry.path}')`);
      continue;
    }
    for (const [kind, list] of Object.entries(resolved.dirs) as Array<[PluginKind, string[]]>) {
      const own = resolve(extensionDirFor(kind, repoDir, marker, env));
      const have = (dirs[kind] ??= []);
      for (const dir of list) if (resolve(dir) !== own && !have.includes(dir)) have.push(dir);
    }
    for (const dir of resolved.workflowDirs) if (!workflows.some((w) => w.dir === dir)) workflows.push({ dir, origin: { type: "source", source: entry.path } });
  }
  // Pulled extensions come last, so the repo's own files and source mounts win over them.
  for (const [kind, list] of Object.entries(await pulledExtensionDirs(repoDir)) as Array<[PluginKind, string[]]>) {
    const have = (dirs[kind] ??= []);
    for (const dir of list) if (!have.includes(dir)) have.push(dir);
  }
  for (const { root, name } of await pulledExtensionRoots(repoDir)) {
    const dir = join(root, "workflows");
    if ((await isDirectory(dir)) && !workflows.some((w) => w.dir === dir)) workflows.push({ dir, origin: { type: "pulled", extension: name } });
  }
  return { dirs, workflows, warnings };
}

/** Where `swamp extension pull` puts extensions: `.swamp/pulled-extensions/<@collective/name…>/`. */
export const PULLED_DIR = join(".swamp", "pulled-extensions");

/**
 * Every pulled extension: a directory holding a `manifest.yaml` under `.swamp/pulled-extensions`,
 * with its name (the path below that folder), sorted by name.
 */
export async function pulledExtensionRoots(repoDir: string): Promise<Array<{ root: string; name: string }>> {
  const base = join(repoDir, PULLED_DIR);
  const roots: string[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (depth > 0 && entries.some((e) => e.isFile() && e.name === "manifest.yaml")) {
      roots.push(dir);
      return;
    }
    if (depth >= 6) return;
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) await walk(join(dir, e.name), depth + 1);
  }
  await walk(base, 0);
  return roots.sort().map((root) => ({ root, name: relative(base, root).split(sep).join("/") }));
}

/** Per kind, the `<kind>s/` directories of every pulled extension, sorted by extension name. */
export async function pulledExtensionDirs(repoDir: string): Promise<Partial<Record<PluginKind, string[]>>> {
  const dirs: Partial<Record<PluginKind, string[]>> = {};
  for (const { root } of await pulledExtensionRoots(repoDir)) {
    for (const kind of EXTENSION_KINDS) {
      const dir = join(root, `${kind}s`);
      if (await stat(dir).then((s) => s.isDirectory(), () => false)) (dirs[kind] ??= []).push(dir);
    }
  }
  return dirs;
}

/** Source path for messages: relative to the repo when inside it. */
export function displaySourcePath(repoDir: string, abs: string): string {
  const rel = relative(repoDir, abs);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}
