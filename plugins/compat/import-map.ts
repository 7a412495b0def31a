/**
 * The import maps an extension is written against, as swamp reads them: the nearest
 * `deno.json` / `deno.jsonc` (`imports`) and the nearest `package.json` (`imports` and
 * `dependencies`), each found walking up from the entry file's directory to the repo root.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

export interface ImportMaps {
  /** The files read (their content is part of the bundle's cache key). */
  files: string[];
  /** Every place a map file could appear; creating one must rebuild the bundle. */
  candidates: string[];
  /** Maps a bare specifier to its target (an `npm:`/`jsr:` specifier or an absolute path), or null. */
  map(specifier: string): string | null;
}

/** JSON with comments and trailing commas (deno.jsonc) to plain JSON. */
export function stripJsonc(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

function within(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return !rel.startsWith("..") && !isAbsolute(rel);
}

function readJson(path: string): Record<string, unknown> {
  try {
    const value = JSON.parse(stripJsonc(readFileSync(path, "utf8"))) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  throw new Error(`${path}: expected a JSON object`);
}

function stringEntries(value: unknown): Array<[string, string]> {
  if (!value || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string");
}

/** A map target relative to its file becomes absolute; specifiers (`npm:`, `jsr:`, bare) stay. */
function target(value: string, base: string): string {
  return value.startsWith("./") || value.startsWith("../") || value.startsWith("/") ? resolve(base, value) + (value.endsWith("/") ? "/" : "") : value;
}

/** Exact key first, then the longest `key/` prefix (Deno import-map rules). */
function lookup(entries: Array<[string, string]>, specifier: string): string | null {
  let best: [string, string] | undefined;
  for (const [key, value] of entries) {
    if (key === specifier) return value;
    if (key.endsWith("/") && specifier.startsWith(key) && (!best || key.length > best[0].length)) best = [key, value];
  }
  return best ? best[1] + specifier.slice(best[0].length) : null;
}

/** Dependencies as Deno maps them: `"x": "^1.2"` → `npm:x@^1.2`; `file:`/`workspace:`/URLs stay unmapped. */
function dependencyEntries(pkg: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
    for (const [name, range] of stringEntries(pkg[field])) {
      if (range.startsWith("npm:") || range.startsWith("jsr:")) out.push([name, range], [`${name}/`, `${range}/`]);
      else if (!/^(?:file|link|workspace|git|git\+\w+|https?|portal):|\//.test(range)) {
        out.push([name, `npm:${name}@${range}`], [`${name}/`, `npm:${name}@${range}/`]);
      }
    }
  }
  return out;
}

export function loadImportMaps(entry: string, repoDir: string): ImportMaps {
  const files: string[] = [];
  const candidates: string[] = [];
  let deno: { entries: Array<[string, string]> } | undefined;
  let pkg: { entries: Array<[string, string]> } | undefined;
  const root = resolve(repoDir);
  for (let dir = dirname(resolve(entry)); ; dir = dirname(dir)) {
    for (const name of ["deno.json", "deno.jsonc", "package.json"]) {
      const path = join(dir, name);
      candidates.push(path);
      const isPkg = name === "package.json";
      if ((isPkg ? pkg : deno) || !existsSync(path)) continue;
      const json = readJson(path);
      files.push(path);
      const imports = stringEntries(json.imports).map(([k, v]): [string, string] => [k, target(v, dir)]);
      if (isPkg) pkg = { entries: [...imports.filter(([k]) => !k.startsWith("#")), ...dependencyEntries(json)] };
      else deno = { entries: imports };
    }
    if (dir === root || !within(root, dir) || dirname(dir) === dir) break;
  }
  return {
    files,
    candidates,
    map(specifier) {
      return (deno && lookup(deno.entries, specifier)) ?? (pkg && lookup(pkg.entries, specifier)) ?? null;
    },
  };
}
