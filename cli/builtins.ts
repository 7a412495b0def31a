/**
 * The first-party plugins, registered lazily: the registry knows their names, and their code
 * loads only when a command uses them.
 */
import { PluginRegistry } from "../kernel/runtime/registry.js";

export function builtinRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  registry.register({
    kind: "datastore",
    type: "filesystem",
    name: "Filesystem",
    description: "Stores runtime data in a local or shared directory",
    origin: "builtin",
    load: async () => (await import("../builtins/datastore-filesystem/index.js")).datastore as never,
  });
  return registry;
}
