/**
 * The plugin shape the kernel's registry holds. A builtin and an extension register the same
 * entry; only `origin` and how `load()` obtains the implementation differ.
 */
import type { DatastorePlugin } from "./ports/datastore.js";
import type { VaultPlugin } from "./ports/vault.js";
import type { DriverPlugin } from "./ports/driver.js";
import type { ModelTypePlugin } from "./ports/model-type.js";
import type { ReportPlugin } from "./ports/report.js";

export type PluginKind = "datastore" | "vault" | "driver" | "model" | "report";

export const PLUGIN_KINDS: readonly PluginKind[] = ["datastore", "vault", "driver", "model", "report"];

export interface PluginImplementations {
  datastore: DatastorePlugin;
  vault: VaultPlugin;
  driver: DriverPlugin;
  model: ModelTypePlugin;
  report: ReportPlugin;
}

export type PluginOrigin = "builtin" | "extension";

export interface PluginEntry<K extends PluginKind = PluginKind> {
  kind: K;
  /** Display spelling; the registry key is its lowercase form. */
  type: string;
  name: string;
  description: string;
  origin: PluginOrigin;
  /** Source file, for extensions. */
  source?: string;
  /** Loads the implementation on first use; listing types never calls it. */
  load(): Promise<PluginImplementations[K]>;
}

const SEGMENT = "[a-z0-9][a-z0-9_-]*";
/** One or more lowercase segments joined by `/`, the first optionally `@`-scoped. */
const TYPE_NAME = new RegExp(`^@?${SEGMENT}(/${SEGMENT})*$`);
/** Extensions must be namespaced: `@collective/name` or `collective/name`. */
const NAMESPACED = new RegExp(`^@?${SEGMENT}(/${SEGMENT})+$`);
/** Model types need two segments at least (`command/shell`), builtins included. */
const MIN_TWO_SEGMENTS = NAMESPACED;

/** Returns why `type` is not a valid name for `kind`, or null when it is. */
export function typeNameProblem(kind: PluginKind, type: string, origin: PluginOrigin): string | null {
  if (typeof type !== "string" || type.length === 0) return `${kind} type must be a non-empty string`;
  const lower = type.toLowerCase();
  if (!TYPE_NAME.test(lower)) {
    return `${kind} type "${type}" is malformed: use lowercase letters, digits, "-" and "_" in "/"-separated segments, e.g. "@collective/name"`;
  }
  if (kind === "model" && !MIN_TWO_SEGMENTS.test(lower)) {
    return `model type "${type}" needs at least two segments, e.g. "@collective/name"`;
  }
  if (origin === "extension" && !NAMESPACED.test(lower)) {
    return `${kind} type "${type}" must be namespaced as "@collective/name" or "collective/name"`;
  }
  if (kind === "datastore" && origin === "extension" && lower.split("/").length !== 2) {
    return `datastore type "${type}" must match @collective/name or collective/name`;
  }
  return null;
}

/**
 * Collectives that belong to swamp itself. Loading never refuses them (swamp's own official
 * extensions use them); the one place that refuses is claiming a name in the registry
 * (`swamp extension push`), which asks this predicate.
 */
export const RESERVED_COLLECTIVES: readonly string[] = ["swamp", "si"];

/** `swamp` for `@swamp/s3-datastore` or `swamp/s3-datastore`. */
export function collectiveOf(type: string): string {
  return (type.startsWith("@") ? type.slice(1) : type).split("/")[0]?.toLowerCase() ?? "";
}

/** True when `type` is namespaced under a reserved collective (`@swamp/…`, `@si/…`). */
export function isReservedCollective(type: string): boolean {
  return type.includes("/") && RESERVED_COLLECTIVES.includes(collectiveOf(type));
}
