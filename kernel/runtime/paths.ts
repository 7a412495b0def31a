/**
 * Where each runtime subdirectory lives. Datastore-tier subdirectories (data, outputs, …) go to
 * the configured datastore; the rest (secrets, bundles, indexes) always stay in the repo's own
 * `.swamp/`. `exclude` patterns keep matching datastore paths local.
 */
import { join } from "node:path";
import { ExcludeMatcher } from "./exclude.js";

export const SWAMP_DIR = ".swamp";

/** The datastore tier when `directories` is not configured. */
export const DEFAULT_DATASTORE_SUBDIRS = [
  "auto-definitions",
  "definitions-evaluated",
  "workflows-evaluated",
  "data",
  "outputs",
  "workflow-runs",
  "audit",
  "telemetry",
  "logs",
  "files",
] as const;

/** Never routed to a datastore, even when listed: moving them broke vaults and shadowed bundles. */
export const ALWAYS_LOCAL_SUBDIRS = [
  "secrets",
  "bundles",
  "vault-bundles",
  "driver-bundles",
  "report-bundles",
  "datastore-bundles",
] as const;

const ALWAYS_LOCAL = new Set<string>(ALWAYS_LOCAL_SUBDIRS);

export function effectiveDirectories(configured: readonly string[] | undefined): string[] {
  const list = configured ?? DEFAULT_DATASTORE_SUBDIRS;
  return [...new Set(list)].filter((d) => !ALWAYS_LOCAL.has(d));
}

export class RepoPaths {
  readonly repoDir: string;
  /** Root of the datastore tier on local disk: the datastore path, or a remote datastore's cache. */
  readonly datastoreBase: string;
  readonly directories: readonly string[];
  private readonly dirSet: Set<string>;
  private readonly exclude: ExcludeMatcher;

  constructor(repoDir: string, datastoreBase: string, directories: readonly string[], exclude: readonly string[] = []) {
    this.repoDir = repoDir;
    this.datastoreBase = datastoreBase;
    this.directories = directories;
    this.dirSet = new Set(directories);
    this.exclude = new ExcludeMatcher(exclude);
  }

  /** `<repo>/.swamp/...` — never in the datastore. */
  local(...parts: string[]): string {
    return join(this.repoDir, SWAMP_DIR, ...parts);
  }

  /** `<datastore base>/...` */
  datastore(...parts: string[]): string {
    return join(this.datastoreBase, ...parts);
  }

  /** Routes a runtime path to the datastore or the local tier. */
  resolve(subdir: string, ...rest: string[]): string {
    if (!this.dirSet.has(subdir)) return this.local(subdir, ...rest);
    if (!this.exclude.empty && this.exclude.matches([subdir, ...rest].join("/"))) return this.local(subdir, ...rest);
    return this.datastore(subdir, ...rest);
  }
}
