/**
 * Where definitions live: `models/{type}/{id}.yaml` (git-tracked) and the datastore's
 * `auto-definitions/{type}/{id}.yaml` (created by direct type runs). Files named after the
 * definition (`{name}.yaml`) are read too, so repos written by other tools load unchanged.
 *
 * Finding a definition by name must not parse every file on each command: a derived index
 * (`.swamp/definitions-index.json`, name/id → file) answers, and every hit is verified against
 * the file itself. A miss or a stale entry rebuilds the index with one walk of both roots.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { parse } from "yaml";
import { toYaml } from "../runtime/yaml.js";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { shortName } from "../contract/untrusted.js";
import { atomicWriteFile } from "../runtime/atomic-write.js";
import { safeJoin } from "../runtime/safe-path.js";
import { normalizeModelType } from "../data/names.js";
import { UUID_PATTERN, orderedDefinition, parseDefinition, type Definition } from "./definition.js";

export interface StoredDefinition {
  definition: Definition;
  /** Absolute path of the YAML file. */
  path: string;
  /** True for auto-definitions (direct type runs). */
  auto: boolean;
}

export interface BrokenDefinition {
  path: string;
  error: string;
  auto: boolean;
}

interface IndexEntry {
  id: string;
  name: string;
  type: string;
  path: string;
  auto: boolean;
}

export interface DefinitionRepositoryOptions {
  modelsDir: string;
  autoDir: string;
  indexPath: string;
  /** Called before a file under `autoDir` changes (it lives in the datastore tier). */
  markDirty?(absPath?: string): Promise<void>;
}

export class DefinitionRepository {
  private index: IndexEntry[] | null = null;
  /** Files that failed to load during the last walk. */
  private broken: BrokenDefinition[] = [];

  constructor(private readonly opts: DefinitionRepositoryOptions) {}

  /** Every definition under `models/` (and auto-definitions when asked), plus files that failed to load. */
  async list(options: { includeAuto?: boolean } = {}): Promise<{ definitions: StoredDefinition[]; broken: BrokenDefinition[] }> {
    const definitions: StoredDefinition[] = [];
    const broken: BrokenDefinition[] = [];
    const roots: Array<[string, boolean]> = [[this.opts.modelsDir, false]];
    if (options.includeAuto) roots.push([this.opts.autoDir, true]);
    for (const [root, auto] of roots) {
      for (const path of await yamlFiles(root)) {
        try {
          definitions.push({ definition: await this.load(path, root), path, auto });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // removed while we walked
          broken.push({ path, error: (err as Error).message, auto });
        }
      }
    }
    definitions.sort((a, b) => a.definition.name.localeCompare(b.definition.name));
    return { definitions, broken };
  }

  /** Finds by name (or UUID), in models/ first, then auto-definitions. Null when absent. */
  async find(ref: string): Promise<StoredDefinition | null> {
    const fromIndex = await this.findIn(await this.loadIndex(), ref);
    if (fromIndex !== undefined) return fromIndex;
    return (await this.findIn(await this.rebuildIndex(), ref)) ?? null;
  }

  /**
   * Like `find`, but a miss is an error: `definition_invalid` (with the file and the reason)
   * when a file that fails to load looks like the one asked for, else `model_not_found`.
   */
  async require(ref: string): Promise<StoredDefinition> {
    const found = await this.find(ref);
    if (found) return found;
    const broken = await this.brokenFileFor(ref);
    if (broken) throw new SwampError(ErrorCode.definitionInvalid, broken.error, { details: { model: ref, file: broken.path } });
    const others = this.broken.length ? ` (${this.broken.length} definition file(s) could not be loaded: run 'swamp model validate')` : "";
    throw new SwampError(ErrorCode.modelNotFound, `Model not found: ${shortName(ref)}${others}`, { details: { model: shortName(ref) } });
  }

