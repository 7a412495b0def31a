/**
 * Compiled JSON Schema validators kept on disk, so a process that validates an extension's
 * arguments or resources needs neither ajv nor a compile: ajv's standalone code for each
 * schema is written once (`<dir>/<sha256>.cjs`, in the user's swamp home) and run from there
 * afterwards. The key covers the schema, the ajv options and ajv's own version and
 * location, so an upgrade never reuses stale code. Schemas whose validators cannot be made
 * standalone (custom formats, `pattern`, which uses the linear regex engine) are not cached.
 * Any failure here only means compiling in memory as before.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { compileFunction } from "node:vm";
import { atomicWriteFile } from "../runtime/atomic-write.js";

/**
 * The version of the ajv bundled into the CLI, written in by scripts/bundle.mjs: the bundle
 * then names its ajv (that version, in this installation) without resolving the package in
 * every process. Unbundled (tests), ajv is resolved.
 */
declare const SWAMP_AJV_VERSION: string | undefined;

export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }> | null;
}

const require = createRequire(import.meta.url);
let dir: string | null = null;
let ajvIdentity: string | null | undefined;

/** Where validators are kept (null: nowhere, compile in memory). */
export function setValidatorCacheDir(path: string | null): void {
  dir = path;
}

/** Which ajv compiles here and where its runtime helpers are: its version and location. */
function ajvIdentityOf(): string | null {
  if (ajvIdentity === undefined && typeof SWAMP_AJV_VERSION === "string") ajvIdentity = `${import.meta.url}@${SWAMP_AJV_VERSION}`;
  if (ajvIdentity === undefined) {
    try {
      const pkg = require.resolve("ajv/package.json");
      ajvIdentity = `${dirname(pkg)}@${(JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version}`;
    } catch {
      ajvIdentity = null;
    }
  }
  return ajvIdentity;
}

function keyOf(schema: object, optionsKey: string): string | null {
  const ajv = ajvIdentityOf();
  if (!dir || !ajv) return null;
  const text = JSON.stringify(schema);
  if (/"pattern(Properties)?"\s*:/.test(text)) return null;
  return createHash("sha256").update(`${ajv}\0${optionsKey}\0${text}`).digest("hex");
}

/**
 * The cached validator of `schema`, or null (not cached, or no cache). The file is CommonJS,
 * run here as Node's loader would run it, minus the loader's path resolution and package
 * lookups: a run validates several values, each with a validator of its own.
 */
export function loadValidator(schema: object, optionsKey: string): CompiledValidator | null {
  const key = keyOf(schema, optionsKey);
  if (!key) return null;
  const file = join(dir!, `${key}.cjs`);
  try {
    const code = readFileSync(file, "utf8");
    const module = { exports: {} as { default?: CompiledValidator } & CompiledValidator };
    compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], { filename: file })(module.exports, createRequire(file), module, file, dir);
    const fn = module.exports.default ?? module.exports;
    return typeof fn === "function" ? fn : null;
  } catch {
    return null; // not cached yet, or unusable: compiled in memory
  }
}

/**
 * Stores ajv's standalone code for a validator compiled with `code.source` (best effort, in
 * the background of the caller: a failure is ignored). Runtime helpers are required by their
 * absolute path inside this installation's ajv, because the file lives in the repository.
 */
export async function storeValidator(schema: object, optionsKey: string, ajv: unknown, validate: unknown): Promise<void> {
  const key = keyOf(schema, optionsKey);
  if (!key) return;
  try {
    const standaloneCode = (require("ajv/dist/standalone") as { default: (ajv: unknown, v: unknown) => string }).default;
    const ajvDir = dirname(require.resolve("ajv/package.json"));
    const code = standaloneCode(ajv, validate).replace(/require\("ajv\/dist\//g, `require(${JSON.stringify(`${ajvDir}/dist/`).slice(0, -1)}`);
    await atomicWriteFile(join(dir!, `${key}.cjs`), code, { durable: false });
  } catch {
    // not cacheable (a custom format, say): the in-memory validator serves this process
  }
}
