/**
 * Loading an extension bundle inside a worker (or sandbox process): provide the host modules
 * through the global the bundle reads, import the bundle, find its export.
 */
import { pathToFileURL } from "node:url";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import { installDenoGlobal } from "../compat/deno/index.js";
import { EXPORT_NAMES, HOST_GLOBAL, isSdkSpecifier, type InstanceInit } from "./protocol.js";

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

/** Imports every host module the bundle needs (and zod, which describing needs) once per worker. */
export async function installHostModules(specs: Record<string, string>): Promise<void> {
  const host = hostGlobal();
  for (const [spec, url] of Object.entries(specs)) {
    if (host.modules[spec]) continue;
    host.modules[spec] = isSdkSpecifier(spec) ? await import("../../sdk/index.js") : await import(url);
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
 * Imports the bundle and returns the kind's export (`model` wins over `extension`). Every
 * load evaluates the module afresh (a pooled thread may have loaded it before, for another
 * instance): an instance never inherits module state from an earlier one.
 */
export async function loadBundle(init: InstanceInit): Promise<LoadedExtension> {
  await installHostModules(init.hostModules);
  // Extensions written for swamp are Deno programs; some read `Deno.env` at module scope.
  installDenoGlobal();
  const url = `${pathToFileURL(init.bundlePath).href}?fp=${encodeURIComponent(init.fingerprint.slice(0, 16))}&load=${++loads}`;
  const mod = (await import(url)) as Record<string, unknown>;
  for (const name of EXPORT_NAMES[init.kind as PluginKind]) {
    if (mod[name] !== undefined) return { exportName: name, exported: mod[name] };
  }
  throw new MissingExportError(`${init.source} has no \`export const ${EXPORT_NAMES[init.kind].join("` or `export const ")}\``);
}
