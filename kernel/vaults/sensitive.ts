/**
 * Sensitive resource outputs (seed 001 "Sensitive Output", data.md §5).
 *
 * Which fields: resource-schema fields carrying `.meta({ sensitive: true, vaultName?,
 * vaultKey? })`, found through optional/nullable/default/readonly/catch/pipe wrappers and in
 * nested objects (dotted paths, e.g. `credentials.apiKey`); with `sensitiveOutput: true` on
 * the spec, every top-level key of the written data as well. Schemas may be zod schemas or
 * their JSON Schema form (what crosses the worker boundary), where the metadata sits on the
 * property schema.
 *
 * Before a resource is persisted, each such non-null value is stored in a vault and replaced
 * by the exact string `${{ vault.get('<vault>', '<key>') }}`; the value is registered with the
 * run's redactor, so any copy of it elsewhere in the data (or in logs) becomes `***`.
 */
import { SwampError } from "../contract/errors.js";
import type { ModelTypePlugin, ResourceOutputSpec } from "../contract/ports/model-type.js";
import type { VaultStore } from "../contract/ports/vault.js";
import { VaultErrorCode } from "./errors.js";
import { isVaultReference, vaultReference } from "./references.js";

export interface SensitiveField {
  /** Property names from the top level down. */
  path: string[];
  vaultName?: string;
  vaultKey?: string;
}

interface Meta {
  sensitive?: unknown;
  vaultName?: unknown;
  vaultKey?: unknown;
}

type ZodLike = { _zod: { def: Record<string, unknown> }; meta?: () => unknown };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isZod = (v: unknown): v is ZodLike => isObject(v) && isObject((v as { _zod?: unknown })._zod) && isObject((v as ZodLike)._zod.def);

function zodMeta(schema: ZodLike): Meta | undefined {
  try {
    const m = typeof schema.meta === "function" ? schema.meta() : undefined;
    return isObject(m) ? (m as Meta) : undefined;
  } catch {
    return undefined;
  }
}

/** The schemas a zod wrapper stands for (itself first), and the object shape if it is one. */
function zodLayers(schema: ZodLike, depth = 0): { metas: Meta[]; shape: Record<string, unknown> | null } {
  const metas: Meta[] = [];
  let shape: Record<string, unknown> | null = null;
  const visit = (s: unknown, d: number): void => {
    if (!isZod(s) || d > 16) return;
    const meta = zodMeta(s);
    if (meta) metas.push(meta);
    const def = s._zod.def;
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "prefault":
      case "nonoptional":
      case "readonly":
      case "catch":
      case "success":
        visit(def.innerType, d + 1);
        break;
      case "pipe":
        visit(def.in, d + 1);
        visit(def.out, d + 1);
        break;
      case "lazy":
        try {
          visit((def.getter as () => unknown)(), d + 1);
        } catch {
          // an unresolvable lazy schema has no fields we can see
        }
        break;
      case "object":
        shape ??= isObject(def.shape) ? def.shape : null;
        break;
    }
  };
  visit(schema, depth);
  return { metas, shape };
}

function jsonLayers(schema: Record<string, unknown>): { metas: Meta[]; shape: Record<string, unknown> | null } {
  const metas: Meta[] = [];
  let shape: Record<string, unknown> | null = null;
  const visit = (s: unknown, d: number): void => {
    if (!isObject(s) || d > 16) return;
    metas.push(s as Meta);
    if (isObject(s.properties)) shape ??= s.properties;
    for (const k of ["anyOf", "oneOf", "allOf"]) {
      const list = s[k];
      if (Array.isArray(list)) for (const item of list) visit(item, d + 1);
    }
  };
  visit(schema, 0);
  return { metas, shape };
}

function layers(schema: unknown): { metas: Meta[]; shape: Record<string, unknown> | null } {
  if (isZod(schema)) return zodLayers(schema);
  if (isObject(schema)) return jsonLayers(schema);
  return { metas: [], shape: null };
}

/** Every field marked sensitive in a resource schema (zod or JSON Schema). */
export function sensitiveFieldsOf(schema: unknown): SensitiveField[] {
  const out: SensitiveField[] = [];
  const walk = (s: unknown, path: string[], depth: number): void => {
    if (depth > 32) return;
    const { metas, shape } = layers(s);
    if (path.length > 0) {
      const marked = metas.find((m) => m.sensitive === true);
      if (marked) {
        const vaultName = metas.map((m) => m.vaultName).find((v): v is string => typeof v === "string" && v !== "");
        const vaultKey = metas.map((m) => m.vaultKey).find((v): v is string => typeof v === "string" && v !== "");
        out.push({ path, ...(vaultName ? { vaultName } : {}), ...(vaultKey ? { vaultKey } : {}) });
        return; // the whole value goes to the vault; nothing below it is separate
      }
    }
    if (shape) for (const [name, child] of Object.entries(shape)) walk(child, [...path, name], depth + 1);
  };
  walk(schema, [], 0);
  return out;
}

/** True when writing `spec` may need a vault. */
export function specNeedsVault(spec: ResourceOutputSpec): boolean {
  return spec.sensitiveOutput === true || sensitiveFieldsOf(spec.schema).length > 0;
}

/** Names of a type's resource specs that need a vault. */
export function sensitiveSpecs(plugin: ModelTypePlugin): string[] {
  return Object.entries(plugin.resources ?? {})
    .filter(([, spec]) => specNeedsVault(spec))
    .map(([name]) => name);
}

