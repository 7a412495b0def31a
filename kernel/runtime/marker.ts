/**
 * `.swamp.yaml`: the repo marker and its configuration. Reading validates every field we use
 * and names the file and the field in errors; unknown fields are kept (other tools and newer
 * versions write their own).
 *
 * Start-up matters here: every command reads the marker. The validated result is cached in
 * `.swamp/.marker-cache.json` keyed by the SHA-256 of the file's bytes, so the YAML parser and
 * the schema load only when the file actually changed. The cache is derived and disposable.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { atomicWriteFile } from "./atomic-write.js";
import type { Marker } from "./marker-schema.js";

export type { Marker, DatastoreBlock } from "./marker-schema.js";

export const MARKER_FILE = ".swamp.yaml";
const CACHE_FILE = join(".swamp", ".marker-cache.json");

export function markerPath(repoDir: string): string {
  return join(repoDir, MARKER_FILE);
}

export function configError(file: string, message: string, field?: string): SwampError {
  const where = field ? `${file}: ${field}: ` : `${file}: `;
  return new SwampError(ErrorCode.configInvalid, `${where}${message}`, { details: { file, ...(field ? { field } : {}) } });
}

/** Parses and validates marker text (loads the YAML parser and schema). */
export async function parseMarker(text: string, file: string): Promise<Marker> {
  return (await import("./marker-schema.js")).parseMarker(text, file);
}

/** Reads the marker; throws not_a_repo when it is missing. */
export async function readMarker(repoDir: string): Promise<Marker> {
  const file = markerPath(repoDir);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new SwampError(ErrorCode.notARepo, `Not a swamp repository: ${repoDir}. Run 'swamp repo init' first.`, {
        details: { repoDir },
      });
    }
    throw err;
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  const cachePath = join(repoDir, CACHE_FILE);
  try {
    const cached = JSON.parse(await readFile(cachePath, "utf8")) as { sha256?: string; marker?: Marker };
    if (cached.sha256 === digest && cached.marker && typeof cached.marker === "object") return cached.marker;
  } catch {
    // No cache yet, or unreadable: validate from source.
  }
  const marker = await parseMarker(bytes.toString("utf8"), file);
  await atomicWriteFile(cachePath, JSON.stringify({ sha256: digest, marker }), { durable: false, mkdirs: false }).catch(() => {});
  return marker;
}

export async function writeMarker(repoDir: string, marker: Marker): Promise<void> {
  const { stringifyMarker } = await import("./marker-schema.js");
  await atomicWriteFile(markerPath(repoDir), stringifyMarker(marker));
}
