/**
 * `import()` for the worker bundle. Run as a cached vm script (cli/worker-bin.ts), a script
 * restored from cached code cannot call `import()` itself on Node 20, so the entry passes in
 * its own as `__swampImport`; elsewhere (the sandbox entry, tsc output) the plain `import()` is
 * used. The CLI's twin is kernel/runtime/import-module.ts, which the worker side may not import.
 */
declare const __swampImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule<T>(specifier: string): Promise<T> {
  return (typeof __swampImport === "function" ? __swampImport(specifier) : import(specifier)) as Promise<T>;
}
