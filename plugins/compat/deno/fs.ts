/**
 * Deno's file system functions on `node:fs`: the same names, option names and return shapes
 * (`Uint8Array`, `FileInfo`, `DirEntry`), `string | URL` paths, and Deno's error classes.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mapAsync, mapSync } from "./errors.js";

export type PathLike = string | URL;

function pathOf(p: PathLike): string {
  if (p instanceof URL) return fileURLToPath(p);
  return String(p);
}

/** A plain `Uint8Array` view of a Buffer (no copy): what Deno returns. */
export function bytes(buf: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(buf) === Uint8Array.prototype ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  size: number;
  mtime: Date | null;
  atime: Date | null;
  birthtime: Date | null;
  ctime: Date | null;
  dev: number;
  ino: number | null;
  mode: number | null;
  nlink: number | null;
  uid: number | null;
  gid: number | null;
  rdev: number | null;
  blksize: number | null;
  blocks: number | null;
  isBlockDevice: boolean | null;
  isCharDevice: boolean | null;
  isFifo: boolean | null;
  isSocket: boolean | null;
}

function fileInfo(s: fs.Stats): FileInfo {
  return {
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymlink: s.isSymbolicLink(),
    size: s.size,
    mtime: s.mtime,
    atime: s.atime,
    birthtime: s.birthtime,
    ctime: s.ctime,
    dev: s.dev,
    ino: s.ino,
    mode: s.mode,
    nlink: s.nlink,
    uid: s.uid,
    gid: s.gid,
    rdev: s.rdev,
    blksize: s.blksize,
    blocks: s.blocks,
    isBlockDevice: s.isBlockDevice(),
    isCharDevice: s.isCharacterDevice(),
    isFifo: s.isFIFO(),
    isSocket: s.isSocket(),
  };
}

export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

function dirEntry(d: fs.Dirent): DirEntry {
  return { name: d.name, isFile: d.isFile(), isDirectory: d.isDirectory(), isSymlink: d.isSymbolicLink() };
}

export interface WriteFileOptions {
  append?: boolean;
  create?: boolean;
  createNew?: boolean;
  mode?: number;
  signal?: AbortSignal;
}

/** open(2) flags for Deno's write options: create by default, truncate unless appending. */
function writeFlags(o: WriteFileOptions): number {
  const c = fs.constants;
  let flags = c.O_WRONLY | (o.append ? c.O_APPEND : c.O_TRUNC);
  if (o.createNew) flags |= c.O_CREAT | c.O_EXCL;
  else if (o.create !== false) flags |= c.O_CREAT;
  return flags;
}

function isStream(v: unknown): v is ReadableStream<unknown> {
  return typeof (v as { getReader?: unknown })?.getReader === "function";
}

async function writeAny(call: string, p: PathLike, data: unknown, o: WriteFileOptions = {}): Promise<void> {
  const path = pathOf(p);
  await mapAsync(call, path, async () => {
    o.signal?.throwIfAborted();
    const handle = await fsp.open(path, writeFlags(o), o.mode ?? 0o666);
    try {
      if (isStream(data)) {
        const reader = data.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          o.signal?.throwIfAborted();
          if (typeof value === "string") await handle.write(value);
          else await handle.write(value as Uint8Array);
        }
      } else {
        await handle.writeFile(data as string | Uint8Array, { signal: o.signal });
      }
      // Deno applies the mode to the file whether or not it created it.
      if (o.mode !== undefined) await handle.chmod(o.mode);
    } finally {
      await handle.close();
    }
  });
}

function writeAnySync(call: string, p: PathLike, data: string | Uint8Array, o: WriteFileOptions = {}): void {
  const path = pathOf(p);
  mapSync(call, path, () => {
    const fd = fs.openSync(path, writeFlags(o), o.mode ?? 0o666);
    try {
      fs.writeFileSync(fd, data);
      if (o.mode !== undefined) fs.fchmodSync(fd, o.mode);
    } finally {
      fs.closeSync(fd);
    }
  });
}

export interface MkdirOptions {
  recursive?: boolean;
  mode?: number;
}

export interface RemoveOptions {
  recursive?: boolean;
}

export interface MakeTempOptions {
  dir?: string;
  prefix?: string;
  suffix?: string;
}

function tempPath(o: MakeTempOptions = {}): string {
  const dir = o.dir ?? process.env.TMPDIR ?? tmpdir();
  // Web Crypto rather than node:crypto, which would load with every extension worker.
  const random = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
  return join(dir, `${o.prefix ?? ""}${random}${o.suffix ?? ""}`);
}

