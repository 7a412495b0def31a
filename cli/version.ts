import { createRequire } from "node:module";

/** Replaced with the package version by the bundler; read from package.json when run unbundled. */
declare const SWAMP_VERSION: string | undefined;

function fromPackageJson(): string {
  const require = createRequire(import.meta.url);
  for (const candidate of ["../package.json", "../../package.json"]) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === "swamp" && pkg.version) return pkg.version;
    } catch {
      // try the next layout
    }
  }
  return "0.0.0";
}

export const VERSION: string = typeof SWAMP_VERSION === "string" ? SWAMP_VERSION : fromPackageJson();
