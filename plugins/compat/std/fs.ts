/**
 * swamp's own `@std/fs` (what `jsr:@std/fs@1` gives a swamp extension), written on `node:fs`.
 * The bundler inlines the compiled file into extension bundles for `jsr:@std/fs`, `@std/fs`
 * and every subpath (`@std/fs/exists`, …).
 *
 * Errors: every error this module raises itself, and every error of the underlying `node:fs`
 * call, passes through `fsError` — the one place that decides the error class extensions see.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { globToRegExp, isGlob } from "./path.js";

type PathLike = string | URL;

const MESSAGES: Record<string, string> = { EEXIST: "AlreadyExists", ENOENT: "NotFound", EACCES: "PermissionDenied", EPERM: "PermissionDenied", ENOTDIR: "NotADirectory", EISDIR: "IsADirectory" };

/**
 * The error an fs function throws: the `Deno.errors` class for its errno `code` (EEXIST,
 * ENOENT, …) when the Deno global is installed, so `instanceof Deno.errors.NotFound` works;
 * otherwise the Node error, named as Deno names it. The code stays on it either way.
 */
function fsError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const code = (err as NodeJS.ErrnoException).code;
  const name = code ? MESSAGES[code] : undefined;
  if (!name) return err;
  const classes = (globalThis as { Deno?: { errors?: Record<string, new (message: string, options?: ErrorOptions) => Error> } }).Deno?.errors;
  const Cls = classes?.[name];
  if (typeof Cls === "function") return Object.assign(new Cls(err.message, { cause: err }), { code });
  Object.defineProperty(err, "name", { value: name, configurable: true, writable: true });
  return err;
}

function raise(code: keyof typeof MESSAGES, message: string): never {
  throw fsError(Object.assign(new Error(message), { code }));
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw fsError(err);
  }
}

function guardSync<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw fsError(err);
  }
}

function toPath(path: PathLike): string {
  return path instanceof URL ? fileURLToPath(path) : path;
}

function typeOf(st: fs.Stats): string {
  return st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === "ENOENT";
}

// ── exists ──────────────────────────────────────────────────────────────────────────────

export interface ExistsOptions {
  isReadable?: boolean;
  isDirectory?: boolean;
  isFile?: boolean;
}

function checkExists(st: fs.Stats, path: string, options: ExistsOptions): boolean {
  if (options.isDirectory && options.isFile) throw new TypeError("ExistsOptions.options.isDirectory and ExistsOptions.options.isFile must not be true together");
  if (options.isDirectory && !st.isDirectory()) return false;
  if (options.isFile && !st.isFile()) return false;
  if (options.isReadable) {
    try {
      fs.accessSync(path, fs.constants.R_OK);
    } catch {
      return false;
    }
  }
  return true;
}

export async function exists(path: PathLike, options: ExistsOptions = {}): Promise<boolean> {
  const p = toPath(path);
  try {
    return checkExists(await fsp.stat(p), p, options);
  } catch (err) {
    if (isNotFound(err)) return false;
    if (err instanceof TypeError) throw err;
    if ((err as NodeJS.ErrnoException).code === "EACCES" && options.isReadable) return false;
    throw fsError(err);
  }
}

export function existsSync(path: PathLike, options: ExistsOptions = {}): boolean {
  const p = toPath(path);
  try {
    return checkExists(fs.statSync(p), p, options);
  } catch (err) {
    if (isNotFound(err)) return false;
    if (err instanceof TypeError) throw err;
    if ((err as NodeJS.ErrnoException).code === "EACCES" && options.isReadable) return false;
    throw fsError(err);
  }
}

// ── ensure* ─────────────────────────────────────────────────────────────────────────────

export async function ensureDir(dir: PathLike): Promise<void> {
  const p = toPath(dir);
  await guard(() => fsp.mkdir(p, { recursive: true })).catch(async (err) => {
    const st = await fsp.stat(p).catch(() => null);
    if (st && !st.isDirectory()) raise("EEXIST", `Ensure path exists, expected 'dir', got '${typeOf(st)}'`);
    throw err;
  });
  const st = await guard(() => fsp.stat(p));
  if (!st.isDirectory()) raise("EEXIST", `Ensure path exists, expected 'dir', got '${typeOf(st)}'`);
}

export function ensureDirSync(dir: PathLike): void {
  const p = toPath(dir);
  try {
    fs.mkdirSync(p, { recursive: true });
  } catch (err) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) raise("EEXIST", `Ensure path exists, expected 'dir', got '${typeOf(st)}'`);
    throw fsError(err);
  }
  const st = guardSync(() => fs.statSync(p));
  if (!st.isDirectory()) raise("EEXIST", `Ensure path exists, expected 'dir', got '${typeOf(st)}'`);
}