/** `@` and NUL removed, `/` and `\` → `-`, `..` → `.` (until none is left). */
export function sanitizeVaultKey(raw: string): string {
  let key = raw.replace(/[@\0]/g, "").replace(/[/\\]/g, "-");
  while (key.includes("..")) key = key.replace(/\.\./g, ".");
  return key;
}

export function defaultVaultKey(parts: { modelType: string; modelId: string; methodName: string; specName: string; instanceName: string; fieldPath: string }): string {
  return sanitizeVaultKey(`${parts.modelType}/${parts.modelId}/${parts.methodName}/${parts.specName}/${parts.instanceName}/${parts.fieldPath}`);
}

export function noVaultForModelError(modelName: string): SwampError {
  return new SwampError(
    VaultErrorCode.noVault,
    `Model "${modelName}" has sensitive resource output fields but no vault is configured. Create a vault before running this method: swamp vault create <type> <name>`,
    { details: { model: modelName } },
  );
}

export interface ProtectOptions {
  spec: ResourceOutputSpec;
  specName: string;
  instanceName: string;
  modelType: string;
  modelId: string;
  methodName: string;
  /** `resources.<spec>.vaultName` of the definition (overrides the type's spec). */
  definitionVaultName?: string;
  store?: VaultStore;
  /** Called with every value before it is stored (register it with the redactor). */
  onSecret(value: string): void;
  /** Audit caller context. */
  caller: string;
}

export interface StoredField {
  fieldPath: string;
  vaultName: string;
  vaultKey: string;
}

function getAt(data: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = data;
  for (const p of path) {
    if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, p)) return undefined;
    node = node[p];
  }
  return node;
}

function setAt(data: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = data;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}

function stringLeaves(value: unknown, out: string[], depth = 0): void {
  if (typeof value === "string") out.push(value);
  else if (depth < 32 && value !== null && typeof value === "object") for (const v of Object.values(value)) stringLeaves(v, out, depth + 1);
}

/**
 * Moves the sensitive values of `data` into vaults. Returns the data to persist (a copy when
 * anything was replaced; `data` itself is never modified) and what was stored.
 */
export async function protectSensitiveFields(
  data: Record<string, unknown>,
  o: ProtectOptions,
): Promise<{ data: Record<string, unknown>; stored: StoredField[] }> {
  const declared = sensitiveFieldsOf(o.spec.schema);
  const byPath = new Map<string, SensitiveField>();
  if (o.spec.sensitiveOutput === true) for (const key of Object.keys(data)) byPath.set(JSON.stringify([key]), { path: [key] });
  for (const f of declared) {
    const top = JSON.stringify([f.path[0]]);
    if (f.path.length > 1 && byPath.has(top)) continue; // the whole top-level value is already sensitive
    byPath.set(JSON.stringify(f.path), f);
  }
  const fields = [...byPath.values()].filter((f) => {
    const v = getAt(data, f.path);
    return v !== undefined && v !== null && !isVaultReference(v);
  });
  if (fields.length === 0) return { data, stored: [] };

  const names = o.store ? await o.store.names() : [];
  if (!o.store || names.length === 0) {
    const message =
      declared.length === 0 && o.spec.sensitiveOutput === true
        ? `Cannot persist data: resource '${o.specName}' is marked sensitiveOutput but no vault is configured. Create a vault using: swamp vault create <type> <name>`
        : `Cannot persist data: fields ${fields.map((f) => `'${f.path.join(".")}'`).join(", ")} in resource '${o.specName}' are marked as sensitive but no vault is configured. Create a vault using: swamp vault create <type> <name>`;
    throw new SwampError(VaultErrorCode.noVault, message, { details: { spec: o.specName, fields: fields.map((f) => f.path.join(".")) } });
  }
  const fallback = o.definitionVaultName ?? o.spec.vaultName ?? o.store.defaultVault() ?? names.find((n) => !n.startsWith("_")) ?? names[0];

  const copy = structuredClone(data);
  const stored: StoredField[] = [];
  for (const field of fields) {
    const fieldPath = field.path.join(".");
    const vaultName = field.vaultName ?? (fallback as string);
    if (vaultName.startsWith("_")) {
      throw new SwampError(VaultErrorCode.reservedVault, `Cannot store sensitive field '${fieldPath}': vault '${vaultName}' is reserved for internal use`);
    }
    const vaultKey =
      field.vaultKey ??
      defaultVaultKey({ modelType: o.modelType, modelId: o.modelId, methodName: o.methodName, specName: o.specName, instanceName: o.instanceName, fieldPath });
    if (vaultKey.includes("'") || vaultName.includes("'")) {
      throw new SwampError("validation_failed", `Cannot store sensitive field '${fieldPath}': the vault key ${JSON.stringify(vaultKey)} must not contain a quote`);
    }
    const value = getAt(copy, field.path);
    const secret = typeof value === "string" ? value : JSON.stringify(value);
    const leaves: string[] = [secret];
    if (typeof value !== "string") stringLeaves(value, leaves);
    for (const s of leaves) o.onSecret(s);
    await o.store.put(vaultName, vaultKey, secret, o.caller);
    setAt(copy, field.path, vaultReference(vaultName, vaultKey));
    stored.push({ fieldPath, vaultName, vaultKey });
  }
  return { data: copy, stored };
}
