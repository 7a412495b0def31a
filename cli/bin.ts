/**
 * The `swamp` bin (bin/swamp.cjs). Kept tiny: `--version` answers without loading anything
 * else; every other invocation runs the CLI bundle (bin/cli/main.js: cli/main.ts as one
 * CommonJS file, run as a script and never imported) with its compiled code cached in
 * `$SWAMP_HOME/cache/code` (see code-cache.ts). The bin itself is CommonJS although the package
 * is "type": "module": Node then runs it without starting the ESM loader, which costs more than
 * the bin does. scripts/bundle.mjs defines `import.meta.url` for it.
 */
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { swampHome } from "../kernel/runtime/datastore-config.js";
import { cacheScope, lazyEsmResolve, runBundle } from "./code-cache.js";
import type { esmResolve } from "./esm-resolve.js";
import { guardStdio } from "./stdio.js";
import { VERSION } from "./version.js";

/** The bundle's hash, written in by scripts/bundle.mjs. */
declare const SWAMP_CLI_HASH: string;

const argv = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));

function cacheDir(): string | null {
  try {
    return join(swampHome(process.env), "cache", "code");
  } catch {
    return null; // no home folder: run without a cache
  }
}

function start(resolve: typeof esmResolve): void {
  runBundle({
    file: join(here, "cli", "main.js"),
    hash: SWAMP_CLI_HASH,
    scope: cacheScope(argv),
    cacheDir: cacheDir(),
    resolve,
    importModule: (specifier) => import(specifier),
  });
}

if (argv.length > 0 && argv.every((a) => a === "--version" || a === "-v" || a === "--json")) {
  guardStdio(argv.includes("--json"));
  process.stdout.write(argv.includes("--json") ? `${JSON.stringify({ version: VERSION }, null, 2)}\n` : `${VERSION}\n`);
} else {
  const resolver = join(here, "esm-resolve.mjs");
  if ((process.features as { require_module?: boolean }).require_module) {
    // Loaded on first use only (extensions).
    start(lazyEsmResolve(resolver));
  } else {
    void import(pathToFileURL(resolver).href).then((m: { esmResolve: typeof esmResolve }) => start(m.esmResolve));
  }
}
