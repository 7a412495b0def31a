/**
 * Type-checks a repository's local extensions with TypeScript (`swamp doctor extensions
 * --typecheck`). swamp itself only bundles extensions; this runs `tsc --noEmit` over the
 * extension folders with a generated tsconfig that resolves what the loader provides at run
 * time: the sdk (swamp's own, the one extensions are served), `npm:zod@…` (swamp's zod), the
 * `Deno` compatibility global, `jsr:@std/path` and `jsr:@std/fs`, and other `npm:<pkg>@<ver>`
 * imports to the packages installed in the repository.
 *
 * The compiler is the repository's own `typescript` when it has one, else swamp's when that
 * resolves; without either the check stops with one line saying how to install it.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SwampError } from "../kernel/contract/errors.js";
import { EXTENSION_KINDS, extensionDirFor } from "./discover.js";
import { swampRoot } from "./host-modules.js";
import { LEGACY_SDK_SPECIFIER, SDK_SPECIFIER } from "./worker/protocol.js";

/** Every name extensions may import the sdk by; the loader serves them all. */
const SDK_NAMES = [SDK_SPECIFIER, LEGACY_SDK_SPECIFIER];

export interface TypeScriptCompiler {
  /** The `tsc` script to run with node. */
  tscPath: string;
  version: string;
  from: "repository" | "swamp";
}

export interface TypeCheckError {
  /** Repo-relative when inside the repository. */
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

export interface TypeCheckReport {
  typescript: { version: string; from: "repository" | "swamp" } | null;
  files: number;
  errors: TypeCheckError[];
  /** What to do about errors that come from a missing dependency rather than the code. */
  hints: string[];
}

function compilerFrom(requireFrom: string, from: TypeScriptCompiler["from"]): TypeScriptCompiler | null {
  try {
    const pkgFile = createRequire(requireFrom).resolve("typescript/package.json");
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { version?: string; bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.["tsc"];
    if (!bin) return null;
    const tscPath = resolve(dirname(pkgFile), bin);
    return existsSync(tscPath) ? { tscPath, version: pkg.version ?? "unknown", from } : null;
  } catch {
    return null;
  }
}

/** The repository's `typescript`, else the one resolving from `fallbackFrom` (swamp's own), else null. */
export function findTypeScript(repoDir: string, fallbackFrom: string = import.meta.url): TypeScriptCompiler | null {
  return compilerFrom(join(resolve(repoDir), "package.json"), "repository") ?? compilerFrom(fallbackFrom, "swamp");
}

const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
const GLOBAL_DIAGNOSTIC = /^error (TS\d+): (.*)$/;

/** Diagnostics from `tsc --pretty false`; indented continuation lines join the message before them. */
export function parseTscOutput(text: string, repoDir: string): TypeCheckError[] {
  const errors: TypeCheckError[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = DIAGNOSTIC.exec(line);
    if (m) {
      const abs = resolve(repoDir, m[1]!);
      const rel = relative(repoDir, abs);
      const file = rel.startsWith("..") || isAbsolute(rel) ? abs : rel.split(sep).join("/");
      errors.push({ file, line: Number(m[2]), column: Number(m[3]), code: m[4]!, message: m[5]! });
      continue;
    }
    const g = GLOBAL_DIAGNOSTIC.exec(line);
    if (g) {
      errors.push({ file: "tsconfig", line: 0, column: 0, code: g[1]!, message: g[2]! });
      continue;
    }
    const last = errors[errors.length - 1];
    if (last && /^\s+\S/.test(line)) last.message += `\n${line.replace(/^\s+/, "  ")}`;
  }
  return errors;
}

const SOURCE = /\.m?ts$/;

async function sourcesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourcesUnder(p)));
    else if (SOURCE.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const NPM_IMPORT = /["']npm:\/?((?:@[^/@"']+\/)?[^/@"']+)(@[^"'/]*)?(\/[^"']*)?["']/g;

/** `npm:<pkg>@<ver>[/sub]` specifiers (other than zod) in the sources, with the package they name. */
async function npmSpecifiers(files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of files) {
    const text = await readFile(file, "utf8");
    for (const m of text.matchAll(NPM_IMPORT)) {
      const pkg = m[1]!;
      if (pkg === "zod" || SDK_NAMES.includes(pkg)) continue;
      out.set(m[0].slice(1, -1), `${pkg}${m[3] ?? ""}`);
    }
  }
  return out;
}

function resolvesFrom(repoDir: string, pkg: string): boolean {
  try {
    createRequire(join(repoDir, "package.json")).resolve(pkg);
    return true;
  } catch {
    return existsSync(join(repoDir, "node_modules", pkg));
  }
}

/** Where `@types/node` comes from: the repository's, else swamp's; empty when neither has it. */
function nodeTypeRoots(repoDir: string): string[] {
  return [join(repoDir, "node_modules", "@types"), join(swampRoot(), "node_modules", "@types")].filter((d) => existsSync(join(d, "node"))).slice(0, 1);
}

/**
 * The generated tsconfig and ambient declarations (in `work`, inside the repository so that
 * packages resolve from its node_modules), for the given sources. Types swamp ships are used
 * where present (a checkout or a build with declarations); otherwise the sdk comes from the
 * repository's node_modules (its own package name; the other names re-export it), and the
 * `Deno` global and `jsr:@std/…` modules are declared untyped so that they still resolve.
 */
