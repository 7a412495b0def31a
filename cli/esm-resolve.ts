/**
 * ESM resolution (`import.meta.resolve`) for the CommonJS bin (cli/bin.ts): an ES module of its
 * own, bin/esm-resolve.mjs beside the bin, so it resolves from the same place with the same
 * rules (`import` conditions) as an ES module bin would.
 */
export function esmResolve(specifier: string): string {
  return import.meta.resolve(specifier);
}
