/**
 * The `swamp` bin (bin/swamp.cjs). Kept tiny: `--version` answers without loading anything
 * else; every other invocation runs the CLI bundle (bin/cli/main.js: cli/main.ts as one
 * CommonJS file, run as a script and never imported) with its compiled code cached in
 * `$SWAMP_HOME/cache/code` (see code-cache.ts), and the sidecar bundle (bin/cli/libs.js,
 * sidecar-libs.ts) when a command first asks for one of its packages. The bin itself is
 * CommonJS although the package is "type": "module": Node then runs it without starting the ESM
 * loader, which costs more than the bin does. scripts/bundle.mjs defines `import.meta.url` for
 * it.
 */
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { swampHome } from "../kernel/runtime/datastore-config.js";
import { cacheScope, lazyEsmResolve, runBundle } from "./code-cache.js";
import type { esmResolve } from "./esm-resolve.js";
import type { sidecarLibs } from "./sidecar-libs.js";
import { guardStdio } from "./stdio.js";
import { VERSION } from "./version.js";

/** The hash of the CLI bundle and its sidecar, written in by scripts/bundle.mjs. */
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
  const scope = cacheScope(argv);
  const codeCache = cacheDir();
  const importModule = (specifier: string) => import(specifier);
  // The sidecar bundle (cli/sidecar-libs.ts), run on the first importLib() of the command. Its
  // cache is the command's too: the same hash (of both bundles), a scope of its own.
  let sidecar: typeof sidecarLibs | undefined;
  const importLib = (name: string): Promise<unknown> => {
    try {
      sidecar ??= (runBundle({ file: join(here, "cli", "libs.js"), hash: SWAMP_CLI_HASH, scope: `${scope}.libs`, cacheDir: codeCache, resolve, importModule }) as { sidecarLibs: typeof sidecarLibs }).sidecarLibs;
    } catch (err) {
      return Promise.reject(err);
    }
    const load = Object.hasOwn(sidecar, name) ? sidecar[name] : undefined;
    return load ? load() : Promise.reject(new Error(`${name} is not in the sidecar bundle (cli/sidecar-libs.ts)`));
  };
  runBundle({ file: join(here, "cli", "main.js"), hash: SWAMP_CLI_HASH, scope, cacheDir: codeCache, resolve, importModule, importLib });
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
