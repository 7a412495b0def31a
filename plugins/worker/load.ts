/**
 * Loading an extension bundle inside a worker (or sandbox process): provide the host modules
 * through the global the bundle reads, run or import the bundle, find its export.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { compileFunction } from "node:vm";
import * as zod from "zod";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import { installDenoGlobal } from "../compat/deno/index.js";
import { importModule } from "../../kernel/contract/import-module.js";
import { mapBundleStacks } from "./stack-maps.js";
import { BUNDLE_SUFFIX, EXPORT_NAMES, HOST_GLOBAL, isSdkSpecifier, WORKER_OWN_ZOD, type InstanceInit } from "./protocol.js";

interface HostGlobal {
  modules: Record<string, unknown>;
}

function hostGlobal(): HostGlobal {
  const g = globalThis as Record<string, unknown>;
  let host = g[HOST_GLOBAL] as HostGlobal | undefined;
  if (!host) {
    host = { modules: {} };
    Object.defineProperty(g, HOST_GLOBAL, { value: host, enumerable: false, configurable: false, writable: false });
  }
  return host;
}

/*
 * `zod` and `zod/v4` are served by the zod built into the worker (WORKER_OWN_ZOD): importing
 * zod from node_modules would resolve and compile about a hundred files in every worker.
 * Deeper paths (`zod/v4/core`, …) are imported from the URL the host names; zod keeps its
 * registry on globalThis and checks instances by trait, so the copies agree.
 */

/** Imports every host module the bundle needs (and zod, which describing needs) once per worker. */
export async function installHostModules(specs: Record<string, string>): Promise<void> {
  const host = hostGlobal();
  for (const [spec, url] of Object.entries(specs)) {
    if (host.modules[spec]) continue;
    host.modules[spec] = isSdkSpecifier(spec) ? await import("../../sdk/index.js") : WORKER_OWN_ZOD.has(spec) ? zod : await importModule(url);
  }
}

export interface LoadedExtension {
  exportName: string;
  exported: unknown;
}

export class MissingExportError extends Error {
  readonly code = "extension_invalid";
}

let loads = 0;

/**
 * Runs a bundle built as a script (plugins/bundle.ts) as a function of its own: no ES module
 * loader to start, and every run is a fresh instance of the module, as a fresh import is.
 * Named by `url` so stack frames are mapped as an imported bundle's are.
 */
function runScript(path: string, url: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const run = compileFunction(readFileSync(path, "utf8"), ["exports", "require", "module"], { filename: url });
  run.call(undefined, module.exports, createRequire(path), module);
  return module.exports;
}

/**
 * Imports the bundle and returns the kind's export (`model` wins over `extension`). Every
 * load evaluates the module afresh (a pooled thread may have loaded it before, for another
 * instance): an instance never inherits module state from an earlier one.
 */
export async function loadBundle(init: InstanceInit): Promise<LoadedExtension> {
  // The host lists the CEL engine only for a bundle that may build an environment (host/describe.ts).
  await installHostModules(init.hostModules);
  // Extensions written for swamp are Deno programs; some read `Deno.env` at module scope.
  installDenoGlobal();
  const url = `${pathToFileURL(init.bundlePath).href}?fp=${encodeURIComponent(init.fingerprint.slice(0, 16))}&load=${++loads}`;
  mapBundleStacks(url, init.bundlePath);
  const mod = init.bundlePath.endsWith(BUNDLE_SUFFIX.cjs) ? runScript(init.bundlePath, url) : await importModule<Record<string, unknown>>(url);
  for (const name of EXPORT_NAMES[init.kind as PluginKind]) {
    if (mod[name] !== undefined) return { exportName: name, exported: mod[name] };
  }
  throw new MissingExportError(`${init.source} has no \`export const ${EXPORT_NAMES[init.kind].join("` or `export const ")}\``);
}
