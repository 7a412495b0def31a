/**
 * Where definitions live: `models/{type}/{id}.yaml` (git-tracked) and the datastore's
 * `auto-definitions/{type}/{id}.yaml` (created by direct type runs). Files named after the
 * definition (`{name}.yaml`) are read too, so repos written by other tools load unchanged.
 *
 * Finding a definition by name must not parse every file on each command: a derived index
 * (`.swamp/definitions-index.json`: name, id, type, tags → file) answers, and every hit is
 * verified against the file itself. Search answers from the index too. The index is kept
 * honest by one walk of both roots and a stat per file: each entry remembers the stat
 * signature its file had when it was parsed, so only new or changed files (by this CLI or any
 * other program) are read again. A miss or a stale entry refreshes the index that way.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { fromYaml, toYaml } from "../runtime/yaml.js";
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

/** What search shows of a definition, served from the index. */
export interface DefinitionSummary {
  id: string;
  name: string;
  type: string;
  tags: Record<string, string>;
  /** Absolute path of the YAML file. */
  path: string;
  auto: boolean;
}

/** The stat signature a file had when it was parsed, and when that was (ms). */
interface Seen {
  sig?: string;
  seen?: number;
}

type IndexEntry = DefinitionSummary & Seen;
type BrokenEntry = BrokenDefinition & Seen & { auto: boolean };

/**
 * A file whose signature is unchanged still holds what was parsed, unless it changed within
 * this long before it was parsed: a rewrite that keeps the size inside the filesystem's
 * timestamp granularity could keep the signature too (git's "racily clean" rule).
 */
const SETTLE_MS = 2000;

export interface DefinitionRepositoryOptions {
  modelsDir: string;
  autoDir: string;
  indexPath: string;
  /** Called before a file under `autoDir` changes (it lives in the datastore tier). */
  markDirty?(absPath?: string): Promise<void>;
  /** Clock for the settle rule (tests move it forward). */
  now?: () => number;
}

export class DefinitionRepository {
  private index: IndexEntry[] | null = null;
  /** Files that failed to load, as last seen. */
  private broken: BrokenEntry[] = [];
  /**
   * The last file parsed, kept as a private copy: a run reads its definition twice (to find
   * the model, then under the model lock), and an unchanged text needs no second parse.
   */
  private lastLoaded: { path: string; root: string; text: string; definition: Definition } | null = null;

  constructor(private readonly opts: DefinitionRepositoryOptions) {}

  /**
   * Every definition under `models/` (and auto-definitions when asked), each file read and
   * parsed now, plus files that failed to load. Refreshes the index on the way.
   */
  async list(options: { includeAuto?: boolean } = {}): Promise<{ definitions: StoredDefinition[]; broken: BrokenDefinition[] }> {
    const wanted = (auto: boolean) => !auto || options.includeAuto === true;
    const { entries, broken, parsed } = await this.refresh(wanted);
    const definitions: StoredDefinition[] = [];
    for (const e of entries) {
      const definition = parsed.get(e.path);
      if (definition && wanted(e.auto)) definitions.push({ definition, path: e.path, auto: e.auto });
    }
    definitions.sort((a, b) => a.definition.name.localeCompare(b.definition.name));
    return { definitions, broken: broken.filter((b) => wanted(b.auto)).map(({ path, error, auto }) => ({ path, error, auto })) };
  }

