/**
 * Workflow files: `workflow-*.yaml` directly in `workflows/` (or `.swamp.yaml` `workflowsDir`).
 * A file is named after its workflow (`workflow-<name>.yaml`) when the name is filename-safe,
 * else after its id (scoped `@collective/name` names, legacy files).
 *
 * Lookups try the name first, then the id. The file named after the name is read first, so the
 * usual lookup reads one file; only a miss reads the folder. A file that cannot be loaded is
 * never "not found": it is reported as broken, with its file, line and reason.
 *
 * Extension workflows (pulled extensions, source mounts) join the lookup after the repo's own,
 * in the order their directories are given. In those directories any YAML file up to 4 levels
 * down with a top-level `jobs` key is a workflow file. They are read-only. The first workflow of
 * a name or id wins: a later extension workflow that clashes with it is shadowed (left out of
 * every lookup and reported by `validate`); so is one whose name a broken repo file claims.
 */
import { randomUUID } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { shortName } from "../contract/untrusted.js";
import { atomicWriteFile } from "../runtime/atomic-write.js";
import { toYaml } from "../runtime/yaml.js";
import { defaultWorkflow, isFilenameSafe, newWorkflowNameProblem, parseWorkflow, WorkflowSchemaError, type IssuePath } from "./schema.js";
import { originText, type ExtensionWorkflowDir, type StoredWorkflow, type Workflow, type WorkflowOrigin } from "./types.js";

/** A workflow file that failed to load. */
export interface BrokenWorkflow {
  /** Absolute path. */
  path: string;
  /** The `name:` / `id:` the file claims, when they can be read at all. */
  name: string | null;
  id: string | null;
  /** 1-based line of the problem, when known. */
  line?: number;
  error: string;
  /** Set for a file of an extension workflow directory. */
  origin?: WorkflowOrigin;
}

/** An extension workflow left out of lookups because an earlier workflow has its name or id. */
export interface ShadowedWorkflow {
  workflow: StoredWorkflow;
  /** Path of the file that wins. */
  by: string;
}

export interface WorkflowListing {
  workflows: StoredWorkflow[];
  broken: BrokenWorkflow[];
  shadowed: ShadowedWorkflow[];
}

export interface WorkflowRepositoryOptions {
  /** The workflows folder (absolute). */
  dir: string;
  /** The repo root, for the paths shown in messages. */
  repoDir: string;
  /** Runs `fn` holding the lock of a workflow name (create and rename claim a name under it). */
  withNameLock?<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Directories of extension workflows, asked for only when a lookup needs more than one file. */
  extensionDirs?(): Promise<readonly ExtensionWorkflowDir[]>;
}

type LoadResult = { ok: true; stored: StoredWorkflow } | { ok: false; broken: BrokenWorkflow };

const FILE_PATTERN = /^workflow-.+\.yaml$/;
const EXTENSION_FILE_PATTERN = /\.ya?ml$/;
const EXTENSION_SCAN_DEPTH = 4;
/** Extension files larger than this are not read (no workflow is that large). */
const EXTENSION_FILE_LIMIT_BYTES = 1024 * 1024;
const EXTENSION_SKIPPED_DIRS = new Set(["node_modules", "dist", "build", "target"]);
const TOP_LEVEL_JOBS = /^jobs[ \t]*:/m;

/** The workflows folder of a repo: `.swamp.yaml` `workflowsDir`, else `workflows/`. */
export function workflowsDirFor(repoDir: string, marker: { workflowsDir?: string | undefined }): string {
  const configured = marker.workflowsDir ?? "workflows";
  return isAbsolute(configured) ? configured : resolve(repoDir, configured);
}

export class WorkflowRepository {
  constructor(private readonly opts: WorkflowRepositoryOptions) {}

  get dir(): string {
    return this.opts.dir;
  }

  /** Path for messages: repo-relative when inside the repo. */
  displayPath(path: string): string {
    const rel = relative(this.opts.repoDir, path);
    return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  }

