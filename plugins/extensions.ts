/**
 * Registering discovered extensions in the kernel's plugin registry, next to the builtins.
 *
 * Every healthy source becomes a registry entry built from its manifest descriptor; its
 * `load()` returns a proxy (plugins/host/ports/*) that starts a worker only when a method is
 * actually called. A broken source whose type is known from an earlier good build is
 * registered too, with a `load()` that fails with the build error: a command that needs it
 * fails loudly instead of silently using a stale bundle. Problems never stop other commands;
 * they come back as warnings (printed on stderr by the CLI).
 */
import { join } from "node:path";
import { ErrorCode, SwampError, errorMessage } from "../kernel/contract/errors.js";
import { collectiveOf, isReservedCollective, type PluginEntry, type PluginImplementations, type PluginKind } from "../kernel/contract/plugin.js";
import type { ModelTypePlugin } from "../kernel/contract/ports/model-type.js";
import { swampHome } from "../kernel/runtime/datastore-config.js";
import type { PluginRegistry } from "../kernel/runtime/registry.js";
import { displayPath, reconcile, type KindCatalog, type ReconcileOptions } from "./catalog.js";
import { isolationPolicy } from "./isolation.js";
import { bundleDir, type ManifestEntry } from "./manifest.js";
import { setValidatorCacheDir } from "../kernel/models/validator-cache.js";
import type { HostContext } from "./host/host.js";
import type { ConfigurableDescriptor, ModelDescriptor, ReportDescriptor } from "./worker/protocol.js";

export interface ExtensionSetup {
  repoDir: string;
  marker: Record<string, unknown>;
  env: Readonly<Record<string, string | undefined>>;
}

export interface RegisterOutcome {
  catalogs: KindCatalog[];
  /** One line each: broken sources, duplicate types, extensions of unknown types. */
  warnings: string[];
  /** Per kind: why registering failed (for doctor). */
  loaderErrors: Partial<Record<PluginKind, string>>;
}

export function hostContext(setup: ExtensionSetup): HostContext {
  let defaultCachePath: string;
  try {
    defaultCachePath = join(swampHome(setup.env), "repos", typeof setup.marker.repoId === "string" ? setup.marker.repoId : "unknown");
  } catch {
    defaultCachePath = join(setup.repoDir, ".swamp", "cache");
  }
  return { repoDir: setup.repoDir, env: setup.env, isolation: isolationPolicy(setup.marker), defaultCachePath };
}

const STATE_CODES: Record<string, string> = {
  BundleBuildFailed: ErrorCode.extensionBuildFailed,
  ValidationFailed: ErrorCode.extensionInvalid,
  EntryPointUnreadable: ErrorCode.extensionError,
};

const STATE_VERBS: Record<string, string> = {
  BundleBuildFailed: "failed to build",
  ValidationFailed: "is not a valid extension",
  EntryPointUnreadable: "cannot be read",
};

export function brokenMessage(repoDir: string, entry: ManifestEntry): string {
  return `The ${entry.kind} extension ${displayPath(repoDir, entry.source)} ${STATE_VERBS[entry.state] ?? "is broken"}: ${entry.lastError ?? "unknown error"}`;
}

function brokenEntry(repoDir: string, entry: ManifestEntry, type: string): PluginEntry {
  // One line for the user (the first compiler error, with how many more); all of them in details.
  const [first = "", ...more] = brokenMessage(repoDir, entry).split("\n").filter((l) => l.trim() !== "" && !/^\s/.test(l));
  const message = more.length > 0 ? `${first} (and ${more.length} more error${more.length === 1 ? "" : "s"})` : first;
  return {
    kind: entry.kind,
    type,
    name: type,
    description: `(broken: ${STATE_VERBS[entry.state] ?? entry.state})`,
    origin: "extension",
    source: entry.source,
    load: async () => {
      throw new SwampError(STATE_CODES[entry.state] ?? ErrorCode.extensionError, message, {
        details: { source: entry.source, state: entry.state, type, error: entry.lastError },
      });
    },
  };
}

/** Reserved-collective types already warned about in this process (the warning is said once). */
const warnedReserved = new Set<string>();

/**
 * One line for a local source that declares a type under a reserved collective. It loads all
 * the same (swamp's own official extensions live there); only publishing such a name is refused.
 */
function reservedWarning(repoDir: string, entry: ManifestEntry, type: string): string | null {
  if (!isReservedCollective(type)) return null;
  const key = `${entry.kind}:${type.toLowerCase()}`;
  if (warnedReserved.has(key)) return null;
  warnedReserved.add(key);
  return `${displayPath(repoDir, entry.source)} declares ${entry.kind} type "${type}" in the reserved collective "${collectiveOf(type)}" (it loads, but \`swamp extension push\` refuses the name)`;
}

async function host() {
  return (await import("./host/host.js")).extensionHost();
}

function entryFor(ctx: HostContext, entry: ManifestEntry, extensionsOf: (type: string) => ManifestEntry[]): PluginEntry | null {
  const d = entry.descriptor;
  if (!d) return null;
  const base = { kind: entry.kind, type: d.type, name: d.name, description: d.description, origin: "extension" as const, source: entry.source };
  switch (d.kind) {
    case "datastore":
      return { ...base, load: async () => (await (await import("./host/ports/datastore.js")).datastoreProxy(await host(), ctx, entry, d as ConfigurableDescriptor)) as never };
    case "vault":
      return { ...base, load: async () => (await import("./host/ports/simple.js")).vaultProxy(await host(), ctx, entry, d as ConfigurableDescriptor) as never };
    case "driver":
      return { ...base, load: async () => (await import("./host/ports/simple.js")).driverProxy(await host(), ctx, entry, d as ConfigurableDescriptor) as never };
    case "report":
      return { ...base, load: async () => (await import("./host/ports/simple.js")).reportProxy(await host(), ctx, entry, d as ReportDescriptor) as never };
    case "model": {
      const md = d as ModelDescriptor;
      return {
        ...base,
        description: md.description || `Extension model type (${displayPath(ctx.repoDir, entry.source)})`,
        load: async () => {
          const { modelProxy } = await import("./host/ports/model.js");
          const extensions = extensionsOf(md.type).map((e) => ({ entry: e, descriptor: e.descriptor as ModelDescriptor }));
          return modelProxy(await host(), ctx, { entry, descriptor: md }, extensions) as never;
        },
      };
    }
  }
}

