/**
 * Where swamp itself is installed, and the modules it provides to extensions instead of
 * letting them bundle their own copy: zod (every `npm:zod@…`, `zod`, `zod/…` spelling) and the
 * sdk (`@swamp-ts/sdk`, or `swamp-sdk` as it was first called). One zod per worker means an
 * extension's schemas are the same zod the worker turns into JSON Schema.
 */
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isSdkSpecifier, SDK_SPECIFIER } from "./worker/protocol.js";

let root: string | undefined;

/**
 * The directory of the nearest package.json at or above `dir`: the package a file belongs to,
 * by Node's own rule, whatever the package is called (a clone, a global or a local install).
 */
export function packageRootOf(dir: string): string {
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot locate swamp's installation directory (no package.json above its files)");
    dir = parent;
  }
}

/** The directory of swamp's own package.json (dist/ and node_modules/ are below it). */
export function swampRoot(): string {
  return (root ??= packageRootOf(dirname(fileURLToPath(import.meta.url))));
}

const ZOD = /^(?:npm:\/?)?zod(?:@[^/]*)?(\/.*)?$/;

/** The host-module specifier an import maps to (`zod`, `zod/v4/core`, `@swamp-ts/sdk`), or null. */
export function hostModuleFor(specifier: string): string | null {
  if (isSdkSpecifier(specifier.replace(/^npm:/, ""))) return SDK_SPECIFIER;
  const m = ZOD.exec(specifier);
  if (!m) return null;
  const sub = m[1] ?? "";
  return sub === "" ? "zod" : `zod${sub}`;
}

/** File URL of a host module as swamp itself resolves it (the worker imports the same file). */
export function hostModuleUrl(spec: string): string {
  return import.meta.resolve(spec);
}

/** The package directory of a resolved module URL (…/node_modules/zod/). */
export function packageDirOf(url: string): string | null {
  const path = fileURLToPath(url);
  const m = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(path);
  return m?.[1] ?? null;
}

/**
 * Version string of a package as swamp resolves it (for the bundler's cache key): looked up
 * along Node's node_modules search path, so a dependency npm hoisted above swamp's own
 * node_modules counts too. It reads the package.json only: nothing is resolved or loaded.
 */
export function installedVersion(pkg: string): string {
  for (const dir of createRequire(import.meta.url).resolve.paths(pkg) ?? []) {
    const manifest = join(dir, pkg, "package.json");
    if (!existsSync(manifest)) continue;
    try {
      return (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version ?? "?";
    } catch {
      return "?";
    }
  }
  return "?";
}