  /**
   * Every workflow file, loaded or broken: the repo's own in file-name order, then each extension
   * directory's. Extension workflows that clash with an earlier one are listed as shadowed.
   */
  async list(): Promise<WorkflowListing> {
    const workflows: StoredWorkflow[] = [];
    const broken: BrokenWorkflow[] = [];
    const shadowed: ShadowedWorkflow[] = [];
    const seen = new Set<string>();
    for (const path of await this.files()) {
      seen.add(path);
      const result = await this.load(path);
      if (result === null) continue;
      if (result.ok) workflows.push(result.stored);
      else broken.push(result.broken);
    }
    for (const { dir, origin } of await this.extensionDirs()) {
      for (const path of await extensionFiles(dir)) {
        if (seen.has(path)) continue;
        seen.add(path);
        const result = await this.loadExtension(path);
        if (result === null) continue;
        if (!result.ok) {
          broken.push({ ...result.broken, origin });
          continue;
        }
        const stored: StoredWorkflow = { ...result.stored, origin };
        const { name, id } = stored.workflow;
        const winner =
          workflows.find((w) => w.workflow.name === name || w.workflow.id === id)?.path ??
          broken.find((b) => !b.origin && (b.name === name || b.id === id))?.path;
        if (winner) shadowed.push({ workflow: stored, by: winner });
        else workflows.push(stored);
      }
    }
    return { workflows, broken, shadowed };
  }

  /** The extension directories (asked once), without the repo's own folder (a source may point at it). */
  private extensionDirs(): Promise<readonly ExtensionWorkflowDir[]> {
    return (this.extensionDirsOnce ??= (async () => {
      const dirs = (await this.opts.extensionDirs?.()) ?? [];
      return dirs.filter((d) => resolve(d.dir) !== resolve(this.opts.dir));
    })());
  }
  private extensionDirsOnce: Promise<readonly ExtensionWorkflowDir[]> | undefined;

  /**
   * Extension workflows are read-only: the error for changing one (delete, edit), null for the
   * repo's own. The file is named in the details, not the message, which the spec fixes.
   */
  readOnlyError(target: StoredWorkflow | BrokenWorkflow, action: "delete" | "edit"): SwampError | null {
    if (!target.origin) return null;
    const name = "workflow" in target ? target.workflow.name : (target.name ?? basename(target.path));
    const todo = action === "delete" ? "To remove it, delete the source file directly." : "To change it, edit the source file directly.";
    return new SwampError(ErrorCode.workflowReadOnly, `Cannot ${action} extension workflow '${shortName(name)}'. Extension workflows are read-only. ${todo}`, {
      details: { workflow: shortName(name), file: this.displayPath(target.path), origin: originText(target.origin) },
    });
  }

  /** Finds by name, then by id; null when no loadable file holds either. */
  async find(ref: string): Promise<StoredWorkflow | null> {
    // The usual case reads one file: the one named after the workflow.
    const direct = isFilenameSafe(ref) ? await this.load(join(this.opts.dir, `workflow-${ref}.yaml`)) : null;
    if (direct?.ok && direct.stored.workflow.name === ref) return direct.stored;
    const { workflows } = await this.list();
    return workflows.find((s) => s.workflow.name === ref) ?? workflows.find((s) => s.workflow.id === ref) ?? null;
  }

  /**
   * Like `find`, but a miss is an error: `workflow_load_failed` when a broken file carries the
   * name or id (or is named after it), else `workflow_not_found` with how to create it.
   */
  async require(ref: string): Promise<StoredWorkflow> {
    const found = await this.find(ref);
    if (found) return found;
    const broken = await this.brokenFor(ref);
    if (broken) throw this.loadFailed(ref, broken);
    throw new SwampError(
      ErrorCode.workflowNotFound,
      `Workflow not found: ${shortName(ref)}. Create it with 'swamp workflow create ${shortName(ref)}', ` +
        "or run 'swamp doctor workflows --json' to check for broken workflow files",
      { details: { workflow: shortName(ref) } },
    );
  }