/** Wraps a registered model type's loader so `export const extension` files add to it. */
function extendEntry(ctx: HostContext, target: PluginEntry, extensions: ManifestEntry[]): void {
  const original = target.load.bind(target);
  (target as PluginEntry<"model">).load = async () => {
    const impl = (await original()) as ModelTypePlugin;
    const merged: ModelTypePlugin = {
      ...impl,
      methods: { ...impl.methods },
      ...(impl.checks ? { checks: { ...impl.checks } } : {}),
      ...(impl.resources ? { resources: { ...impl.resources } } : {}),
      ...(impl.files ? { files: { ...impl.files } } : {}),
    };
    const { addSource } = await import("./host/ports/model.js");
    const h = await host();
    for (const e of extensions) addSource(h, ctx, merged, { entry: e, descriptor: e.descriptor as ModelDescriptor }, false);
    return merged as PluginImplementations["model"];
  };
}

/** Discovers, (re)builds when needed, and registers every extension of the repo. */
export async function registerExtensions(registry: PluginRegistry, setup: ExtensionSetup, options: ReconcileOptions = {}): Promise<RegisterOutcome> {
  const policy = isolationPolicy(setup.marker);
  // Validators of the JSON Schemas extensions describe are compiled once and kept as code the
  // CLI itself loads: so they live in the user's own swamp home, never in the repo, where a
  // file placed by a cloned repo or another program would run outside any isolation.
  setValidatorCacheDir(validatorCacheDir(setup.env));
  const { resolveSourceDirs } = await import("./registry/sources.js");
  const sources = await resolveSourceDirs(setup.repoDir, setup.marker, setup.env);
  const catalogs = await reconcile({ repoDir: setup.repoDir, marker: setup.marker, env: setup.env, isolation: policy, sourceDirs: sources.dirs }, options);
  const ctx = hostContext(setup);
  const warnings: string[] = [...sources.warnings];
  const loaderErrors: Partial<Record<PluginKind, string>> = {};
  const note = (kind: PluginKind, message: string) => {
    warnings.push(message);
    loaderErrors[kind] = loaderErrors[kind] ? `${loaderErrors[kind]}; ${message}` : message;
  };

  // `export const extension` files, by the (lowercase) type they extend.
  const extensionFiles = new Map<string, ManifestEntry[]>();
  for (const catalog of catalogs) {
    if (catalog.loaderError) note(catalog.kind, `Failed to load ${catalog.kind} extensions from ${catalog.dir}: ${catalog.loaderError}`);
    for (const entry of catalog.entries) {
      const d = entry.descriptor;
      if (entry.state === "Indexed" && d?.kind === "model" && (d as ModelDescriptor).export === "extension") {
        const key = d.type.toLowerCase();
        extensionFiles.set(key, [...(extensionFiles.get(key) ?? []), entry]);
      }
    }
  }
  const extensionsOf = (type: string) => extensionFiles.get(type.toLowerCase()) ?? [];
  const claimed = new Set<string>();
  const broken: ManifestEntry[] = [];

  for (const catalog of catalogs) {
    for (const entry of catalog.entries) {
      if (entry.state !== "Indexed") {
        warnings.push(brokenMessage(setup.repoDir, entry).split("\n")[0] ?? "");
        broken.push(entry);
        continue;
      }
      const d = entry.descriptor;
      if (d?.kind === "model" && (d as ModelDescriptor).export === "extension") continue;
      const reserved = d ? reservedWarning(setup.repoDir, entry, d.type) : null;
      if (reserved) warnings.push(reserved);
      const pluginEntry = entryFor(ctx, entry, extensionsOf);
      if (!pluginEntry) continue;
      try {
        registry.register(pluginEntry);
        if (d?.kind === "model") claimed.add(d.type.toLowerCase());
      } catch (err) {
        note(entry.kind, `${displayPath(setup.repoDir, entry.source)}: ${errorMessage(err)}`);
      }
    }
  }

  // A broken source keeps the type it declares (known from an earlier build, its export or its
  // text): a command that needs the type fails with the source's error, and no builtin (nor an
  // alias such as `@swamp/s3-datastore`) stands in. A healthy source of the same type wins.
  for (const entry of broken) {
    if (!entry.lastType) continue;
    try {
      registry.register(brokenEntry(setup.repoDir, entry, entry.lastType));
    } catch {
      // registered by a healthy source (or a builtin of that exact name)
    }
  }

  for (const [type, files] of extensionFiles) {
    if (claimed.has(type)) continue;
    const target = registry.get("model", type);
    if (!target) {
      for (const f of files) note("model", `${displayPath(setup.repoDir, f.source)} extends model type "${f.descriptor?.type}", which is not registered`);
      continue;
    }
    extendEntry(ctx, target, files);
  }
  return { catalogs, warnings, loaderErrors };
}

function validatorCacheDir(env: ExtensionSetup["env"]): string | null {
  try {
    return join(swampHome(env), "cache", "validators");
  } catch {
    return null; // no home directory: compile in memory
  }
}