  /**
   * Name, id, type and tags of every definition under `models/` (and auto-definitions when
   * asked), from the index: only files new or changed since they were indexed are parsed.
   */
  async summaries(options: { includeAuto?: boolean } = {}): Promise<{ definitions: DefinitionSummary[]; broken: BrokenDefinition[] }> {
    const wanted = (auto: boolean) => !auto || options.includeAuto === true;
    const { entries, broken } = await this.refresh(() => false);
    const definitions = entries
      .filter((e) => wanted(e.auto))
      .map(({ id, name, type, tags, path, auto }) => ({ id, name, type, tags, path, auto }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { definitions, broken: broken.filter((b) => wanted(b.auto)).map(({ path, error, auto }) => ({ path, error, auto })) };
  }

  /** Finds by name (or UUID), in models/ first, then auto-definitions. Null when absent. */
  async find(ref: string): Promise<StoredDefinition | null> {
    const fromIndex = await this.findIn(await this.loadIndex(), ref);
    if (fromIndex !== undefined) return fromIndex;
    return (await this.findIn((await this.refresh(() => false)).entries, ref)) ?? null;
  }

  /**
   * Id, name, type and tags of a definition by name (or UUID): what commands that only address
   * a model's data need. Served from the index when the file is unchanged since it was parsed
   * (the rule `refresh` trusts), so nothing is read or parsed; otherwise as `require`.
   */
  async requireSummary(ref: string): Promise<DefinitionSummary> {
    const candidates = this.candidatesFor(await this.loadIndex(), ref);
    const entry = candidates.length === 1 ? candidates[0]! : undefined;
    const st = entry ? signature(entry.path) : null;
    if (entry && unchanged(entry, st)) {
      const { id, name, type, tags, path, auto } = entry;
      return { id, name, type, tags, path, auto };
    }
    const { definition: d, path, auto } = await this.require(ref);
    const summary = { id: d.id, name: d.name, type: d.type ?? "", tags: d.tags ?? {}, path, auto };
    // Remember the signature the file had before it was read, as `refresh` does: once the file
    // has settled, later lookups trust it without reading it.
    if (entry && st && entry.path === path) {
      await this.updateIndex((entries) => entries.map((e) => (e.path === path ? { ...summary, sig: st.sig, seen: (this.opts.now ?? Date.now)() } : e)));
    }
    return summary;
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
        const data: unknown = fromYaml(text);
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
    return (await this.refresh(() => false)).entries.some((e) => e.name === name && e.id !== exceptId);
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
      { id: definition.id, name: definition.name, type, tags: definition.tags ?? {}, path, auto: !!options.auto },
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
      // Synchronous: for the small files definitions are, far cheaper than a file handle each.
      text = readFileSync(path, "utf8");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") throw e;
      const hint = e.code === "EMFILE" || e.code === "ENFILE" ? " The open-file limit was reached: raise it with 'ulimit -n'." : "";
      throw new SwampError(ErrorCode.internal, `Cannot read definition file ${this.shown(path)}: ${e.message}.${hint}`, { details: { file: path } });
    }
    const last = this.lastLoaded;
    if (last && last.path === path && last.root === root && last.text === text) return structuredClone(last.definition);
    let data: unknown;
    try {
      data = fromYaml(text);
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
      const parsed = parseDefinition(data, this.shown(path));
      const definition = { ...parsed, type: normalizeModelType(parsed.type ?? "") };
      this.lastLoaded = { path, root, text, definition: structuredClone(definition) };
      return definition;
    } catch (err) {
      throw new SwampError(ErrorCode.definitionInvalid, (err as Error).message, { details: { file: path } });
    }
  }

  /** The entries `ref` (a name or UUID) names: those in models/ when there are any, else auto-definitions. */
  private candidatesFor(entries: IndexEntry[], ref: string): IndexEntry[] {
    const byId = UUID_PATTERN.test(ref);
    const matches = entries.filter((e) => (byId ? e.id.toLowerCase() === ref.toLowerCase() : e.name === ref));
    const inModels = matches.filter((e) => !e.auto);
    return inModels.length > 0 ? inModels : matches;
  }

  private async findIn(entries: IndexEntry[], ref: string): Promise<StoredDefinition | null | undefined> {
    const byId = UUID_PATTERN.test(ref);
    const candidates = this.candidatesFor(entries, ref);
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
   * would leave their root are dropped: the lookup misses and the index is refreshed.
   */
  private async loadIndex(): Promise<IndexEntry[]> {
    if (this.index) return this.index;
    const entries: IndexEntry[] = [];
    const broken: BrokenEntry[] = [];
    try {
      const parsed = JSON.parse(await readFile(this.opts.indexPath, "utf8")) as { entries?: unknown; broken?: unknown };
      for (const raw of Array.isArray(parsed.entries) ? (parsed.entries as unknown[]) : []) {
        const e = raw as Partial<IndexEntry> | null;
        if (!e || typeof e.id !== "string" || typeof e.name !== "string") continue;
        const path = this.fromDisk(e.path, e.auto === true);
        if (path === null) continue;
        entries.push({ id: e.id, name: e.name, type: typeof e.type === "string" ? e.type : "", tags: stringRecord(e.tags), path, auto: e.auto === true, ...seenOf(e) });
      }
      for (const raw of Array.isArray(parsed.broken) ? (parsed.broken as unknown[]) : []) {
        const b = raw as Partial<BrokenEntry> | null;
        if (!b || typeof b.error !== "string") continue;
        const path = this.fromDisk(b.path, b.auto === true);
        if (path !== null) broken.push({ path, error: b.error, auto: b.auto === true, ...seenOf(b) });
      }
    } catch {
      // no index yet, or a damaged one: rebuilt on the first miss
    }
    this.index = entries;
    this.broken = broken;
    return entries;
  }

  /** An index entry's path made absolute, or null when it is not a plain path inside its root. */
  private fromDisk(rel: unknown, auto: boolean): string | null {
    if (typeof rel !== "string" || isAbsolute(rel) || rel.split("/").some((part) => part === ".." || part === "")) return null;
    try {
      return safeJoin(this.rootOf(auto), ...rel.split("/"));
    } catch {
      return null; // an entry naming a path outside its root: not ours to follow
    }
  }

  private rootOf(auto: boolean): string {
    return auto ? this.opts.autoDir : this.opts.modelsDir;
  }

  /**
   * Brings the index up to date with the files: one walk of both roots and a stat per file.
   * A file is read and parsed again only when it is new, its signature changed, it had not
   * settled when it was last parsed, or `parseAll` asks for its root; `parsed` holds what was.
   */
  private async refresh(parseAll: (auto: boolean) => boolean): Promise<{ entries: IndexEntry[]; broken: BrokenEntry[]; parsed: Map<string, Definition> }> {
    const known = new Map<string, IndexEntry | BrokenEntry>();
    for (const e of await this.loadIndex()) known.set(e.path, e);
    for (const b of this.broken) known.set(b.path, b);
    const now = this.opts.now ?? Date.now;
    const entries: IndexEntry[] = [];
    const broken: BrokenEntry[] = [];
    const parsed = new Map<string, Definition>();
    let changed = false;
    for (const auto of [false, true]) {
      const root = this.rootOf(auto);
      const all = parseAll(auto);
      for (const path of yamlFiles(root)) {
        const st = signature(path);
        if (st === null) continue; // gone, or not a file
        const before = known.get(path);
        known.delete(path);
        if (!all && before && unchanged(before, st)) {
          if ("error" in before) broken.push(before);
          else entries.push(before);
          continue;
        }
        const seen: Seen = { sig: st.sig, seen: now() };
        changed = true;
        try {
          const d = await this.load(path, root);
          parsed.set(path, d);
          entries.push({ id: d.id, name: d.name, type: d.type ?? "", tags: d.tags ?? {}, path, auto, ...seen });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // removed while we walked
          broken.push({ path, error: (err as Error).message, auto, ...seen });
        }
      }
    }
    if (changed || known.size > 0) await this.writeIndex(entries, broken);
    this.broken = broken;
    return { entries, broken, parsed };
  }

  private async updateIndex(change: (entries: IndexEntry[]) => IndexEntry[]): Promise<void> {
    await this.writeIndex(change(await this.loadIndex()), this.broken);
  }

  private async writeIndex(entries: IndexEntry[], broken: BrokenEntry[]): Promise<void> {
    this.index = entries;
    this.broken = broken;
    const rel = (e: { path: string; auto: boolean }) => relative(this.rootOf(e.auto), e.path).split("\\").join("/");
    const onDisk = {
      entries: entries.map((e) => ({ ...e, path: rel(e) })),
      broken: broken.map((b) => ({ ...b, path: rel(b) })),
    };
    await atomicWriteFile(this.opts.indexPath, JSON.stringify(onDisk), { durable: false }).catch(() => {});
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((kv): kv is [string, string] => typeof kv[1] === "string"));
}

function seenOf(e: Seen): Seen {
  return typeof e.sig === "string" && typeof e.seen === "number" ? { sig: e.sig, seen: e.seen } : {};
}

/** True when a file with signature `st` still holds what was parsed when `seen` was recorded. */
function unchanged(seen: Seen, st: { sig: string; changedMs: number } | null): boolean {
  return st !== null && seen.sig === st.sig && seen.seen !== undefined && seen.seen - st.changedMs > SETTLE_MS;
}

/**
 * Inode, size, mtime and ctime of a regular file (null when missing or not a file), and the
 * latest of its two times. Synchronous on purpose: thousands of stats of cached inodes finish
 * sooner in one loop than through the thread pool.
 */
function signature(path: string): { sig: string; changedMs: number } | null {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!s || !s.isFile()) return null;
  return { sig: `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, changedMs: Number(s.mtimeMs > s.ctimeMs ? s.mtimeMs : s.ctimeMs) };
}

/** Every YAML file under `root` (hidden names skipped), sorted; none when `root` is missing. */
function yamlFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".yaml") || e.name.endsWith(".yml")) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}