  /** The broken file for `ref`: named after it, or claiming it as its name or id. */
  async brokenFor(ref: string): Promise<BrokenWorkflow | undefined> {
    const { broken } = await this.list();
    return broken.find((b) => basename(b.path) === `workflow-${ref}.yaml` || b.name === ref || b.id === ref);
  }

  loadFailed(ref: string, broken: BrokenWorkflow): SwampError {
    return new SwampError(
      ErrorCode.workflowLoadFailed,
      `Workflow '${shortName(ref)}' exists but failed to load: ${broken.error} (file: ${this.location(broken)})`,
      { details: { workflow: shortName(ref), file: this.displayPath(broken.path), ...(broken.line ? { line: broken.line } : {}) } },
    );
  }

  /** `workflows/workflow-x.yaml:7` (the line when known). */
  location(broken: BrokenWorkflow): string {
    return `${this.displayPath(broken.path)}${broken.line ? `:${broken.line}` : ""}`;
  }

  /** Creates the default workflow file for a new name; `already_exists` when the name is taken. */
  async create(name: string): Promise<StoredWorkflow> {
    const problem = newWorkflowNameProblem(name);
    if (problem) throw new SwampError(ErrorCode.validation, problem, { details: { name } });
    const workflow = defaultWorkflow(randomUUID(), name);
    const path = await this.claimName(workflow, undefined, () => this.save(workflow));
    return { workflow, path };
  }

  /**
   * Writes the workflow to its file (atomically). When it was read from another path (it was
   * renamed, or its file is a legacy id-named one), the new file is written, then the old one
   * removed. A name change must follow the rules for new names and not be taken.
   */
  async update(workflow: Workflow, previous: StoredWorkflow): Promise<string> {
    const readOnly = this.readOnlyError(previous, "edit");
    if (readOnly) throw readOnly;
    if (workflow.name === previous.workflow.name) return this.save(workflow, previous.path);
    const problem = newWorkflowNameProblem(workflow.name);
    if (problem) throw new SwampError(ErrorCode.validation, problem, { details: { name: workflow.name } });
    return this.claimName(workflow, previous.path, () => this.save(workflow, previous.path));
  }

  /** The file a workflow is stored in. */
  pathFor(workflow: Workflow): string {
    return join(this.opts.dir, `workflow-${isFilenameSafe(workflow.name) ? workflow.name : workflow.id}.yaml`);
  }

  private async save(workflow: Workflow, previousPath?: string): Promise<string> {
    const path = this.pathFor(workflow);
    if (path !== previousPath) {
      // Another workflow's file (even a broken one) is never overwritten.
      const occupant = await this.load(path).catch(() => null);
      const occupantId = occupant === null ? undefined : occupant.ok ? occupant.stored.workflow.id : occupant.broken.id;
      if (occupant !== null && occupantId !== workflow.id) {
        throw new SwampError(ErrorCode.alreadyExists, `Cannot save workflow '${workflow.name}': ${this.displayPath(path)} holds another workflow`, {
          details: { file: this.displayPath(path) },
        });
      }
    }
    await atomicWriteFile(path, serializeWorkflow(workflow));
    if (previousPath && previousPath !== path) await rm(previousPath, { force: true });
    return path;
  }

  private async claimName(workflow: Workflow, previousPath: string | undefined, write: () => Promise<string>): Promise<string> {
    const run = async () => {
      const { workflows, broken } = await this.list();
      const taken =
        workflows.some((s) => s.workflow.name === workflow.name && s.workflow.id !== workflow.id) ||
        broken.some((b) => b.path !== previousPath && (b.name === workflow.name || b.path === this.pathFor(workflow)));
      if (taken) throw new SwampError(ErrorCode.alreadyExists, `Workflow already exists: ${workflow.name}`, { details: { name: workflow.name } });
      return write();
    };
    return this.opts.withNameLock ? this.opts.withNameLock(workflow.name, run) : run();
  }

