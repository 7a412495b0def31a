/**
 * `import()` of a package or file that is not bundled into the CLI (esbuild, piscina, the AWS
 * SDK). The bundled CLI runs as a cached vm script, and on Node 20 a script restored from
 * cached code cannot call `import()` itself; the bin passes in its own as `__swampImport`.
 * Unbundled (tests, worker bundles) the plain `import()` is used.
 */
declare const __swampImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule<T>(specifier: string): Promise<T> {
  return (typeof __swampImport === "function" ? __swampImport(specifier) : import(specifier)) as Promise<T>;
}