async function writeProject(work: string, repoDir: string, files: string[]): Promise<string> {
  const root = swampRoot();
  const dist = join(root, "dist");
  const zodDir = dirname(createRequire(join(root, "package.json")).resolve("zod/package.json"));
  const paths: Record<string, string[]> = { zod: [zodDir], "zod/*": [`${zodDir}/*`] };
  const ambient = [
    "// Generated by swamp doctor extensions --typecheck: what the extension loader provides.",
    'declare module "npm:zod@*" { export * from "zod"; }',
    'declare module "npm:zod" { export * from "zod"; }',
  ];

  const sdkIndex = join(dist, "sdk", "index.d.ts");
  const sdkTesting = join(dist, "sdk", "testing", "index.d.ts");
  const shippedSdk = existsSync(sdkIndex) && existsSync(sdkTesting);
  for (const name of SDK_NAMES) {
    for (const spec of [name, `npm:${name}`]) {
      if (shippedSdk) {
        paths[spec] = [sdkIndex];
        paths[`${spec}/testing`] = [sdkTesting];
      } else if (spec !== SDK_SPECIFIER) {
        ambient.push(`declare module ${JSON.stringify(spec)} { export * from ${JSON.stringify(SDK_SPECIFIER)}; }`);
        ambient.push(`declare module ${JSON.stringify(`${spec}/testing`)} { export * from ${JSON.stringify(`${SDK_SPECIFIER}/testing`)}; }`);
      }
    }
  }

  for (const mod of ["path", "fs"]) {
    const types = join(dist, "plugins", "compat", "std", `${mod}.d.ts`);
    const specs = [`jsr:@std/${mod}`, `jsr:@std/${mod}@*`, `@std/${mod}`];
    if (existsSync(types)) for (const spec of specs) paths[spec] = [types];
    else for (const spec of specs) ambient.push(`declare module ${JSON.stringify(spec)};`);
  }

  const deno = join(dist, "plugins", "compat", "deno", "index.d.ts");
  ambient.push(existsSync(deno) ? `declare var Deno: import(${JSON.stringify(deno.replace(/\.d\.ts$/, ".js"))}).DenoNamespace;` : "declare var Deno: any;");

  for (const [spec, pkg] of await npmSpecifiers(files)) {
    if (resolvesFrom(repoDir, pkg.split("/").slice(0, pkg.startsWith("@") ? 2 : 1).join("/"))) {
      ambient.push(`declare module ${JSON.stringify(spec)} { export * from ${JSON.stringify(pkg)}; }`);
    }
  }
  const ambientFile = join(work, "swamp-extensions.d.ts");
  await writeFile(ambientFile, `${ambient.join("\n")}\n`);

  const typeRoots = nodeTypeRoots(repoDir);
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: "ES2022",
      lib: ["ES2023"],
      module: "ESNext",
      moduleResolution: "Bundler",
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      types: typeRoots.length > 0 ? ["node"] : [],
      ...(typeRoots.length > 0 ? { typeRoots } : {}),
      paths,
    },
    files: [ambientFile, ...files],
  };
  const tsconfig = join(work, "tsconfig.json");
  await writeFile(tsconfig, `${JSON.stringify(config, null, 2)}\n`);
  return tsconfig;
}

function runTsc(compiler: TypeScriptCompiler, tsconfig: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [compiler.tscPath, "-p", tsconfig, "--pretty", "false"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

export async function typecheckExtensions(options: { repoDir: string; marker: Record<string, unknown>; env: NodeJS.ProcessEnv }): Promise<TypeCheckReport> {
  const repoDir = resolve(options.repoDir);
  const dirs = EXTENSION_KINDS.map((kind) => extensionDirFor(kind, repoDir, options.marker, options.env));
  const files: string[] = [];
  for (const dir of new Set(dirs)) {
    if (await stat(dir).then((s) => s.isDirectory(), () => false)) files.push(...(await sourcesUnder(dir)));
  }
  if (files.length === 0) return { typescript: null, files: 0, errors: [], hints: [] };
  const compiler = findTypeScript(repoDir);
  if (!compiler) {
    throw new SwampError(ErrorCode.typescriptMissing, "TypeScript is needed to type-check extensions: install it in the repository (npm install -D typescript)");
  }
  // Inside the repository's .swamp/ so that module resolution from the generated files finds
  // the repository's node_modules; removed when done.
  await mkdir(join(repoDir, ".swamp"), { recursive: true });
  const work = await mkdtemp(join(repoDir, ".swamp", "typecheck-"));
  try {
    const tsconfig = await writeProject(work, repoDir, files);
    const { code, output } = await runTsc(compiler, tsconfig, repoDir);
    const errors = parseTscOutput(output, repoDir);
    if (code !== 0 && errors.length === 0) {
      throw new SwampError(ErrorCode.internal, `TypeScript ${compiler.version} failed without reporting an error: ${output.trim().split("\n")[0] ?? `exit ${code}`}`);
    }
    const hints: string[] = [];
    if (nodeTypeRoots(repoDir).length === 0 && errors.some((e) => /Cannot find (module|name) '(node:|process'|Buffer')/.test(e.message))) {
      hints.push("Node's types are not installed: npm install -D @types/node (in the repository)");
    }
    if (errors.some((e) => SDK_NAMES.some((name) => e.message.includes(`'${name}`)) && /Cannot find module/.test(e.message))) {
      hints.push(`The sdk's types are not installed: npm install -D ${SDK_SPECIFIER} (in the repository)`);
    }
    return { typescript: { version: compiler.version, from: compiler.from }, files: files.length, errors, hints };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
