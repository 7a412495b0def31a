/**
 * swamp's own `@std/path` (what `jsr:@std/path@1` gives a swamp extension), written on
 * `node:path`. The bundler inlines the compiled file into extension bundles for `jsr:@std/path`,
 * `@std/path` and every subpath (`@std/path/join`, `@std/path/posix`, …).
 */
import nodePath from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface ParsedPath {
  root: string;
  dir: string;
  base: string;
  ext: string;
  name: string;
}

export const SEPARATOR: string = nodePath.sep;
export const SEPARATOR_PATTERN: RegExp = nodePath.sep === "/" ? /\/+/ : /[\\/]+/;
export const DELIMITER: string = nodePath.delimiter;

function asPath(path: string | URL): string {
  return path instanceof URL ? fromFileUrl(path) : path;
}

export function join(...paths: string[]): string {
  return nodePath.join(...paths);
}

export function dirname(path: string | URL): string {
  return nodePath.dirname(asPath(path));
}

/** Last segment; a trailing `suffix` (e.g. ".ts") is removed when the name is longer than it. */
export function basename(path: string | URL, suffix = ""): string {
  const base = nodePath.basename(asPath(path));
  return suffix !== "" && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

export function extname(path: string | URL): string {
  return nodePath.extname(asPath(path));
}

export function resolve(...paths: string[]): string {
  return nodePath.resolve(...paths);
}

export function relative(from: string, to: string): string {
  return nodePath.relative(from, to);
}

export function isAbsolute(path: string): boolean {
  return nodePath.isAbsolute(path);
}

export function normalize(path: string | URL): string {
  return nodePath.normalize(asPath(path));
}

export function toNamespacedPath(path: string): string {
  return nodePath.toNamespacedPath(path);
}

export function fromFileUrl(url: string | URL): string {
  const u = url instanceof URL ? url : new URL(url);
  if (u.protocol !== "file:") throw new TypeError(`URL must be a file URL: received "${u.href}"`);
  return fileURLToPath(u);
}

export function toFileUrl(path: string): URL {
  if (!nodePath.isAbsolute(path)) throw new TypeError(`Path must be absolute: received "${path}"`);
  return pathToFileURL(path);
}

export function parse(path: string): ParsedPath {
  return nodePath.parse(path);
}

export function format(parts: Partial<ParsedPath>): string {
  return nodePath.format(parts);
}

/** The longest leading directory the paths share, with a trailing separator ("" when none). */
export function common(paths: string[], sep: string = SEPARATOR): string {
  const [first, ...rest] = paths;
  if (first === undefined) return "";
  const parts = first.split(sep);
  let length = parts.length;
  for (const path of rest) {
    const other = path.split(sep);
    let i = 0;
    while (i < length && i < other.length && other[i] === parts[i]) i++;
    length = i;
  }
  if (length === 0) return "";
  const prefix = parts.slice(0, length).join(sep);
  return length === parts.length && rest.every((p) => p === first) ? prefix : `${prefix}${sep}`;
}

export interface GlobOptions {
  extended?: boolean;
  globstar?: boolean;
  caseInsensitive?: boolean;
}

const REGEX_SPECIAL = new Set([..."\\^$.|+()[]{}"]);

/**
 * A RegExp matching a whole path against a glob: `*` and `?` stay within a segment, `**` as a
 * whole segment spans any number of them, `[abc]`/`[!a]` classes and `{a,b}` alternatives.
 */
export function globToRegExp(glob: string, options: GlobOptions = {}): RegExp {
  const globstar = options.globstar !== false;
  const seg = SEPARATOR === "/" ? "/" : "[\\\\/]";
  const notSeg = SEPARATOR === "/" ? "[^/]" : "[^\\\\/]";
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      const atStart = i === 0 || glob[i - 1] === "/";
      if (glob[i + 1] === "*" && globstar && atStart && (i + 2 === glob.length || glob[i + 2] === "/")) {
        out += i + 2 === glob.length ? ".*" : `(?:${notSeg}*${seg})*`;
        i += 2;
        continue;
      }
      while (glob[i + 1] === "*") i++;
      out += `${notSeg}*`;
    } else if (c === "?") out += notSeg;
    else if (c === "/") out += `${seg}+`;
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) out += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else if (c === "\\" && i + 1 < glob.length) out += `\\${glob[++i]}`;
    else out += REGEX_SPECIAL.has(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${out}${seg}*$`, options.caseInsensitive ? "i" : "");
}

export function isGlob(str: string): boolean {
  return /[*?[\]{}]|[@!+]\(/.test(str);
}

export function normalizeGlob(glob: string): string {
  return normalize(glob);
}

export function joinGlobs(globs: string[]): string {
  return join(...globs);
}
