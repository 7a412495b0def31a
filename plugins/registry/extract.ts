/**
 * Safe extraction of an npm package tarball (gzip'd tar, every entry under `package/`).
 *
 * The archive is read whole (its size already capped by the caller's download) and checked
 * entry by entry before anything touches the disk. Refused, with `unsafe_archive`: entries
 * outside `package/`, absolute paths, `..` segments, backslashes or NUL in names, device files
 * and FIFOs, symlinks whose target is absolute or climbs (`..`), hard links to anything but a
 * file extracted before them, and entries written through a symlink. The decompressed size and
 * the entry count are capped (`input_too_large`). Then the files are written into a fresh
 * temporary directory next to the destination and renamed into place in one step, so a failure
 * at any point leaves the destination as it was.
 *
 * Parsing uses `tar` (the parser npm itself runs); the policy above is ours.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { ReadEntry } from "tar";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { importLib } from "../../kernel/contract/import-module.js";

export const ExtractErrorCode = {
  /** An archive entry that could write outside the destination, or a kind of file we never write. */
  unsafe: "unsafe_archive",
  /** Not a gzip'd tar archive, or a damaged one. */
  invalid: "archive_invalid",
} as const;

export interface ExtractOptions {
  /** Cap on the decompressed archive (default 32 MiB). */
  maxBytes?: number;
  /** Cap on the number of entries (default 2,000). */
  maxEntries?: number;
  /** Replace an existing destination (default: refuse with already_exists). */
  replace?: boolean;
}

export interface ExtractResult {
  /** Files written (regular files and links), relative to the destination, `/`-separated, sorted. */
  files: string[];
  /** Total bytes of regular files. */
  bytes: number;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 2_000;
const ROOT = "package";

type Planned =
  | { type: "dir"; path: string }
  | { type: "file"; path: string; data: Buffer; mode: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "link"; path: string; target: string };

function unsafe(message: string, entry: string): SwampError {
  return new SwampError(ExtractErrorCode.unsafe, `Refusing the archive: ${message} (${JSON.stringify(entry)})`, { details: { entry } });
}

/** `package/a/b` → `a/b`; "" for the root itself; throws for anything that could leave it. */
function relativeName(raw: string): string {
  if (raw.includes("\0") || raw.includes("\\")) throw unsafe("entry name with a backslash or NUL", raw);
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) throw unsafe("absolute entry path", raw);
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw unsafe("entry path with '..'", raw);
  if (segments[0] !== ROOT) throw unsafe(`entry outside '${ROOT}/'`, raw);
  return segments.slice(1).join("/");
}

/** Reads every entry into memory, applying the size and count caps. */
async function readEntries(tar: Buffer, maxEntries: number): Promise<Array<{ entry: ReadEntry; data: Buffer }>> {
  const { Parser } = await importLib<typeof import("tar")>("tar");
  const out: Array<{ entry: ReadEntry; data: Buffer }> = [];
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      reject(err instanceof SwampError ? err : new SwampError(ExtractErrorCode.invalid, `Not a readable package archive: ${(err as Error).message}`));
    };
    const parser = new Parser({ strict: true });
    parser.on("entry", (entry: ReadEntry) => {
      if (out.length >= maxEntries) {
        fail(new SwampError(ErrorCode.inputTooLarge, `The archive has more than ${maxEntries} entries`, { details: { maxEntries } }));
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      const record = { entry, data: Buffer.alloc(0) };
      out.push(record);
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      entry.on("end", () => (record.data = Buffer.concat(chunks)));
    });
    parser.on("error", fail);
    parser.on("end", () => {
      if (!failed) resolve(out);
    });
    parser.end(tar);
  });
}

