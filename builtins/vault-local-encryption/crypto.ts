/**
 * The `local_encryption` file format (models.md §7.2), byte-compatible with the reference:
 *
 *   { "iv": b64, "data": b64(ciphertext ‖ 16-byte GCM tag), "salt": b64, "version": 2 }
 *
 * pretty-printed with two spaces. Each secret has its own random 16-byte salt and 12-byte IV;
 * the AES-256-GCM key is PBKDF2-HMAC-SHA256 (100 000 iterations, 32 bytes) over the vault's key
 * material with that salt. This is exactly WebCrypto's `deriveKey(PBKDF2 → AES-GCM 256)` +
 * `encrypt(AES-GCM)`, which appends the tag to the ciphertext.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from "node:crypto";

export const FORMAT_VERSION = 2;
export const PBKDF2_ITERATIONS = 100_000;
export const SALT_BYTES = 16;
export const IV_BYTES = 12;
const KEY_BYTES = 32;
const TAG_BYTES = 16;

export interface Envelope {
  iv: string;
  data: string;
  salt: string;
  version: number;
}

function deriveKey(material: Uint8Array, salt: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(material, salt, PBKDF2_ITERATIONS, KEY_BYTES, "sha256", (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Encrypts `plaintext` (UTF-8) under `material`; returns the file text. */
export async function encryptSecret(material: Uint8Array, plaintext: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = await deriveKey(material, salt);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  key.fill(0);
  const envelope: Envelope = {
    iv: iv.toString("base64"),
    data: data.toString("base64"),
    salt: salt.toString("base64"),
    version: FORMAT_VERSION,
  };
  return JSON.stringify(envelope, null, 2);
}

/** Why a file could not be decrypted; the provider turns it into a user-facing error. */
export class DecryptError extends Error {
  constructor(readonly reason: "format" | "version" | "authentication", message: string) {
    super(message);
    this.name = "DecryptError";
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeField(value: unknown, field: string, length?: number): Buffer {
  if (typeof value !== "string" || !BASE64.test(value)) throw new DecryptError("format", `field "${field}" is not base64`);
  const bytes = Buffer.from(value, "base64");
  if (length !== undefined && bytes.length !== length) throw new DecryptError("format", `field "${field}" must hold ${length} bytes`);
  return bytes;
}

/** Parses a file's text into its envelope (throws DecryptError on anything malformed). */
export function parseEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DecryptError("format", "the file is not JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new DecryptError("format", "the file is not a JSON object");
  const v = value as Record<string, unknown>;
  if (v.version !== FORMAT_VERSION) throw new DecryptError("version", `unsupported format version ${JSON.stringify(v.version)}`);
  return v as unknown as Envelope;
}

/** Decrypts a file's text. Throws DecryptError when the key does not match or the data was altered. */
export async function decryptSecret(material: Uint8Array, text: string): Promise<string> {
  const envelope = parseEnvelope(text);
  const iv = decodeField(envelope.iv, "iv");
  const salt = decodeField(envelope.salt, "salt");
  const data = decodeField(envelope.data, "data");
  if (iv.length === 0 || salt.length === 0) throw new DecryptError("format", "empty salt or iv");
  if (data.length < TAG_BYTES) throw new DecryptError("format", "ciphertext is shorter than its tag");
  const key = await deriveKey(material, salt);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
    return plain.toString("utf8");
  } catch {
    throw new DecryptError("authentication", "authentication failed");
  } finally {
    key.fill(0);
  }
}