  private async files(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.opts.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && FILE_PATTERN.test(e.name))
      .map((e) => join(this.opts.dir, e.name))
      .sort();
  }

  /** Reads one file: loaded, broken, or null when it does not exist (any more). */
  async load(path: string): Promise<LoadResult | null> {
    const text = await this.readText(path);
    return text === null ? null : parseWorkflowText(text, path);
  }

  /** Like `load`, for an extension directory's YAML file: null when it is no workflow (no top-level `jobs`). */
  private async loadExtension(path: string): Promise<LoadResult | null> {
    const size = await stat(path).then((s) => s.size, () => null);
    if (size === null || size > EXTENSION_FILE_LIMIT_BYTES) return null;
    const text = await this.readText(path);
    return text === null || !TOP_LEVEL_JOBS.test(text) ? null : parseWorkflowText(text, path);
  }

  private async readText(path: string): Promise<string | null> {
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT" || e.code === "ENOTDIR") return null;
      const hint = e.code === "EMFILE" || e.code === "ENFILE" ? " If the open-file limit was reached, raise it with 'ulimit -n'." : "";
      throw new SwampError(ErrorCode.internal, `Failed to read workflow file ${this.displayPath(path)}: ${e.message}.${hint}`, { details: { file: path } });
    }
  }
}

/**
 * The YAML files of an extension workflow directory, up to 4 levels down, sorted; hidden and
 * `_`-prefixed entries and build folders are skipped. A missing directory has none.
 */
async function extensionFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name.startsWith("_")) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < EXTENSION_SCAN_DEPTH && !EXTENSION_SKIPPED_DIRS.has(e.name)) await walk(path, depth + 1);
      } else if ((e.isFile() || e.isSymbolicLink()) && EXTENSION_FILE_PATTERN.test(e.name)) {
        out.push(path);
      }
    }
  }
  await walk(root, 1);
  return out.sort();
}

/**
 * Parses a workflow file's text: the workflow, or what is wrong with it (YAML errors and
 * schema errors both carry the line they point at).
 */
export function parseWorkflowText(text: string, path: string): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const claimed = claimedIdentity(text);
    const reason = (yamlError.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?\s*$/, "").replace(/:\s*$/, "");
    return { ok: false, broken: { path, ...claimed, ...(yamlError.linePos ? { line: yamlError.linePos[0].line } : {}), error: `invalid YAML: ${reason}` } };
  }
  const data: unknown = doc.toJS();
  try {
    return { ok: true, stored: { workflow: parseWorkflow(data), path } };
  } catch (err) {
    const record = data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
    const line = err instanceof WorkflowSchemaError ? lineOf(doc, lines, err.path) : undefined;
    return {
      ok: false,
      broken: {
        path,
        name: typeof record.name === "string" ? record.name : null,
        id: typeof record.id === "string" ? record.id : null,
        ...(line ? { line } : {}),
        error: (err as Error).message,
      },
    };
  }
}

/** The line of the deepest YAML node on `path` that exists. */
function lineOf(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: IssuePath): number | undefined {
  for (let depth = path.length; depth >= 1; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The top-level `name:` / `id:` of a file whose YAML does not parse, read line by line. */
function claimedIdentity(text: string): { name: string | null; id: string | null } {
  const field = (key: string) => new RegExp(`^${key}:[ \\t]*["']?([^"'#\\r\\n]+?)["']?[ \\t]*(?:#.*)?$`, "m").exec(text)?.[1] ?? null;
  return { name: field("name"), id: field("id") };
}

/** The file text of a workflow: the parsed object in schema field order, defaults included. */
export function serializeWorkflow(workflow: Workflow): string {
  return toYaml(workflow);
}
