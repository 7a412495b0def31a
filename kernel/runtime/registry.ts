/**
 * The plugin registry: one table per port kind, keyed by lowercase type name. Builtins and
 * extensions register the same entry shape; implementations load on first use, so listing
 * types never loads code.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import { typeNameProblem, type PluginEntry, type PluginImplementations, type PluginKind } from "../contract/plugin.js";
import { validatePluginExport } from "./plugin-validation.js";
import { nearestTypes, quotedChoices } from "./suggest.js";

export class PluginRegistry {
  private readonly entries = new Map<PluginKind, Map<string, PluginEntry>>();
  private readonly loaded = new Map<PluginEntry, Promise<unknown>>();
  private readonly aliases = new Map<string, string>();
  /** Why a missing type could not be provided (e.g. its collective is not trusted), by `kind:type`. */
  private readonly unresolved = new Map<string, string>();
  /** Provides a missing type on first use (auto-resolve from a registry); set by the CLI. */
  private resolver: ((kind: PluginKind, type: string) => Promise<void>) | undefined;
  private readonly resolving = new Map<string, Promise<void>>();

  register<K extends PluginKind>(entry: PluginEntry<K>): void {
    const problem = typeNameProblem(entry.kind, entry.type, entry.origin);
    if (problem) {
      throw new SwampError(ErrorCode.pluginInvalid, `${describeSource(entry)}: ${problem}`, {
        details: { kind: entry.kind, type: entry.type },
      });
    }
    const table = this.table(entry.kind);
    const key = entry.type.toLowerCase();
    const existing = table.get(key);
    if (existing) {
      throw new SwampError(
        ErrorCode.pluginDuplicate,
        `${entry.kind} type "${entry.type}" from ${describeSource(entry)} is already registered by ${describeSource(existing)}`,
        { details: { kind: entry.kind, type: entry.type } },
      );
    }
    table.set(key, entry as PluginEntry);
  }

  /** Makes `alias` resolve to `type` (e.g. a legacy name kept for existing repos). */
  alias(kind: PluginKind, alias: string, type: string): void {
    this.aliases.set(`${kind}:${alias.toLowerCase()}`, type.toLowerCase());
  }

  /** Records why `type` is missing: a sentence its "unknown type" error carries. */
  markUnresolved(kind: PluginKind, type: string, hint: string): void {
    this.unresolved.set(`${kind}:${type.toLowerCase()}`, hint);
  }

  /** The sentence recorded by markUnresolved for a missing type, if any. */
  unresolvedHint(kind: PluginKind, type: string): string | undefined {
    const key = type.toLowerCase();
    return this.unresolved.get(`${kind}:${key}`) ?? this.unresolved.get(`${kind}:${key.startsWith("@") ? key.slice(1) : `@${key}`}`);
  }

  /** Sets what `ensure` (and `load`) ask for a type that is not registered. */
  setResolver(resolver: (kind: PluginKind, type: string) => Promise<void>): void {
    this.resolver = resolver;
  }

  /**
   * The entry for a type, asking the resolver once per type when it is not registered (and no
   * earlier attempt recorded why it is missing). Undefined when it stays missing.
   */
  async ensure<K extends PluginKind>(kind: K, type: string): Promise<PluginEntry<K> | undefined> {
    const found = this.get(kind, type);
    if (found || !this.resolver || this.unresolvedHint(kind, type) !== undefined) return found;
    const key = `${kind}:${type.toLowerCase()}`;
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = this.resolver(kind, type);
      this.resolving.set(key, pending);
    }
    await pending;
    return this.get(kind, type);
  }

  get<K extends PluginKind>(kind: K, type: string): PluginEntry<K> | undefined {
    const key = type.toLowerCase();
    const table = this.table(kind);
    return (table.get(key) ?? table.get(this.aliases.get(`${kind}:${key}`) ?? "")) as PluginEntry<K> | undefined;
  }

  list<K extends PluginKind>(kind: K): PluginEntry<K>[] {
    return [...this.table(kind).values()].sort((a, b) => a.type.localeCompare(b.type)) as PluginEntry<K>[];
  }

  /** Loads (once) and validates the implementation behind a registered type. */
  async load<K extends PluginKind>(kind: K, type: string): Promise<PluginImplementations[K]> {
    const entry = await this.ensure(kind, type);
    if (!entry) throw unknownType(kind, type, this.list(kind), this.unresolvedHint(kind, type));
    let pending = this.loaded.get(entry);
    if (!pending) {
      pending = entry.load().then((impl) => {
        validatePluginExport(kind, impl, entry);
        return impl;
      });
      this.loaded.set(entry, pending);
      pending.catch(() => this.loaded.delete(entry));
    }
    return (await pending) as PluginImplementations[K];
  }

  private table(kind: PluginKind): Map<string, PluginEntry> {
    let table = this.entries.get(kind);
    if (!table) {
      table = new Map();
      this.entries.set(kind, table);
    }
    return table;
  }
}

function describeSource(entry: PluginEntry): string {
  return entry.origin === "builtin" ? "builtin" : (entry.source ?? "an extension");
}

export function unknownType(kind: PluginKind, type: string, available: readonly PluginEntry[], hint?: string): SwampError {
  const code = kind === "datastore" ? ErrorCode.datastoreUnknownType : ErrorCode.notFound;
  const types = available.map((e) => e.type);
  const near = nearestTypes(type, types);
  const didYouMean = near.length > 0 ? ` Did you mean ${quotedChoices(near)}?` : "";
  return new SwampError(code, `Unknown ${kind} type: "${type}".${didYouMean} Available types: ${types.join(", ") || "none"}${hint ? `. ${hint}` : ""}`, {
    details: { kind, type, available: types, ...(near.length > 0 ? { suggestions: near } : {}), ...(hint ? { hint } : {}) },
  });
}
