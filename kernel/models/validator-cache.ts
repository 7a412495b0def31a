/**
 * Compiled JSON Schema validators kept on disk, so a process that validates an extension's
 * arguments or resources needs neither ajv nor a compile: ajv's standalone code for each
 * schema is written once (`<dir>/<sha256>.cjs`, in the user's swamp home) and loaded with
 * `require` afterwards. The key covers the schema, the ajv options and ajv's own version and
 * location, so an upgrade never reuses stale code. Schemas whose validators cannot be made
 * standalone (custom formats, `pattern`, which uses the linear regex engine) are not cached.
 * Any failure here only means compiling in memory as before.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { atomicWriteFile } from "../runtime/atomic-write.js";

export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }> | null;
}

const require = createRequire(import.meta.url);
let dir: string | null = null;
let ajvRoot: string | null | undefined;

/** Where validators are kept (null: nowhere, compile in memory). */
export function setValidatorCacheDir(path: string | null): void {
  dir = path;
}

function ajvLocation(): string | null {
  if (ajvRoot === undefined) {
    try {
      const pkg = require.resolve("ajv/package.json");
      ajvRoot = `${dirname(pkg)}@${(JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version}`;
    } catch {
      ajvRoot = null;
    }
  }
  return ajvRoot;
}

function keyOf(schema: object, optionsKey: string): string | null {
  const ajv = ajvLocation();
  if (!dir || !ajv) return null;
  const text = JSON.stringify(schema);
  if (/"pattern(Properties)?"\s*:/.test(text)) return null;
  return createHash("sha256").update(`${ajv}\0${optionsKey}\0${text}`).digest("hex");
}

/** The cached validator of `schema`, or null (not cached, or no cache). */
export function loadValidator(schema: object, optionsKey: string): CompiledValidator | null {
  const key = keyOf(schema, optionsKey);
  if (!key) return null;
  const file = join(dir!, `${key}.cjs`);
  if (!existsSync(file)) return null;
  try {
    const mod = require(file) as { default?: CompiledValidator } & CompiledValidator;
    const fn = mod.default ?? mod;
    return typeof fn === "function" ? fn : null;
  } catch {
    return null;
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
