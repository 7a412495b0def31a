/**
 * Runs the CLI bundle (one CommonJS file) with V8's code cache. Node 20 has no compile cache
 * for modules (`module.enableCompileCache` is 22+), and compiling the bundle is most of a
 * short command's CPU; a `vm.Script` can take and produce cached data. The cache is only a
 * saving: any failure to read, verify or write it leaves the command exactly as it was.
 *
 * A cache holds the functions of the runs that made it. Runs of one command can take different
 * paths (a built-in model type or an extension's, with its worker pool and validators), so
 * the bundle records which of its modules each run initializes (scripts/bundle.mjs makes
 * esbuild's module wrappers report to `__swampModuleInits`), the cache keeps that list, and a
 * run that initialized a module the cache lacks writes it again, with its own functions added.
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
  /** Loads a package of the sidecar bundle (importLib in kernel/contract/import-module.ts), for the CLI bundle. */
  importLib?: (name: string) => Promise<unknown>;
  /** When to write a missing or refused cache (default: at process exit; a worker thread is terminated and never exits). */
  saveCache?: (save: () => void) => void;
}

/** The names the bundle's wrapper passes in (scripts/bundle.mjs defines `import.meta.*` as two of them). */
const PARAMS = ["exports", "require", "module", "__filename", "__dirname", "__swampImportMetaUrl", "__swampImportMetaResolve", "__swampImport", "__swampModuleInits", "__swampLibs"];

/**
 * The bundle's wrapper, written into the file by scripts/bundle.mjs (as esbuild's banner and
 * footer, so its source map counts them): the source read from disk is then compiled as it is,
 * not first copied into a bigger string.
 */
export const BUNDLE_HEAD = `(function (${PARAMS.join(", ")}) {`;
export const BUNDLE_TAIL = "\n})";

const PREFIX = "cli-";
/**
 * The cache file: the CRC-32 of everything after it, the data's length and the module list's
 * length (uint32 LE each), the names of the modules its runs initialized (one per line), then
 * the data.
 */
const HEADER_BYTES = 12;
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

export interface CodeCache {
  data: Buffer;
  /** The bundle modules initialized by the runs whose functions `data` holds. */
  modules: Set<string>;
}

/** The bytes of a cache file holding `cache`. */
export function cacheFileBytes(cache: CodeCache): Buffer {
  const names = Buffer.from([...cache.modules].join("\n"), "utf8");
  const file = Buffer.allocUnsafe(HEADER_BYTES + names.length + cache.data.length);
  file.writeUInt32LE(cache.data.length, 4);
  file.writeUInt32LE(names.length, 8);
  names.copy(file, HEADER_BYTES);
  file.set(cache.data, HEADER_BYTES + names.length);
  file.writeUInt32LE(crc32(file.subarray(4)), 0);
  return file;
}

/**
 * The cache in `file` if its lengths and checksum hold, else undefined. V8 release builds do
 * not checksum cached data themselves, and bytes from a torn write or another program must
 * never reach it.
 */
export function readCache(file: string): CodeCache | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  if (raw.length <= HEADER_BYTES) return undefined;
  const dataLength = raw.readUInt32LE(4);
  const namesLength = raw.readUInt32LE(8);
  if (dataLength === 0 || HEADER_BYTES + namesLength + dataLength !== raw.length) return undefined;
  if (crc32(raw.subarray(4)) !== raw.readUInt32LE(0)) return undefined;
  const names = raw.toString("utf8", HEADER_BYTES, HEADER_BYTES + namesLength);
  return { data: raw.subarray(HEADER_BYTES + namesLength), modules: new Set(names === "" ? [] : names.split("\n")) };
}

/**
 * Writes a cache whole or not at all (temp file, then rename), and drops other builds'
 * caches. No new file is added once this build has MAX_FILES caches.
 */
export function writeCache(dir: string, hash: string, name: string, cache: CodeCache): void {
  const ours = `${PREFIX}${hash}-`;
  // Worker threads of one process share its pid.
  const tmp = join(dir, `.${name}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const existing = readdirSync(dir);
    for (const other of existing) {
      if (other.startsWith(PREFIX) && !other.startsWith(ours) && other.endsWith(".bin")) rmSync(join(dir, other), { force: true });
    }
    if (!existing.includes(name) && existing.filter((f) => f.startsWith(ours)).length >= MAX_FILES) return;
    writeFileSync(tmp, cacheFileBytes(cache));
    renameSync(tmp, join(dir, name));
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable
    }
  }
}

/**
 * ESM resolution (`import.meta.resolve` for a bundle) from the resolver module beside the bin
 * (bin/esm-resolve.mjs, cli/esm-resolve.ts), required on first use: Node 20.19+ requires an ES
 * module synchronously. The bin and the worker entry are CommonJS, so they cannot resolve as an
 * ES module does themselves.
 */
export function lazyEsmResolve(resolverFile: string): (specifier: string) => string {
  let resolve: ((specifier: string) => string) | undefined;
  return (specifier) => (resolve ??= (createRequire(resolverFile)(resolverFile) as { esmResolve: (s: string) => string }).esmResolve)(specifier);
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
    ...(cached ? { cachedData: cached.data } : {}),
  });
  const moduleInits = new Set<string>();
  const { cacheDir } = run;
  if (cacheDir) {
    const usable = cached && !script.cachedDataRejected ? cached : undefined;
    // At exit the functions this command ran are compiled too, so they are cached with the
    // rest (with those deserialized from the cache it had).
    const save = () => {
      const added = usable ? [...moduleInits].filter((m) => !usable.modules.has(m)) : [...moduleInits];
      if (usable && added.length === 0) return;
      try {
        writeCache(cacheDir, run.hash, name, { data: script.createCachedData(), modules: new Set([...(usable?.modules ?? []), ...added]) });
      } catch {
        // no cache this time
      }
    };
    if (run.saveCache) run.saveCache(save);
    else process.once("exit", save);
  }
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(run.file), module, run.file, dirname(run.file), pathToFileURL(run.file).href, run.resolve, run.importModule, moduleInits, run.importLib);
  return module.exports;
}
