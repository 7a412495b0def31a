/**
 * Content fingerprints of extension sources. A bundle is keyed by the SHA-256 of its entry
 * file and every local file it imports (as esbuild's metafile reports them), never by mtime.
 *
 * Re-hashing every input on every command would be wasteful, so each input also records a
 * stat tuple (size, mtimeMs, ctimeMs, ino) and when it was hashed. An unchanged tuple skips
 * the re-hash, but only when the file was already older than the hash by a safe margin: a
 * write in the same timestamp tick as the hash could otherwise go unnoticed ("racily clean").
 * Any difference in the tuple means re-hash, and only a different hash means a rebuild.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { relative } from "node:path";

/** Files modified less than this long before they were hashed are always re-hashed. */
const RACY_MARGIN_MS = 2_000;

export interface StatStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** When the content was read (ms since epoch). */
  hashedAt: number;
}

export interface InputRecord extends StatStamp {
  path: string;
  /** SHA-256 of the content, or "MISSING" when the file could not be read. */
  sha256: string;
}

export const MISSING = "MISSING";

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

async function statOf(path: string): Promise<Omit<StatStamp, "hashedAt"> | null> {
  try {
    const st = await stat(path);
    return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  } catch {
    return null;
  }
}

/** True when the recorded stamp proves the file is unchanged without reading it. */
export function stampStillValid(recorded: StatStamp, current: Omit<StatStamp, "hashedAt"> | null): boolean {
  if (!current) return false;
  return (
    current.size === recorded.size &&
    current.mtimeMs === recorded.mtimeMs &&
    current.ctimeMs === recorded.ctimeMs &&
    current.ino === recorded.ino &&
    recorded.ctimeMs < recorded.hashedAt - RACY_MARGIN_MS &&
    recorded.mtimeMs < recorded.hashedAt - RACY_MARGIN_MS
  );
}

/** Reads and hashes a file, with the stat taken before the read (so a concurrent write shows). */
export async function recordInput(path: string): Promise<InputRecord & { text?: string }> {
  const hashedAt = Date.now();
  const st = await statOf(path);
  try {
    const bytes = await readFile(path);
    return { path, sha256: sha256(bytes), ...(st ?? { size: -1, mtimeMs: -1, ctimeMs: -1, ino: -1 }), hashedAt, text: bytes.toString("utf8") };
  } catch {
    return { path, sha256: MISSING, size: -1, mtimeMs: -1, ctimeMs: -1, ino: -1, hashedAt };
  }
}

export async function statStamp(path: string): Promise<StatStamp | null> {
  const hashedAt = Date.now();
  const st = await statOf(path);
  return st ? { ...st, hashedAt } : null;
}

export async function currentStat(path: string): Promise<Omit<StatStamp, "hashedAt"> | null> {
  return statOf(path);
}

export interface InputCheck {
  /** Every input still has its recorded content. */
  unchanged: boolean;
  /** The records, re-stamped where a file was re-hashed with the same content. */
  inputs: InputRecord[];
  /** Whether any record was re-stamped (the manifest should be saved). */
  restamped: boolean;
}

/** Checks recorded inputs against the disk; `force` re-hashes everything. */
export async function checkInputs(inputs: readonly InputRecord[], force = false): Promise<InputCheck> {
  const out: InputRecord[] = [];
  let unchanged = true;
  let restamped = false;
  for (const input of inputs) {
    const current = await statOf(input.path);
    // A file that could hold an import map but does not exist yet: nothing to re-hash.
    if ((!force && stampStillValid(input, current)) || (current === null && input.sha256 === MISSING)) {
      out.push(input);
      continue;
    }
    const fresh = await recordInput(input.path);
    delete fresh.text;
    if (fresh.sha256 !== input.sha256) unchanged = false;
    out.push(fresh);
    restamped = true;
  }
  return { unchanged, inputs: out, restamped };
}

/** SHA-256 over the sorted `<path relative to root>:<sha256>` lines, plus the builder salt. */
export function fingerprintOf(root: string, inputs: readonly InputRecord[], salt: string): string {
  const lines = inputs.map((i) => `${relative(root, i.path).split("\\").join("/")}:${i.sha256}`).sort();
  return sha256(`${salt}\n${lines.join("\n")}`);
}
