import { readFileSync } from "node:fs";
import { join } from "node:path";
import { swampRoot } from "../plugins/host-modules.js";

/** Replaced with the package version by the bundler; read from package.json when run unbundled. */
declare const SWAMP_VERSION: string | undefined;

function fromPackageJson(): string {
  try {
    return (JSON.parse(readFileSync(join(swampRoot(), "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const VERSION: string = typeof SWAMP_VERSION === "string" ? SWAMP_VERSION : fromPackageJson();
