/** The rules for naming a secret that every vault shares (no zod: cheap to load). */
import { utf8Length } from "./untrusted.js";

/** Longest secret key, in UTF-8 bytes (keys become file names and appear in references). */
export const MAX_SECRET_KEY_BYTES = 200;

/** Why `key` cannot name a secret, or null when it can: the rules every vault shares. */
export function secretKeyProblem(key: unknown): string | null {
  if (typeof key !== "string" || key.length === 0) return "a secret key must be a non-empty string";
  const bytes = utf8Length(key);
  if (bytes > MAX_SECRET_KEY_BYTES) return `the key is ${bytes} bytes; secret keys are limited to ${MAX_SECRET_KEY_BYTES} bytes`;
  if (key.includes("\0")) return "a secret key must not contain NUL";
  if (key.includes("/") || key.includes("\\")) return "a secret key must not contain '/' or '\\'";
  if (key.includes("..")) return "a secret key must not contain '..'";
  return null;
}
