/**
 * Persisted vault references (data.md §5): a sensitive value is persisted as the exact string
 *
 *   ${{ vault.get('<vault>', '<key>') }}
 *
 * and resolved back on read where the reader is entitled to the value (a method reading its own
 * resource, CEL `data.*` during a run). Only a string that entirely is such a reference is
 * resolved (whitespace-tolerant, single or double quotes); objects and arrays are walked. A
 * reference that cannot be resolved is left as it is: the record is never failed.
 */
import type { DataAccess, DataRecord, FileRecord, RunScope } from "../expressions/context.js";
import type { Redactor } from "../runtime/redact.js";

/** The exact persisted form. */
export function vaultReference(vault: string, key: string): string {
  return `\${{ vault.get('${vault}', '${key}') }}`;
}

const ARG = String.raw`(?:'([^']*)'|"([^"]*)")`;
const REFERENCE = new RegExp(String.raw`^\s*\$\{\{\s*vault\s*\.\s*get\s*\(\s*${ARG}\s*,\s*${ARG}\s*\)\s*\}\}\s*$`);

export interface ParsedReference {
  vault: string;
  key: string;
}

/** The vault and key of a string that entirely is a reference, else null. */
export function parseVaultReference(text: string): ParsedReference | null {
  if (!text.includes("vault")) return null;
  const m = REFERENCE.exec(text);
  if (!m) return null;
  return { vault: m[1] ?? m[2] ?? "", key: m[3] ?? m[4] ?? "" };
}

export function isVaultReference(value: unknown): value is string {
  return typeof value === "string" && parseVaultReference(value) !== null;
}

/**
 * Resolves one reference: returns the replacement string, or null to leave the reference as
 * it is (the vault failed, or the caller may not see it).
 */
export type ReferenceResolver = (ref: ParsedReference, text: string) => Promise<string | null>;

/** True when `value` holds a reference anywhere (cheap pre-check; no allocation on misses). */
export function containsVaultReference(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return isVaultReference(value);
  if (depth > 64 || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => containsVaultReference(v, depth + 1));
  if (value instanceof Uint8Array) return false;
  return Object.values(value).some((v) => containsVaultReference(v, depth + 1));
}

/** A copy of `value` with every reference replaced by what `resolve` returns (same object when there are none). */
export async function resolveVaultReferences<T>(value: T, resolve: ReferenceResolver): Promise<T> {
  if (!containsVaultReference(value)) return value;
  const walk = async (node: unknown, depth: number): Promise<unknown> => {
    if (typeof node === "string") {
      const ref = parseVaultReference(node);
      if (!ref) return node;
      return (await resolve(ref, node).catch(() => null)) ?? node;
    }
    if (depth > 64 || node === null || typeof node !== "object" || node instanceof Uint8Array) return node;
    if (Array.isArray(node)) return Promise.all(node.map((v) => walk(v, depth + 1)));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = await walk(v, depth + 1);
    return out;
  };
  return (await walk(value, 0)) as T;
}

async function resolveRecord(record: DataRecord | null, resolve: ReferenceResolver): Promise<DataRecord | null> {
  if (!record) return record;
  const sameObject = record.content === record.attributes;
  const attributes = await resolveVaultReferences(record.attributes, resolve);
  const content = sameObject ? attributes : await resolveVaultReferences(record.content, resolve);
  if (attributes === record.attributes && content === record.content) return record;
  return { ...record, attributes, content };
}

/**
 * Wraps a DataAccess so the records (and query results) it returns have their vault
 * references resolved. `listVersions`, `fileContents` and file records hold no references and
 * pass through.
 */
export class VaultReferenceDataAccess implements DataAccess {
  resource?: (model: string, spec: string, instance: string) => Promise<DataRecord | null>;
  file?: (model: string, spec: string, instance: string) => Promise<FileRecord | null>;

  constructor(
    private readonly inner: DataAccess,
    private readonly resolve: ReferenceResolver,
  ) {
    const resource = inner.resource?.bind(inner);
    if (resource) this.resource = async (m, s, i) => resolveRecord(await resource(m, s, i), this.resolve);
    const file = inner.file?.bind(inner);
    if (file) this.file = file;
  }

  async latest(model: string, name: string): Promise<DataRecord | null> {
    return resolveRecord(await this.inner.latest(model, name), this.resolve);
  }

  async version(model: string, name: string, version: number): Promise<DataRecord | null> {
    return resolveRecord(await this.inner.version(model, name, version), this.resolve);
  }

  listVersions(model: string, name: string): Promise<number[]> {
    return this.inner.listVersions(model, name);
  }

  async findByTag(key: string, value: string): Promise<DataRecord[]> {
    const records = await this.inner.findByTag(key, value);
    return Promise.all(records.map(async (r) => (await resolveRecord(r, this.resolve)) as DataRecord));
  }

  async findBySpec(model: string, spec: string, scope?: RunScope): Promise<DataRecord[]> {
    const records = await (scope ? this.inner.findBySpec(model, spec, scope) : this.inner.findBySpec(model, spec));
    return Promise.all(records.map(async (r) => (await resolveRecord(r, this.resolve)) as DataRecord));
  }

  async query(predicate: string, select?: string): Promise<unknown[]> {
    const results = await this.inner.query(predicate, select);
    return Promise.all(
      results.map((r) =>
        r && typeof r === "object" && "attributes" in r && "content" in r
          ? resolveRecord(r as DataRecord, this.resolve)
          : resolveVaultReferences(r, this.resolve),
      ),
    );
  }

  fileContents(model: string, spec: string): Promise<string | null> {
    return this.inner.fileContents(model, spec);
  }
}

/**
 * The redactor over a JSON-like value's string values, except strings that are vault
 * references: a short secret that happens to occur in a vault key must not break the reference.
 */
export function redactExceptReferences<T>(redactor: Redactor, value: T): T {
  return redactor.redactValue(value, isVaultReference);
}