export async function ensureFile(file: PathLike): Promise<void> {
  const p = toPath(file);
  const st = await fsp.lstat(p).catch((err) => (isNotFound(err) ? null : Promise.reject(fsError(err))));
  if (st) {
    if (!st.isFile()) raise("EEXIST", `Ensure path exists, expected 'file', got '${typeOf(st)}'`);
    return;
  }
  await ensureDir(dirname(p));
  await guard(() => fsp.writeFile(p, new Uint8Array(), { flag: "a" }));
}

export function ensureFileSync(file: PathLike): void {
  const p = toPath(file);
  const st = guardSync(() => fs.lstatSync(p, { throwIfNoEntry: false }));
  if (st) {
    if (!st.isFile()) raise("EEXIST", `Ensure path exists, expected 'file', got '${typeOf(st)}'`);
    return;
  }
  ensureDirSync(dirname(p));
  guardSync(() => fs.writeFileSync(p, new Uint8Array(), { flag: "a" }));
}

function sameLink(existing: string, target: string, linkName: string): boolean {
  return resolve(dirname(linkName), existing) === resolve(dirname(linkName), target);
}

export async function ensureSymlink(target: PathLike, linkName: PathLike): Promise<void> {
  const t = toPath(target);
  const l = toPath(linkName);
  const st = await fsp.lstat(l).catch((err) => (isNotFound(err) ? null : Promise.reject(fsError(err))));
  if (st) {
    if (st.isSymbolicLink() && sameLink(await guard(() => fsp.readlink(l)), t, l)) return;
    raise("EEXIST", `A '${typeOf(st)}' already exists at the path: ${l}`);
  }
  await ensureDir(dirname(l));
  await guard(() => fsp.symlink(t, l));
}

export function ensureSymlinkSync(target: PathLike, linkName: PathLike): void {
  const t = toPath(target);
  const l = toPath(linkName);
  const st = guardSync(() => fs.lstatSync(l, { throwIfNoEntry: false }));
  if (st) {
    if (st.isSymbolicLink() && sameLink(guardSync(() => fs.readlinkSync(l)), t, l)) return;
    raise("EEXIST", `A '${typeOf(st)}' already exists at the path: ${l}`);
  }
  ensureDirSync(dirname(l));
  guardSync(() => fs.symlinkSync(t, l));
}

export async function ensureLink(src: PathLike, dest: PathLike): Promise<void> {
  await ensureDir(dirname(toPath(dest)));
  await guard(() => fsp.link(toPath(src), toPath(dest)));
}

export function ensureLinkSync(src: PathLike, dest: PathLike): void {
  ensureDirSync(dirname(toPath(dest)));
  guardSync(() => fs.linkSync(toPath(src), toPath(dest)));
}

// ── emptyDir ────────────────────────────────────────────────────────────────────────────

export async function emptyDir(dir: PathLike): Promise<void> {
  const p = toPath(dir);
  const names = await fsp.readdir(p).catch((err) => (isNotFound(err) ? null : Promise.reject(fsError(err))));
  if (names === null) return ensureDir(p);
  for (const name of names) await guard(() => fsp.rm(join(p, name), { recursive: true, force: true }));
}

export function emptyDirSync(dir: PathLike): void {
  const p = toPath(dir);
  let names: string[];
  try {
    names = fs.readdirSync(p);
  } catch (err) {
    if (isNotFound(err)) return ensureDirSync(p);
    throw fsError(err);
  }
  for (const name of names) guardSync(() => fs.rmSync(join(p, name), { recursive: true, force: true }));
}

// ── copy / move ─────────────────────────────────────────────────────────────────────────

export interface CopyOptions {
  overwrite?: boolean;
  preserveTimestamps?: boolean;
}