  /**
   * The broken file named after `ref`, or whose top-level `name` / `id` says `ref`: read from
   * the mapping when the YAML parses (the schema is what failed), else from the lines.
   */
  private async brokenFileFor(ref: string): Promise<BrokenDefinition | undefined> {
    const wanted = ref.toLowerCase();
    for (const b of this.broken) {
      if (basename(b.path).replace(/\.ya?ml$/, "").toLowerCase() === wanted) return b;
      const text = await readFile(b.path, "utf8").catch(() => "");
      const claimed: unknown[] = [];
      try {
        const data: unknown = parse(text);
        if (data && typeof data === "object") claimed.push((data as Record<string, unknown>).name, (data as Record<string, unknown>).id);
      } catch {
        for (const m of text.matchAll(/^(?:name|id):[ \t]*["']?([^"'#\s]+)/gm)) claimed.push(m[1]);
      }
      if (claimed.some((c) => typeof c === "string" && c.toLowerCase() === wanted)) return b;
    }
    return undefined;
  }

  /** True when a model (other than `exceptId`) holds the name, in models/ or auto-definitions/. */
  async nameTaken(name: string, exceptId?: string): Promise<boolean> {
    return (await this.rebuildIndex()).some((e) => e.name === name && e.id !== exceptId);
  }

  /** Writes `models/{type}/{id}.yaml` (or the auto-definitions twin) and drops any older file of this id. */
  async save(definition: Definition, options: { auto?: boolean; previousPath?: string } = {}): Promise<string> {
    const type = normalizeModelType(definition.type ?? "");
    if (!type) throw new SwampError(ErrorCode.validation, `Definition "${definition.name}" has no type`);
    const root = options.auto ? this.opts.autoDir : this.opts.modelsDir;
    const path = safeJoin(root, ...type.split("/"), `${definition.id}.yaml`);
    if (options.auto) await this.opts.markDirty?.(path);
    const text = toYaml(orderedDefinition({ ...definition, type }));
    await atomicWriteFile(path, text);
    if (options.previousPath && options.previousPath !== path) await rm(options.previousPath, { force: true });
    await this.updateIndex((entries) => [
      ...entries.filter((e) => e.id !== definition.id),
      { id: definition.id, name: definition.name, type, path, auto: !!options.auto },
    ]);
    return path;
  }

  async delete(stored: StoredDefinition): Promise<void> {
    if (stored.auto) await this.opts.markDirty?.(stored.path);
    await rm(stored.path, { force: true });
    await this.updateIndex((entries) => entries.filter((e) => e.id !== stored.definition.id));
  }

  /** Path for messages: relative to the repo for files under models/. */
  private shown(path: string): string {
    const rel = relative(dirname(this.opts.modelsDir), path);
    return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  }

  /**
   * Reads and checks one file. A file that cannot be parsed or fails the schema is
   * `definition_invalid`, naming the file and the reason (line and column for YAML); a file
   * that cannot be read keeps its system error code (ENOENT: gone).
   */
  private async load(path: string, root: string): Promise<Definition> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") throw e;
      const hint = e.code === "EMFILE" || e.code === "ENFILE" ? " The open-file limit was reached: raise it with 'ulimit -n'." : "";
      throw new SwampError(ErrorCode.internal, `Cannot read definition file ${this.shown(path)}: ${e.message}.${hint}`, { details: { file: path } });
    }
    let data: unknown;
    try {
      data = parse(text);
    } catch (err) {
      // The yaml parser's first line is the reason with its position; the rest is a code frame.
      const reason = (err as Error).message.split("\n")[0]!.replace(/:\s*$/, "");
      throw new SwampError(ErrorCode.definitionInvalid, `${this.shown(path)}: invalid YAML: ${reason}`, { details: { file: path } });
    }
    if (data && typeof data === "object" && !Array.isArray(data)) {
      const record = data as Record<string, unknown>;
      if (record.type === undefined) record.type = relative(root, dirname(path)).split(/[\\/]/).join("/");
    }
    try {
      const definition = parseDefinition(data, this.shown(path));
      return { ...definition, type: normalizeModelType(definition.type ?? "") };
    } catch (err) {
      throw new SwampError(ErrorCode.definitionInvalid, (err as Error).message, { details: { file: path } });
    }
  }

  private async findIn(entries: IndexEntry[], ref: string): Promise<StoredDefinition | null | undefined> {
    const byId = UUID_PATTERN.test(ref);
    const matches = entries.filter((e) => (byId ? e.id.toLowerCase() === ref.toLowerCase() : e.name === ref));
    const inModels = matches.filter((e) => !e.auto);
    const candidates = inModels.length > 0 ? inModels : matches;
    if (candidates.length > 1) {
      throw new SwampError(
        ErrorCode.conflict,
        `Model name "${ref}" is defined more than once: ${candidates.map((c) => this.shown(c.path)).join(", ")}. Rename or delete the duplicates.`,
      );
    }
    const entry = candidates[0];
    if (!entry) return undefined;
    try {
      const definition = await this.load(entry.path, entry.auto ? this.opts.autoDir : this.opts.modelsDir);
      if ((byId ? definition.id : definition.name) !== (byId ? entry.id : entry.name)) return undefined;
      return { definition, path: entry.path, auto: entry.auto };
    } catch {
      return undefined;
    }
  }

  /**
   * On disk each entry's path is relative to its root (models/ or auto-definitions/), so a
   * copied or moved repo reads its own files. Entries that are absolute (an older index) or
   * would leave their root are dropped: the lookup misses and the index is rebuilt.
   */
  private async loadIndex(): Promise<IndexEntry[]> {
    if (this.index) return this.index;
    const entries: IndexEntry[] = [];
    try {
      const parsed = JSON.parse(await readFile(this.opts.indexPath, "utf8")) as { entries?: unknown };
      for (const e of Array.isArray(parsed.entries) ? (parsed.entries as IndexEntry[]) : []) {
        if (!e || typeof e.path !== "string" || typeof e.id !== "string" || typeof e.name !== "string") continue;
        if (isAbsolute(e.path) || e.path.split("/").some((part) => part === ".." || part === "")) continue;
        try {
          entries.push({ ...e, auto: e.auto === true, path: safeJoin(this.rootOf(e.auto === true), ...e.path.split("/")) });
        } catch {
          // an entry naming a path outside its root: not ours to follow
        }
      }
    } catch {
      // no index yet, or a damaged one: rebuilt on the first miss
    }
    this.index = entries;
    return entries;
  }

  private rootOf(auto: boolean): string {
    return auto ? this.opts.autoDir : this.opts.modelsDir;
  }

  private async rebuildIndex(): Promise<IndexEntry[]> {
    const { definitions, broken } = await this.list({ includeAuto: true });
    this.broken = broken;
    const entries = definitions.map((d) => ({
      id: d.definition.id,
      name: d.definition.name,
      type: d.definition.type ?? "",
      path: d.path,
      auto: d.auto,
    }));
    await this.writeIndex(entries);
    return entries;
  }

  private async updateIndex(change: (entries: IndexEntry[]) => IndexEntry[]): Promise<void> {
    await this.writeIndex(change(await this.loadIndex()));
  }

  private async writeIndex(entries: IndexEntry[]): Promise<void> {
    this.index = entries;
    const onDisk = entries.map((e) => ({ ...e, path: relative(this.rootOf(e.auto), e.path).split("\\").join("/") }));
    await atomicWriteFile(this.opts.indexPath, JSON.stringify({ entries: onDisk }), { durable: false }).catch(() => {});
  }
}

async function yamlFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".yaml") || e.name.endsWith(".yml")) out.push(p);
    }
  }
  await walk(root);
  return out.sort();
}