/** Retries a fresh random name while one is taken (as mkstemp does). */
function freshName<T>(o: MakeTempOptions | undefined, create: (path: string) => T): T {
  for (let i = 0; ; i++) {
    try {
      return create(tempPath(o));
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" || i >= 100) throw err;
    }
  }
}

async function freshNameAsync(o: MakeTempOptions | undefined, create: (path: string) => Promise<void>): Promise<string> {
  for (let i = 0; ; i++) {
    const path = tempPath(o);
    try {
      await create(path);
      return path;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" || i >= 100) throw err;
    }
  }
}

const NEW_FILE = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL;

export function createFs() {
  return {
    readTextFile: (p: PathLike, o?: { signal?: AbortSignal }) =>
      mapAsync("Deno.readTextFile", pathOf(p), () => fsp.readFile(pathOf(p), { encoding: "utf8", signal: o?.signal })),
    readTextFileSync: (p: PathLike) => mapSync("Deno.readTextFileSync", pathOf(p), () => fs.readFileSync(pathOf(p), "utf8")),
    readFile: async (p: PathLike, o?: { signal?: AbortSignal }) =>
      bytes(await mapAsync("Deno.readFile", pathOf(p), () => fsp.readFile(pathOf(p), { signal: o?.signal }))),
    readFileSync: (p: PathLike) => bytes(mapSync("Deno.readFileSync", pathOf(p), () => fs.readFileSync(pathOf(p)))),

    writeTextFile: (p: PathLike, data: string | ReadableStream<string>, o?: WriteFileOptions) =>
      writeAny("Deno.writeTextFile", p, isStream(data) ? data : String(data), o),
    writeTextFileSync: (p: PathLike, data: string, o?: WriteFileOptions) => writeAnySync("Deno.writeTextFileSync", p, String(data), o),
    writeFile: (p: PathLike, data: Uint8Array | ReadableStream<Uint8Array>, o?: WriteFileOptions) => writeAny("Deno.writeFile", p, data, o),
    writeFileSync: (p: PathLike, data: Uint8Array, o?: WriteFileOptions) => writeAnySync("Deno.writeFileSync", p, data, o),

    remove: (p: PathLike, o?: RemoveOptions) =>
      mapAsync("Deno.remove", pathOf(p), async () => {
        const path = pathOf(p);
        if (o?.recursive) return fsp.rm(path, { recursive: true });
        // Without `recursive`, a file, a symlink or an empty directory.
        if ((await fsp.lstat(path)).isDirectory()) return fsp.rmdir(path);
        return fsp.unlink(path);
      }),
    removeSync: (p: PathLike, o?: RemoveOptions) =>
      mapSync("Deno.removeSync", pathOf(p), () => {
        const path = pathOf(p);
        if (o?.recursive) return fs.rmSync(path, { recursive: true });
        if (fs.lstatSync(path).isDirectory()) return fs.rmdirSync(path);
        return fs.unlinkSync(path);
      }),
    rename: (from: PathLike, to: PathLike) => mapAsync("Deno.rename", pathOf(from), () => fsp.rename(pathOf(from), pathOf(to))),
    renameSync: (from: PathLike, to: PathLike) => mapSync("Deno.renameSync", pathOf(from), () => fs.renameSync(pathOf(from), pathOf(to))),
    copyFile: (from: PathLike, to: PathLike) => mapAsync("Deno.copyFile", pathOf(from), () => fsp.copyFile(pathOf(from), pathOf(to))),
    copyFileSync: (from: PathLike, to: PathLike) => mapSync("Deno.copyFileSync", pathOf(from), () => fs.copyFileSync(pathOf(from), pathOf(to))),

    stat: async (p: PathLike) => fileInfo(await mapAsync("Deno.stat", pathOf(p), () => fsp.stat(pathOf(p)))),
    statSync: (p: PathLike) => fileInfo(mapSync("Deno.statSync", pathOf(p), () => fs.statSync(pathOf(p)))),
    lstat: async (p: PathLike) => fileInfo(await mapAsync("Deno.lstat", pathOf(p), () => fsp.lstat(pathOf(p)))),
    lstatSync: (p: PathLike) => fileInfo(mapSync("Deno.lstatSync", pathOf(p), () => fs.lstatSync(pathOf(p)))),

    mkdir: (p: PathLike, o?: MkdirOptions) =>
      mapAsync("Deno.mkdir", pathOf(p), async () => {
        await fsp.mkdir(pathOf(p), { recursive: o?.recursive ?? false, mode: o?.mode ?? 0o777 });
      }),
    mkdirSync: (p: PathLike, o?: MkdirOptions) =>
      mapSync("Deno.mkdirSync", pathOf(p), () => {
        fs.mkdirSync(pathOf(p), { recursive: o?.recursive ?? false, mode: o?.mode ?? 0o777 });
      }),
    readDir: (p: PathLike): AsyncIterable<DirEntry> => ({
      async *[Symbol.asyncIterator]() {
        const entries = await mapAsync("Deno.readDir", pathOf(p), () => fsp.readdir(pathOf(p), { withFileTypes: true }));
        for (const d of entries) yield dirEntry(d);
      },
    }),
    readDirSync: (p: PathLike): Iterable<DirEntry> =>
      mapSync("Deno.readDirSync", pathOf(p), () => fs.readdirSync(pathOf(p), { withFileTypes: true })).map(dirEntry),

    makeTempFile: (o?: MakeTempOptions) =>
      mapAsync("Deno.makeTempFile", o?.dir, () =>
        freshNameAsync(o, async (path) => {
          await (await fsp.open(path, NEW_FILE, 0o600)).close();
        }),
      ),
    makeTempFileSync: (o?: MakeTempOptions) =>
      mapSync("Deno.makeTempFileSync", o?.dir, () =>
        freshName(o, (path) => {
          fs.closeSync(fs.openSync(path, NEW_FILE, 0o600));
          return path;
        }),
      ),
    makeTempDir: (o?: MakeTempOptions) => mapAsync("Deno.makeTempDir", o?.dir, () => freshNameAsync(o, (path) => fsp.mkdir(path, { mode: 0o700 }))),
    makeTempDirSync: (o?: MakeTempOptions) =>
      mapSync("Deno.makeTempDirSync", o?.dir, () =>
        freshName(o, (path) => {
          fs.mkdirSync(path, { mode: 0o700 });
          return path;
        }),
      ),

    chmod: (p: PathLike, mode: number) => mapAsync("Deno.chmod", pathOf(p), () => fsp.chmod(pathOf(p), mode)),
    chmodSync: (p: PathLike, mode: number) => mapSync("Deno.chmodSync", pathOf(p), () => fs.chmodSync(pathOf(p), mode)),
    chown: (p: PathLike, uid: number | null, gid: number | null) =>
      mapAsync("Deno.chown", pathOf(p), () => fsp.chown(pathOf(p), uid ?? -1, gid ?? -1)),
    chownSync: (p: PathLike, uid: number | null, gid: number | null) =>
      mapSync("Deno.chownSync", pathOf(p), () => fs.chownSync(pathOf(p), uid ?? -1, gid ?? -1)),
    realPath: (p: PathLike) => mapAsync("Deno.realPath", pathOf(p), () => fsp.realpath(pathOf(p))),
    realPathSync: (p: PathLike) => mapSync("Deno.realPathSync", pathOf(p), () => fs.realpathSync(pathOf(p))),
    readLink: (p: PathLike) => mapAsync("Deno.readLink", pathOf(p), () => fsp.readlink(pathOf(p))),
    readLinkSync: (p: PathLike) => mapSync("Deno.readLinkSync", pathOf(p), () => fs.readlinkSync(pathOf(p))),
    symlink: (target: PathLike, p: PathLike, o?: { type?: "file" | "dir" | "junction" }) =>
      mapAsync("Deno.symlink", pathOf(p), () => fsp.symlink(pathOf(target), pathOf(p), o?.type)),
    symlinkSync: (target: PathLike, p: PathLike, o?: { type?: "file" | "dir" | "junction" }) =>
      mapSync("Deno.symlinkSync", pathOf(p), () => fs.symlinkSync(pathOf(target), pathOf(p), o?.type)),
    link: (from: PathLike, to: PathLike) => mapAsync("Deno.link", pathOf(from), () => fsp.link(pathOf(from), pathOf(to))),
    linkSync: (from: PathLike, to: PathLike) => mapSync("Deno.linkSync", pathOf(from), () => fs.linkSync(pathOf(from), pathOf(to))),
    truncate: (p: PathLike, len?: number) => mapAsync("Deno.truncate", pathOf(p), () => fsp.truncate(pathOf(p), len ?? 0)),
    truncateSync: (p: PathLike, len?: number) => mapSync("Deno.truncateSync", pathOf(p), () => fs.truncateSync(pathOf(p), len ?? 0)),
    utime: (p: PathLike, atime: number | Date, mtime: number | Date) => mapAsync("Deno.utime", pathOf(p), () => fsp.utimes(pathOf(p), atime, mtime)),
    utimeSync: (p: PathLike, atime: number | Date, mtime: number | Date) => mapSync("Deno.utimeSync", pathOf(p), () => fs.utimesSync(pathOf(p), atime, mtime)),
  };
}
