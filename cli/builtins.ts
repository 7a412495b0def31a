/**
 * The first-party plugins, registered lazily: the registry knows their names, and their code
 * loads only when a command uses them.
 */
import type { PluginEntry, PluginKind } from "../kernel/contract/plugin.js";
import { PluginRegistry } from "../kernel/runtime/registry.js";

type Builtin = Omit<PluginEntry, "origin">;

const BUILTINS: Builtin[] = [
  {
    kind: "datastore",
    type: "filesystem",
    name: "Filesystem",
    description: "Stores runtime data in a local or shared directory",
    load: async () => (await import("../builtins/datastore-filesystem/index.js")).datastore as never,
  },
  {
    kind: "datastore",
    type: "s3",
    name: "Amazon S3",
    description: "Stores runtime data in an S3 bucket (or an S3-compatible store) shared by a team and CI",
    load: async () => (await import("../builtins/datastore-s3/index.js")).datastore as never,
  },
  {
    kind: "model",
    type: "command/shell",
    name: "Shell command",
    description: "Runs a shell command and records its output",
    load: async () => (await import("../builtins/model-command-shell/index.js")).model as never,
  },
  {
    kind: "vault",
    type: "local_encryption",
    name: "Local encryption",
    description: "AES-256-GCM encrypted secrets in the repository's .swamp/secrets",
    load: async () => (await import("../builtins/vault-local-encryption/index.js")).vault as never,
  },
  {
    kind: "driver",
    type: "raw",
    name: "Raw",
    description: "Runs methods in the swamp process",
    load: async () => (await import("../builtins/driver-raw/index.js")).driver as never,
  },
  {
    kind: "driver",
    type: "docker",
    name: "Docker",
    description: "Runs methods in a container through docker, podman or nerdctl",
    load: async () => (await import("../builtins/driver-docker/index.js")).driver as never,
  },
  {
    kind: "report",
    type: "@swamp/method-summary",
    name: "Method summary",
    description: "Summarises a method run: status, arguments and the data it produced",
    load: async () => (await import("../builtins/report-method-summary/index.js")).report as never,
  },
];

export function builtinRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  for (const b of BUILTINS) registry.register({ ...b, origin: "builtin" } as PluginEntry<PluginKind>);
  // The reference implementation ships S3 as an extension of this name: its repos keep working.
  registry.alias("datastore", "@swamp/s3-datastore", "s3");
  return registry;
}