function isSubdir(src: string, dest: string): boolean {
  const rel = relative(resolve(src), resolve(dest));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

function checkCopy(src: string, dest: string, srcStat: fs.Stats, destStat: fs.Stats | undefined, overwrite: boolean, verb: string): void {
  if (resolve(src) === resolve(dest)) throw new Error("Source and destination cannot be the same");
  if (srcStat.isDirectory() && isSubdir(src, dest)) throw new Error(`Cannot ${verb} '${src}' to a subdirectory of itself: '${dest}'`);
  if (destStat && !overwrite) raise("EEXIST", `'${dest}' already exists.`);
  if (destStat && srcStat.isDirectory() && !destStat.isDirectory()) throw new Error(`Cannot overwrite non-directory '${dest}' with directory '${src}'`);
}

function cpOptions(options: CopyOptions): fs.CopySyncOptions {
  return { recursive: true, force: options.overwrite === true, errorOnExist: options.overwrite !== true, preserveTimestamps: options.preserveTimestamps === true, verbatimSymlinks: true };
}

export async function copy(src: PathLike, dest: PathLike, options: CopyOptions = {}): Promise<void> {
  const s = toPath(src);
  const d = toPath(dest);
  const srcStat = await guard(() => fsp.lstat(s));
  const destStat = (await fsp.lstat(d).catch(() => undefined)) ?? undefined;
  checkCopy(s, d, srcStat, destStat, options.overwrite === true, "copy");
  await guard(() => fsp.cp(s, d, cpOptions(options)));
}

export function copySync(src: PathLike, dest: PathLike, options: CopyOptions = {}): void {
  const s = toPath(src);
  const d = toPath(dest);
  const srcStat = guardSync(() => fs.lstatSync(s));
  const destStat = fs.lstatSync(d, { throwIfNoEntry: false });
  checkCopy(s, d, srcStat, destStat, options.overwrite === true, "copy");
  guardSync(() => fs.cpSync(s, d, cpOptions(options)));
}

export interface MoveOptions {
  overwrite?: boolean;
}

export async function move(src: PathLike, dest: PathLike, options: MoveOptions = {}): Promise<void> {
  const s = toPath(src);
  const d = toPath(dest);
  const srcStat = await guard(() => fsp.lstat(s));
  const destStat = (await fsp.lstat(d).catch(() => undefined)) ?? undefined;
  checkCopy(s, d, srcStat, destStat, options.overwrite === true, "move");
  if (destStat) await guard(() => fsp.rm(d, { recursive: true, force: true }));
  try {
    await fsp.rename(s, d);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw fsError(err);
    await guard(() => fsp.cp(s, d, cpOptions({ overwrite: true, preserveTimestamps: true })));
    await guard(() => fsp.rm(s, { recursive: true, force: true }));
  }
}

export function moveSync(src: PathLike, dest: PathLike, options: MoveOptions = {}): void {
  const s = toPath(src);
  const d = toPath(dest);
  const srcStat = guardSync(() => fs.lstatSync(s));
  const destStat = fs.lstatSync(d, { throwIfNoEntry: false });
  checkCopy(s, d, srcStat, destStat, options.overwrite === true, "move");
  if (destStat) guardSync(() => fs.rmSync(d, { recursive: true, force: true }));
  try {
    fs.renameSync(s, d);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw fsError(err);
    guardSync(() => fs.cpSync(s, d, cpOptions({ overwrite: true, preserveTimestamps: true })));
    guardSync(() => fs.rmSync(s, { recursive: true, force: true }));
  }
}

// ── walk / expandGlob ───────────────────────────────────────────────────────────────────

export interface WalkEntry {
  path: string;
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export interface WalkOptions {
  maxDepth?: number;
  includeFiles?: boolean;
  includeDirs?: boolean;
  includeSymlinks?: boolean;
  followSymlinks?: boolean;
  canonicalize?: boolean;
  exts?: string[];
  match?: RegExp[];
  skip?: RegExp[];
}

function entryOf(path: string, st: fs.Stats, isSymlink: boolean): WalkEntry {
  return { path, name: basename(path), isFile: st.isFile(), isDirectory: st.isDirectory(), isSymlink };
}

function included(path: string, options: WalkOptions): boolean {
  const exts = options.exts?.map((e) => (e.startsWith(".") ? e : `.${e}`));
  if (exts && !exts.some((e) => path.endsWith(e))) return false;
  if (options.match && !options.match.some((re) => re.test(path))) return false;
  if (options.skip && options.skip.some((re) => re.test(path))) return false;
  return true;
}

function wanted(entry: WalkEntry, options: WalkOptions): boolean {
  if (entry.isSymlink && options.includeSymlinks === false && options.followSymlinks !== true) return false;
  if (entry.isDirectory) return options.includeDirs !== false;
  if (entry.isFile) return options.includeFiles !== false;
  return options.includeFiles !== false;
}

/** Walks `root` depth-first (directory entries in name order), yielding the root first. */
export async function* walk(root: PathLike, options: WalkOptions = {}): AsyncIterableIterator<WalkEntry> {
  const maxDepth = options.maxDepth ?? Infinity;
  const start = toPath(root);
  if (maxDepth < 0) return;
  const rootStat = await guard(() => fsp.stat(start));
  const rootEntry = entryOf(start, rootStat, false);
  if (options.includeDirs !== false && included(start, options)) yield rootEntry;
  if (!rootStat.isDirectory() || maxDepth < 1 || !included(start, { skip: options.skip })) return;
  async function* visit(dir: string, depth: number): AsyncIterableIterator<WalkEntry> {
    const dirents = (await guard(() => fsp.readdir(dir, { withFileTypes: true }))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      let path = join(dir, dirent.name);
      const isSymlink = dirent.isSymbolicLink();
      let st = await guard(() => fsp.lstat(path));
      if (isSymlink && options.followSymlinks) {
        st = await guard(() => fsp.stat(path));
        if (options.canonicalize !== false) path = await guard(() => fsp.realpath(path));
      }
      const entry = entryOf(path, st, isSymlink);
      if (!included(path, { skip: options.skip })) continue;
      if (wanted(entry, options) && included(path, options)) yield entry;
      if (st.isDirectory() && depth < maxDepth && (!isSymlink || options.followSymlinks)) yield* visit(path, depth + 1);
    }
  }
  yield* visit(start, 1);
}

export function* walkSync(root: PathLike, options: WalkOptions = {}): IterableIterator<WalkEntry> {
  const maxDepth = options.maxDepth ?? Infinity;
  const start = toPath(root);
  if (maxDepth < 0) return;
  const rootStat = guardSync(() => fs.statSync(start));
  if (options.includeDirs !== false && included(start, options)) yield entryOf(start, rootStat, false);
  if (!rootStat.isDirectory() || maxDepth < 1 || !included(start, { skip: options.skip })) return;
  function* visit(dir: string, depth: number): IterableIterator<WalkEntry> {
    const dirents = guardSync(() => fs.readdirSync(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      let path = join(dir, dirent.name);
      const isSymlink = dirent.isSymbolicLink();
      let st = guardSync(() => fs.lstatSync(path));
      if (isSymlink && options.followSymlinks) {
        st = guardSync(() => fs.statSync(path));
        if (options.canonicalize !== false) path = guardSync(() => fs.realpathSync(path));
      }
      const entry = entryOf(path, st, isSymlink);
      if (!included(path, { skip: options.skip })) continue;
      if (wanted(entry, options) && included(path, options)) yield entry;
      if (st.isDirectory() && depth < maxDepth && (!isSymlink || options.followSymlinks)) yield* visit(path, depth + 1);
    }
  }
  yield* visit(start, 1);
}

export interface ExpandGlobOptions {
  root?: string;
  exclude?: string[];
  includeDirs?: boolean;
  extended?: boolean;
  globstar?: boolean;
  caseInsensitive?: boolean;
  followSymlinks?: boolean;
  canonicalize?: boolean;
}

/** The walk that answers a glob: from its fixed leading directories, matching the whole path. */
function globPlan(glob: PathLike, options: ExpandGlobOptions): { base: string; walk: WalkOptions } {
  const abs = resolve(options.root ?? process.cwd(), toPath(glob));
  const segments = abs.split(sep);
  const firstGlob = segments.findIndex((s) => isGlob(s));
  const base = firstGlob === -1 ? abs : segments.slice(0, firstGlob).join(sep) || sep;
  const globOptions = { extended: options.extended ?? true, globstar: options.globstar ?? true, caseInsensitive: options.caseInsensitive ?? false };
  const depth = firstGlob === -1 ? 0 : segments.slice(firstGlob).includes("**") ? Infinity : segments.length - firstGlob;
  const exclude = (options.exclude ?? []).map((e) => globToRegExp(resolve(options.root ?? process.cwd(), e), globOptions));
  return {
    base,
    walk: {
      maxDepth: depth,
      includeDirs: options.includeDirs ?? true,
      followSymlinks: options.followSymlinks ?? false,
      canonicalize: options.canonicalize ?? true,
      match: [globToRegExp(abs, globOptions)],
      skip: exclude,
    },
  };
}

export async function* expandGlob(glob: PathLike, options: ExpandGlobOptions = {}): AsyncIterableIterator<WalkEntry> {
  const plan = globPlan(glob, options);
  if (!(await exists(plan.base))) return;
  yield* walk(plan.base, plan.walk);
}

export function* expandGlobSync(glob: PathLike, options: ExpandGlobOptions = {}): IterableIterator<WalkEntry> {
  const plan = globPlan(glob, options);
  if (!existsSync(plan.base)) return;
  yield* walkSync(plan.base, plan.walk);
}

// ── end of line ─────────────────────────────────────────────────────────────────────────

export const EOL: "\n" | "\r\n" = process.platform === "win32" ? "\r\n" : "\n";

export function detect(content: string): "\n" | "\r\n" | null {
  const m = /\r?\n/.exec(content);
  return m ? (m[0] as "\n" | "\r\n") : null;
}
