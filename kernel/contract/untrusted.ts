/**
 * Names a user or an extension typed (keys, model and vault names) quoted in messages: a short
 * one whole, a long one as a prefix and its size, so an error stays one readable line.
 */

/** Longest name quoted whole. */
export const SHOWN_NAME_MAX = 64;

/** Size of a string in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** `name` for a message: whole up to 64 characters, else its first 40 and its size. */
export function shortName(name: string): string {
  const chars = Array.from(String(name));
  if (chars.length <= SHOWN_NAME_MAX) return String(name);
  return `${chars.slice(0, 40).join("")}… (${utf8Length(name)} bytes)`;
}
