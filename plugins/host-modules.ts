/**
 * Where swamp itself is installed, and the modules it provides to extensions instead of
 * letting them bundle their own copy: zod (every `npm:zod@…`, `zod`, `zod/…` spelling) and the
 * sdk (`swamp-sdk`). One zod per worker means an extension's schemas are the same zod the
 * worker turns into JSON Schema.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SDK_SPECIFIER } from "./worker/protocol.js";

let root: string | undefined;

/** The directory of swamp's own package.json (dist/ and node_modules/ are below it). */
export function swampRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "swamp") return (root = dir);
      } catch {
        // keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot locate swamp's installation directory");
    dir = parent;
  }
}

const ZOD = /^(?:npm:\/?)?zod(?:@[^/]*)?(\/.*)?$/;

/** The host-module specifier an import maps to (`zod`, `zod/v4/core`, `swamp-sdk`), or null. */
export function hostModuleFor(specifier: string): string | null {
  if (specifier === SDK_SPECIFIER || specifier === `npm:${SDK_SPECIFIER}`) return SDK_SPECIFIER;
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

/** Version string of a package installed for swamp (for the bundler's cache key). */
export function installedVersion(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(swampRoot(), "node_modules", pkg, "package.json"), "utf8")) as { version?: string }).version ?? "?";
  } catch {
    return "?";
  }
}
