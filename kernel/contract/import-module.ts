/**
 * `import()` of a package or file that is not bundled (esbuild, the AWS SDK, an extension's
 * bundle). The CLI and the extension worker run as cached vm scripts, and on Node 20 a script
 * restored from cached code cannot call `import()` itself; their entries (cli/bin.ts,
 * cli/worker-bin.ts) pass in their own as `__swampImport`. Elsewhere (tests, the sandbox entry)
 * the plain `import()` is used. In the contract so both the host and the worker side may use it.
 */
declare const __swampImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule<T>(specifier: string): Promise<T> {
  return (typeof __swampImport === "function" ? __swampImport(specifier) : import(specifier)) as Promise<T>;
}

declare const __swampLibs: ((name: string) => Promise<unknown>) | undefined;

/**
 * `import()` of a package of the sidecar bundle (cli/sidecar-libs.ts: large packages few
 * commands use, kept out of the CLI bundle every command reads): from that bundle when the CLI
 * bundle runs (the bin passes its loader in as `__swampLibs`), else (tests, unbundled) the
 * package itself. `T` is what `import(name)` gives.
 */
export function importLib<T>(name: string): Promise<T> {
  return (typeof __swampLibs === "function" ? __swampLibs(name) : import(name)) as Promise<T>;
}
