/**
 * The `swamp` bin. Kept tiny: `--version` answers without loading anything else; every other
 * invocation runs the CLI bundle (bin/cli/main.js: cli/main.ts as one CommonJS file, run as a
 * script and never imported) with its compiled code cached in `$SWAMP_HOME/cache/code`
 * (see code-cache.ts).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { swampHome } from "../kernel/runtime/datastore-config.js";
import { cacheScope, runBundle } from "./code-cache.js";
import { guardStdio } from "./stdio.js";
import { VERSION } from "./version.js";

/** The bundle's hash, written in by scripts/bundle.mjs. */
declare const SWAMP_CLI_HASH: string;

const argv = process.argv.slice(2);

function cacheDir(): string | null {
  try {
    return join(swampHome(process.env), "cache", "code");
  } catch {
    return null; // no home folder: run without a cache
  }
}

if (argv.length > 0 && argv.every((a) => a === "--version" || a === "-v" || a === "--json")) {
  guardStdio(argv.includes("--json"));
  process.stdout.write(argv.includes("--json") ? `${JSON.stringify({ version: VERSION }, null, 2)}\n` : `${VERSION}\n`);
} else {
  runBundle({
    file: fileURLToPath(new URL("./cli/main.js", import.meta.url)),
    hash: SWAMP_CLI_HASH,
    scope: cacheScope(argv),
    cacheDir: cacheDir(),
    resolve: (specifier) => import.meta.resolve(specifier),
    importModule: (specifier) => import(specifier),
  });
}
