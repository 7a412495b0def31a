/**
 * Whether a version's bytes still match the size and checksum recorded when it was written.
 * Bytes already in memory are always checked; a file on disk only when it is small enough to
 * hash cheaply (`VERIFY_MAX_BYTES`). A mismatch is reported, never repaired: the caller serves
 * the data and shows the warning.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { hashFile } from "./writer.js";
import type { DataMetadata } from "./metadata.js";

/** Largest file hashed only to verify it (when its content is not being read anyway). */
export const VERIFY_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Verifies bytes as they are served (a streamed `data get`): feed every chunk to `update`, then
 * `warning()` compares their count and SHA-256 with the metadata, like `integrityWarning`.
 */
export class ContentVerifier {
  private readonly hash = createHash("sha256");
  private size = 0;

  constructor(private readonly meta: DataMetadata) {}

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.size += bytes.byteLength;
  }

  warning(): string | null {
    const { meta } = this;
    if (meta.checksum === undefined) return null;
    if (meta.size !== undefined && this.size !== meta.size) return mismatch(meta, `${this.size} bytes, recorded ${meta.size}`);
    const checksum = this.hash.digest("hex");
    if (checksum !== meta.checksum) return mismatch(meta, `sha256 ${checksum.slice(0, 12)}…, recorded ${meta.checksum.slice(0, 12)}…`);
    return null;
  }
}

/**
 * A one-line warning when `content` (the bytes, or the path of the raw file) differs from what
 * the metadata recorded; null when it matches or cannot be checked cheaply.
 */
export async function integrityWarning(meta: DataMetadata, content: Uint8Array | string): Promise<string | null> {
  if (meta.checksum === undefined) return null;
  let actual: { size: number; checksum: string };
  if (typeof content === "string") {
    const info = await stat(content).catch(() => null);
    if (!info) return null;
    if (meta.size !== undefined && info.size !== meta.size) return mismatch(meta, `${info.size} bytes, recorded ${meta.size}`);
    if (info.size > VERIFY_MAX_BYTES) return null;
    actual = await hashFile(content);
  } else {
    actual = { size: content.byteLength, checksum: createHash("sha256").update(content).digest("hex") };
  }
  if (meta.size !== undefined && actual.size !== meta.size) return mismatch(meta, `${actual.size} bytes, recorded ${meta.size}`);
  if (actual.checksum !== meta.checksum) return mismatch(meta, `sha256 ${actual.checksum.slice(0, 12)}…, recorded ${meta.checksum.slice(0, 12)}…`);
  return null;
}

function mismatch(meta: DataMetadata, how: string): string {
  return `data "${meta.name}" version ${meta.version} does not match its checksum (${how}): the raw file changed after it was written`;
}
