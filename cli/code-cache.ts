/**
 * Runs the CLI bundle (one CommonJS file) with V8's code cache. Node 20 has no compile cache
 * for modules (`module.enableCompileCache` is 22+), and compiling the bundle is most of a
 * short command's CPU; a `vm.Script` can take and produce cached data. The cache is only a
 * saving: any failure to read, verify or write it leaves the command exactly as it was.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";
import * as zlib from "node:zlib";

export interface BundleRun {
  /** The CommonJS bundle: ASCII only (scripts/bundle.mjs checks), so it is read as latin1, which is cheaper than UTF-8. */
  file: string;
  /** A hash of the bundle's bytes: V8 checks only the source length, so the file name must change with the content. */
  hash: string;
  /** Which command runs (`data-get`): each has its own cache, holding the functions it ran. */
  scope: string;
  /** Where cached code lives (`$SWAMP_HOME/cache/code`), or null to run without a cache. */
  cacheDir: string | null;
  /** ESM resolution for `import.meta.resolve` in the bundle (the bin's own: same node_modules). */
  resolve: (specifier: string) => string;
  /** `import()` for the bundle (see kernel/contract/import-module.ts): the bin's own. */
  importModule: (specifier: string) => Promise<unknown>;
  /** When to write a missing or refused cache (default: at process exit; a worker thread is terminated and never exits). */
  saveCache?: (save: () => void) => void;
}

/** The names the bundle's wrapper passes in (scripts/bundle.mjs defines `import.meta.*` as two of them). */
const PARAMS = ["exports", "require", "module", "__filename", "__dirname", "__swampImportMetaUrl", "__swampImportMetaResolve", "__swampImport"];

/**
 * The bundle's wrapper, written into the file by scripts/bundle.mjs (as esbuild's banner and
 * footer, so its source map counts them): the source read from disk is then compiled as it is,
 * not first copied into a bigger string.
 */
export const BUNDLE_HEAD = `(function (${PARAMS.join(", ")}) {`;
export const BUNDLE_TAIL = "\n})";

const PREFIX = "cli-";
/** The cache file: the CRC-32 of the data and its length (both uint32 LE), then the data. */
const HEADER_BYTES = 8;
/** Caches kept per build: one per command a user runs, with room for typos. */
const MAX_FILES = 64;

/**
 * The cached data's file name. V8 refuses data made by another V8 or under other flags, so
 * both are in the name: processes run with different flags keep separate caches instead of
 * replacing each other's on every run.
 */
export function cacheFileName(hash: string, scope: string): string {
  const flags = crc32(Buffer.from(`${process.execArgv.join(" ")}\n${process.env.NODE_OPTIONS ?? ""}`)).toString(16).padStart(8, "0");
  return `${PREFIX}${hash}-${scope}-v8-${process.versions.v8}-${flags}-${process.arch}.bin`;
}

/** The cache scope of a command line: its leading command words (`model method run x` → `model-method`). */
export function cacheScope(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (words.length === 2 || !/^[a-z][a-z-]{0,23}$/.test(a)) break;
    words.push(a);
  }
  return words.length > 0 ? words.join("-") : "main";
}

let crcTable: Int32Array | undefined;

/** CRC-32 (IEEE, as zlib and gzip compute it) in JavaScript, for Node 20 releases before zlib.crc32. */
export function crc32Fallback(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * CRC-32 of the cache file's data: native where Node has it (20.15+). A checksum, not a
 * signature: it catches torn writes and foreign bytes, which is all the cache needs, and costs
 * a fraction of loading node:crypto and hashing with SHA-1.
 */
export const crc32: (data: Uint8Array) => number = typeof (zlib as { crc32?: unknown }).crc32 === "function" ? (data) => (zlib as unknown as { crc32(d: Uint8Array): number }).crc32(data) : crc32Fallback;

/** The bytes of a cache file holding `data`. */
export function cacheFileBytes(data: Uint8Array): Buffer {
  const file = Buffer.allocUnsafe(HEADER_BYTES + data.length);
  file.writeUInt32LE(crc32(data), 0);
  file.writeUInt32LE(data.length, 4);
  file.set(data, HEADER_BYTES);
  return file;
}

/**
 * The cached data in `file` if its length and checksum hold, else undefined. V8 release builds
 * do not checksum cached data themselves, and bytes from a torn write or another program must
 * never reach it.
 */
export function readCache(file: string): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  if (raw.length <= HEADER_BYTES || raw.readUInt32LE(4) !== raw.length - HEADER_BYTES) return undefined;
  const data = raw.subarray(HEADER_BYTES);
  return crc32(data) === raw.readUInt32LE(0) ? data : undefined;
}

/**
 * Writes cached data whole or not at all (temp file, then rename), and drops other builds'
 * caches. Nothing is written once this build has MAX_FILES caches.
 */
export function writeCache(dir: string, hash: string, name: string, data: Buffer): void {
  const ours = `${PREFIX}${hash}-`;
  // Worker threads of one process share its pid.
  const tmp = join(dir, `.${name}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const existing = readdirSync(dir);
    for (const other of existing) {
      if (other.startsWith(PREFIX) && !other.startsWith(ours) && other.endsWith(".bin")) rmSync(join(dir, other), { force: true });
    }
    if (existing.filter((f) => f.startsWith(ours)).length >= MAX_FILES) return;
    writeFileSync(tmp, cacheFileBytes(data));
    renameSync(tmp, join(dir, name));
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable
    }
  }
}

/** Runs the bundle and returns its `module.exports`. */
export function runBundle(run: BundleRun): unknown {
  const read = readFileSync(run.file, "latin1");
  // A bundle built without the wrapper (a test's) is wrapped here.
  const source = read.startsWith(BUNDLE_HEAD) ? read : `${BUNDLE_HEAD}${read}${BUNDLE_TAIL}`;
  const name = cacheFileName(run.hash, run.scope);
  const cached = run.cacheDir ? readCache(join(run.cacheDir, name)) : undefined;
  const script = new Script(source, {
    filename: run.file,
    ...(cached ? { cachedData: cached } : {}),
  });
  const { cacheDir } = run;
  if (cacheDir && (!cached || script.cachedDataRejected)) {
    // At exit the functions this command ran are compiled too, so they are cached with the rest.
    const save = () => {
      try {
        writeCache(cacheDir, run.hash, name, script.createCachedData());
      } catch {
        // no cache this time
      }
    };
    if (run.saveCache) run.saveCache(save);
    else process.once("exit", save);
  }
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(run.file), module, run.file, dirname(run.file), pathToFileURL(run.file).href, run.resolve, run.importModule);
  return module.exports;
}
