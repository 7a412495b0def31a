/**
 * Registers the S3 datastore in a plugin registry when it is not there yet (type `s3`, alias
 * `@swamp/s3-datastore`). The CLI's builtin list is the normal home of this entry; commands
 * that exist only for S3 call this so they work whatever the list holds.
 */
import type { PluginRegistry } from "../../kernel/runtime/registry.js";

export const S3_PLUGIN_ENTRY = {
  kind: "datastore" as const,
  type: "s3",
  name: "Amazon S3",
  description: "Stores runtime data in an S3 bucket (or an S3-compatible store) shared by a team and CI",
  origin: "builtin" as const,
  load: async () => (await import("./index.js")).datastore as never,
};

export const S3_LEGACY_ALIAS = "@swamp/s3-datastore";

export function ensureS3Registered(registry: PluginRegistry): PluginRegistry {
  if (!registry.get("datastore", "s3")) registry.register(S3_PLUGIN_ENTRY);
  if (!registry.get("datastore", S3_LEGACY_ALIAS)) registry.alias("datastore", S3_LEGACY_ALIAS, "s3");
  return registry;
}
