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
const definitionSchema = () => built().DefinitionSchema;

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

/** Validates raw (parsed YAML) data; `where` names the file in errors. */
export function parseDefinition(data: unknown, where: string): Definition {
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
