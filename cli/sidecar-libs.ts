/**
 * The sidecar bundle's entry (bin/cli/libs.js, built by scripts/bundle.mjs): large packages that
 * few commands use, kept out of the CLI bundle that every command reads and deserializes (they
 * would be a quarter of it). Each is loaded on its first importLib()
 * (kernel/contract/import-module.ts); every `import()` here becomes a lazy, bundled load with
 * the same module interop an `import()` in the CLI bundle has.
 */
export const sidecarLibs: Record<string, () => Promise<unknown>> = {
  ajv: () => import("ajv"),
  re2js: () => import("re2js"),
  "fast-glob": () => import("fast-glob"),
  "@inquirer/search": () => import("@inquirer/search"),
  tar: () => import("tar"),
};
