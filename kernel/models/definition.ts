/**
 * Model definitions: the YAML a user writes to configure one instance of a model type.
 * Schema, name rules, canonical hashing and the persisted field order live here.
 */
import { createHash, randomUUID } from "node:crypto";
import * as z from "zod";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { CALVER_PATTERN, LIFETIME_PATTERN } from "../contract/ports/model-type.js";
import { normalizeModelType } from "../data/names.js";

export { normalizeModelType };

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STRICT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const SCOPED_NAME = /^@[a-z0-9_-]+\/[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;

/** Why `name` may not be stored at all (path traversal), or null. Applies to every definition. */
export function unsafeNameProblem(name: string): string | null {
  if (name.length === 0) return "Definition name must not be empty.";
  if (name.includes("..") || name.includes("\\") || name.includes("\0")) {
    return "Definition name must not contain '..', '\\', or null bytes (path traversal). '/' is only allowed in scoped @collective/name patterns.";
  }
  if (name.includes("/") && !SCOPED_NAME.test(name)) {
    return "Definition name must not contain '/' except in scoped @collective/name patterns.";
  }
  return null;
}

/** Why `name` is not acceptable for a new definition, or null. */
export function newNameProblem(name: string): string | null {
  const unsafe = unsafeNameProblem(name);
  if (unsafe) return unsafe;
  if (name.length > 64) return "Definition name must be at most 64 characters.";
  if (!STRICT_NAME.test(name) && !SCOPED_NAME.test(name)) {
    return "Definition name must be lowercase alphanumeric with hyphens or underscores (e.g. 'my-server'). Must start with a letter or number.";
  }
  return null;
}

/**
 * The schemas, built on first use: constructing zod schemas costs start-up time that commands
 * which never parse a definition (data get, data list) should not pay.
 */
function buildSchemas() {
  const JsonSchemaProperty: z.ZodType<Record<string, unknown>> = z.lazy(() =>
    z
      .object({
        type: z.enum(["string", "number", "integer", "boolean", "array", "object"]).optional(),
        description: z.string().optional(),
        default: z.unknown().optional(),
        enum: z.array(z.unknown()).optional(),
        items: JsonSchemaProperty.optional(),
        properties: z.record(z.string(), JsonSchemaProperty).optional(),
        required: z.array(z.string()).optional(),
        additionalProperties: z.union([z.boolean(), JsonSchemaProperty]).optional(),
      })
      .loose(),
  );

  const InputsSchema = z
    .object({
      type: z.literal("object").optional(),
      properties: z.record(z.string(), JsonSchemaProperty).optional(),
      required: z.array(z.string()).optional(),
      additionalProperties: z.union([z.boolean(), JsonSchemaProperty]).optional(),
    })
    .loose();

  const ReportRef = z.union([z.string().min(1), z.object({ name: z.string().min(1), methods: z.array(z.string()).optional() })]);

  const DefinitionSchema = z.object({
    type: z.string().min(1).optional(),
    typeVersion: z.string().regex(CALVER_PATTERN, "must be CalVer YYYY.MM.DD.MICRO").optional(),
    id: z.string().regex(UUID_PATTERN, "must be a UUID"),
    name: z.string().superRefine((name, ctx) => {
      const problem = unsafeNameProblem(name);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    version: z.number().int().positive().default(1),
    tags: z.record(z.string(), z.string()).default({}),
    globalArguments: z.record(z.string(), z.unknown()).default({}),
    methods: z
      .record(z.string(), z.object({ arguments: z.record(z.string(), z.unknown()).default({}) }).loose())
      .default({}),
    inputs: InputsSchema.optional(),
    checks: z.object({ require: z.array(z.string()).optional(), skip: z.array(z.string()).optional() }).optional(),
    reports: z.object({ require: z.array(ReportRef).optional(), skip: z.array(z.string()).optional() }).optional(),
    resources: z
      .record(
        z.string(),
        z.object({
          lifetime: z.string().regex(LIFETIME_PATTERN).optional(),
          garbageCollection: z.union([z.number().int().positive(), z.string()]).optional(),
          vaultName: z.string().optional(),
        }),
      )
      .optional(),
    driver: z.string().min(1).optional(),
    driverConfig: z.record(z.string(), z.unknown()).optional(),
  });
  return { InputsSchema, DefinitionSchema };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;
const built = () => (schemas ??= buildSchemas());

/** The `inputs` block's schema (workflows share it). */
export const inputsSchema = () => built().InputsSchema;
export const definitionSchema = () => built().DefinitionSchema;

export type Definition = z.infer<ReturnType<typeof definitionSchema>>;
export type DefinitionInput = z.input<ReturnType<typeof definitionSchema>>;

/** Field order as persisted; optional blocks only when set. */
const FIELD_ORDER: ReadonlyArray<keyof Definition> = [
  "type", "typeVersion", "id", "name", "version", "tags", "globalArguments", "methods",
  "inputs", "checks", "reports", "resources", "driver", "driverConfig",
];

export function orderedDefinition(def: Definition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) if (def[key] !== undefined) out[key] = def[key];
  return out;
}

/** A plain object without an own `__proto__` key (zod and a spread would copy that one differently). */
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(v, "__proto__");
};
const optionalText = (v: unknown): boolean => v === undefined || (typeof v === "string" && v.length > 0);
/** Fields plainDefinition handles; any other key (or an optional block) goes to the zod schema. */
const PLAIN_FIELDS = new Set(["type", "typeVersion", "id", "name", "version", "tags", "globalArguments", "methods", "driver", "driverConfig"]);

/**
 * The common definition (no inputs, checks, reports or resources blocks) checked by hand, with
 * exactly the output the zod schema gives it (defaults, key order, copies); undefined for
 * anything else, which then goes through zod, so every error is zod's. Building the zod schema
 * is a noticeable part of a short `model method run`.
 */
export function plainDefinition(data: unknown): Definition | undefined {
  if (!isPlainObject(data)) return undefined;
  for (const [key, value] of Object.entries(data)) if (!PLAIN_FIELDS.has(key) || value === undefined) return undefined;
  const { type, typeVersion, id, name, version = 1, tags = {}, globalArguments = {}, methods = {}, driver, driverConfig } = data;
  if (!optionalText(type) || !optionalText(driver)) return undefined;
  if (typeVersion !== undefined && (typeof typeVersion !== "string" || !CALVER_PATTERN.test(typeVersion))) return undefined;
  if (typeof id !== "string" || !UUID_PATTERN.test(id)) return undefined;
  if (typeof name !== "string" || unsafeNameProblem(name) !== null) return undefined;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version <= 0) return undefined;
  if (!isPlainObject(tags) || !Object.values(tags).every((v) => typeof v === "string")) return undefined;
  if (!isPlainObject(globalArguments) || !isPlainObject(methods)) return undefined;
  if (driverConfig !== undefined && !isPlainObject(driverConfig)) return undefined;
  const methodsOut: Record<string, Record<string, unknown>> = {};
  for (const [methodName, method] of Object.entries(methods)) {
    if (!isPlainObject(method)) return undefined;
    const { arguments: args = {}, ...rest } = method;
    if (!isPlainObject(args)) return undefined;
    methodsOut[methodName] = { arguments: { ...args }, ...rest };
  }
  const out: Record<string, unknown> = {};
  if (type !== undefined) out.type = type;
  if (typeVersion !== undefined) out.typeVersion = typeVersion;
  Object.assign(out, { id, name, version, tags: { ...tags }, globalArguments: { ...globalArguments }, methods: methodsOut });
  if (driver !== undefined) out.driver = driver;
  if (driverConfig !== undefined) out.driverConfig = { ...driverConfig };
  return out as Definition;
}

/** Validates raw (parsed YAML) data; `where` names the file in errors. */
export function parseDefinition(data: unknown, where: string): Definition {
  const plain = plainDefinition(data);
  if (plain) return plain;
  const result = definitionSchema().safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  throw new SwampError(ErrorCode.validation, `${where}: ${field ? `${field}: ` : ""}${issue?.message ?? "invalid definition"}`, {
    details: { file: where, field },
  });
}

export function newDefinition(type: string, name: string, typeVersion: string | undefined, globalArguments: Record<string, unknown> = {}): Definition {
  return definitionSchema().parse({
    type: normalizeModelType(type),
    ...(typeVersion ? { typeVersion } : {}),
    id: randomUUID(),
    name,
    version: 1,
    tags: {},
    globalArguments,
    methods: {},
  });
}

/** Orders two CalVer versions (`YYYY.MM.DD.MICRO`): every part compared as a number. */
export function compareCalVer(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * The type version a definition could be upgraded to: the installed type's version when the
 * definition records an older one, else null (current, newer, or not recorded).
 */
export function typeUpgradeAvailable(def: Pick<Definition, "typeVersion">, installedVersion: string): { from: string; to: string } | null {
  if (!def.typeVersion || !CALVER_PATTERN.test(installedVersion)) return null;
  return compareCalVer(def.typeVersion, installedVersion) < 0 ? { from: def.typeVersion, to: installedVersion } : null;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** SHA-256 over the definition with sorted keys, excluding `type` and `typeVersion`. */
export function definitionHash(def: Definition): string {
  const { type: _t, typeVersion: _tv, ...rest } = def;
  return createHash("sha256").update(JSON.stringify(canonical(rest))).digest("hex");
}

/** True when the user-visible content differs (ignoring version bookkeeping). */
export function contentChanged(a: Definition, b: Definition): boolean {
  return definitionHash({ ...a, version: 0 }) !== definitionHash({ ...b, version: 0 });
}