/** Checks every entry and decides what to write; nothing is written here. */
function plan(entries: Array<{ entry: ReadEntry; data: Buffer }>): Planned[] {
  const planned: Planned[] = [];
  const files = new Set<string>();
  const links = new Set<string>();
  const seen = new Set<string>();
  for (const { entry, data } of entries) {
    const raw = entry.path;
    const path = relativeName(raw);
    if (path === "") continue;
    // Never write through a symlink made by this archive (its target could be made to climb).
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      if (links.has(parts.slice(0, i).join("/"))) throw unsafe("entry written through a symlink", raw);
    }
    if (seen.has(path) && entry.type !== "Directory") throw unsafe("entry appears twice", raw);
    seen.add(path);
    switch (entry.type) {
      case "Directory":
        planned.push({ type: "dir", path });
        break;
      case "File":
      case "OldFile":
      case "ContiguousFile":
        planned.push({ type: "file", path, data, mode: (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644 });
        files.add(path);
        break;
      case "SymbolicLink": {
        const target = entry.linkpath ?? "";
        if (target === "" || target.startsWith("/") || target.includes("\\") || target.includes("\0") || target.split("/").includes("..")) {
          throw unsafe(`symlink to ${JSON.stringify(target)} could leave the destination`, raw);
        }
        planned.push({ type: "symlink", path, target });
        links.add(path);
        break;
      }
      case "Link": {
        const target = relativeName(entry.linkpath ?? "");
        if (!files.has(target)) throw unsafe(`hard link to ${JSON.stringify(entry.linkpath)}, which is not a file extracted before it`, raw);
        planned.push({ type: "link", path, target });
        files.add(path);
        break;
      }
      default:
        throw unsafe(`${entry.type} entries are not allowed`, raw);
    }
  }
  return planned;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Extracts the gzip'd npm tarball `archive` into `dest` (created; replaced only with `replace`). */
export async function extractTarball(archive: Uint8Array, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
      throw new SwampError(ErrorCode.inputTooLarge, `The archive unpacks to more than ${maxBytes} bytes`, { details: { maxBytes } });
    }
    throw new SwampError(ExtractErrorCode.invalid, `Not a gzip'd package archive: ${(err as Error).message}`);
  }
  // The parser accepts a cut-off archive silently: require the end-of-archive marker (two zero
  // blocks) and every entry's full body.
  if (tar.length < 1024 || tar.length % 512 !== 0 || tar.subarray(tar.length - 1024).some((b) => b !== 0)) {
    throw new SwampError(ExtractErrorCode.invalid, "Not a complete package archive (truncated or not a tar file)");
  }
  const entries = await readEntries(tar, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const short = entries.find(({ entry, data }) => (entry.type === "File" || entry.type === "OldFile" || entry.type === "ContiguousFile") && data.length !== entry.size);
  if (short) throw new SwampError(ExtractErrorCode.invalid, `Not a complete package archive: ${short.entry.path} is cut short`);
  const planned = plan(entries);
  if (!options.replace && (await exists(dest))) {
    throw new SwampError(ErrorCode.alreadyExists, `${dest} already exists`, { details: { path: dest } });
  }

  await mkdir(dirname(dest), { recursive: true });
  const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.tmp`);
  await mkdir(temp);
  let bytes = 0;
  try {
    for (const item of planned) {
      const target = join(temp, ...item.path.split("/"));
      if (item.type === "dir") {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      if (item.type === "file") {
        await writeFile(target, item.data, { mode: item.mode, flag: "wx" });
        bytes += item.data.length;
      } else if (item.type === "symlink") {
        await symlink(item.target, target);
      } else {
        await link(join(temp, ...item.target.split("/")), target);
      }
    }
    if (options.replace && (await exists(dest))) {
      const old = `${temp}.old`;
      await rename(dest, old);
      try {
        await rename(temp, dest);
      } catch (err) {
        await rename(old, dest).catch(() => {});
        throw err;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, dest);
    }
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  const files = planned.filter((p) => p.type !== "dir").map((p) => p.path);
  return { files: [...new Set(files)].sort(), bytes };
}
