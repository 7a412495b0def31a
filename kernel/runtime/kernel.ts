/**
 * createKernel: everything a command needs about one repo — its marker, the resolved
 * datastore (plugin loaded, config validated, provider built), where each runtime path
 * lives, and the lock manager. Nothing here knows a concrete backend.
 */
import { isAbsolute, resolve } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";
import type { DatastoreProvider } from "../contract/ports/datastore.js";
import { resolveDatastoreSpec, swampHome, type DatastoreSpec } from "./datastore-config.js";
import type { Env } from "./env-path.js";
import { LockManager, lockWaitMs } from "./locks.js";
import { attachSync, markDirtyHook } from "./sync.js";
import { markerPath, readMarker, type Marker } from "./marker.js";
import { pathAnchors, requireDatastorePath } from "./path-policy.js";
import { RepoPaths, effectiveDirectories } from "./paths.js";
import type { PluginRegistry } from "./registry.js";
import type { ExtensionWorkflowDir } from "../workflows/types.js";

export interface KernelOptions {
  repoDir: string;
  env: Env;
  registry: PluginRegistry;
  /** Value of the `--datastore` flag, if given. */
  datastoreFlag?: string | undefined;
  /**
   * Called once the marker is read and before the datastore is resolved: the CLI registers
   * the repo's extensions here (so an extension datastore can be the configured one). The
   * kernel knows nothing about where those plugins come from.
   */
  prepareRegistry?(repo: { repoDir: string; marker: Marker; env: Env; registry: PluginRegistry }): Promise<void>;
  /**
   * Directories of extension workflows (pulled extensions, source mounts) that the workflow
   * lookup adds after the repo's own. The CLI knows where they are; asked once, when needed.
   */
  extensionWorkflowDirs?(repo: { repoDir: string; marker: Marker; env: Env }): Promise<readonly ExtensionWorkflowDir[]>;
}

export interface ResolvedDatastore extends DatastoreSpec {
  /** Display name of the plugin. */
  name: string;
  /** What the plugin says it is (its `description`). */
  description?: string;
  provider: DatastoreProvider;
  /** Where the datastore lives (the directory, for filesystem; the provider's answer otherwise). */
  datastorePath: string;
  /** Local mirror of a remote datastore (only when the provider syncs). */
  cachePath?: string;
  directories: string[];
}

export interface Kernel {
  repoDir: string;
  env: Env;
  marker: Marker;
  registry: PluginRegistry;
  datastore: ResolvedDatastore;
  paths: RepoPaths;
  locks: LockManager;
  /**
   * Records a coming change to the datastore tier (an absolute path; none means "anything may
   * have changed") so a syncing datastore pushes it. Undefined when the datastore does not sync.
   */
  markDirty?: ((absPath?: string) => Promise<void>) | undefined;
  /** Extension workflow directories (see KernelOptions); undefined when there are none to ask for. */
  extensionWorkflowDirs?: (() => Promise<readonly ExtensionWorkflowDir[]>) | undefined;
}

/** Validates `config` with the plugin's schema (anything with zod's `safeParse`). */
export function validatePluginConfig(schema: unknown, config: unknown, what: string): unknown {
  if (!schema || typeof (schema as { safeParse?: unknown }).safeParse !== "function") return config;
  const result = (schema as { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues?: Array<{ path?: PropertyKey[]; message?: string }> } } }).safeParse(config);
  if (result.success) return result.data;
  const issue = result.error?.issues?.[0];
  const field = issue?.path?.map(String).join(".");
  throw new SwampError(
    ErrorCode.datastoreConfigInvalid,
    `Invalid config for ${what}: ${field ? `${field}: ` : ""}${issue?.message ?? "invalid value"}`,
    { details: field ? { field } : {} },
  );
}

export async function resolveDatastore(
  spec: DatastoreSpec,
  repoDir: string,
  marker: Marker,
  env: Env,
  registry: PluginRegistry,
): Promise<ResolvedDatastore> {
  // Every datastore path passes the one path policy: a configured path before anything is
  // created, the provider's answers before they are used.
  const anchors = pathAnchors(repoDir, env);
  if (typeof spec.config.path === "string" && isAbsolute(spec.config.path)) requireDatastorePath(resolve(spec.config.path), anchors, "user", "The datastore path");
  const plugin = await registry.load("datastore", spec.type);
  const config = validatePluginConfig(plugin.configSchema, spec.config, `datastore type "${spec.type}"`) as Record<string, unknown>;
  const provider = await plugin.createProvider(config);
  const datastorePath = provider.resolveDatastorePath(repoDir);
  requireDatastorePath(resolve(datastorePath), anchors, "user", "The datastore path");
  const resolved: ResolvedDatastore = {
    ...spec,
    type: plugin.type,
    name: plugin.name,
    ...(typeof plugin.description === "string" && plugin.description.trim() ? { description: plugin.description.trim() } : {}),
    config,
    provider,
    datastorePath,
    directories: effectiveDirectories(spec.directories),
  };
  if (provider.createSyncService) {
    resolved.cachePath = provider.resolveCachePath?.(repoDir) ?? resolve(swampHome(env), "repos", marker.repoId ?? "unknown");
    requireDatastorePath(resolve(resolved.cachePath), anchors, "user", "The datastore cache path");
  }
  return resolved;
}

export async function createKernel(options: KernelOptions): Promise<Kernel> {
  const repoDir = resolve(options.repoDir);
  const marker = await readMarker(repoDir);
  await options.prepareRegistry?.({ repoDir, marker, env: options.env, registry: options.registry });
  const spec = resolveDatastoreSpec({
    repoDir,
    marker,
    markerFile: markerPath(repoDir),
    env: options.env,
    flag: options.datastoreFlag,
  });
  const datastore = await resolveDatastore(spec, repoDir, marker, options.env, options.registry);
  const base = datastore.cachePath ?? datastore.datastorePath;
  const kernel: Kernel = {
    repoDir,
    env: options.env,
    marker,
    registry: options.registry,
    datastore,
    paths: new RepoPaths(repoDir, base, datastore.directories, datastore.exclude ?? []),
    locks: new LockManager(datastore.provider, datastore.datastorePath, lockWaitMs(options.env), options.env),
  };
  if (options.extensionWorkflowDirs) {
    const ask = options.extensionWorkflowDirs;
    let dirs: Promise<readonly ExtensionWorkflowDir[]> | undefined;
    kernel.extensionWorkflowDirs = () => (dirs ??= ask({ repoDir, marker, env: options.env }));
  }
  // A datastore that syncs a local cache: locks pull before and push after, writers mark dirty.
  attachSync(kernel);
  kernel.markDirty = markDirtyHook(kernel);
  return kernel;
}
