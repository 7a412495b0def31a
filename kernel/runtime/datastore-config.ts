/**
 * Which datastore a command uses, in priority order: `SWAMP_DATASTORE` > `--datastore` >
 * `.swamp.yaml` > the default filesystem datastore at `<repo>/.swamp`. This step only reads
 * configuration; loading the plugin and validating its config happen in the kernel.
 */
import { isAbsolute, join, resolve } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { expandPath, type Env } from "./env-path.js";
import type { DatastoreBlock, Marker } from "./marker.js";
import { DEFAULT_DATASTORE_SUBDIRS, SWAMP_DIR } from "./paths.js";

export const FILESYSTEM_TYPE = "filesystem";

export type DatastoreSource = "env" | "flag" | "config" | "default";

export interface DatastoreSpec {
  type: string;
  source: DatastoreSource;
  /** Plugin config: `{ path }` for filesystem, the `config` object for others. */
  config: Record<string, unknown>;
  directories?: string[];
  exclude?: string[];
  hydrationStrategy?: "full" | "lazy";
}

function invalid(message: string, details?: Record<string, unknown>): SwampError {
  return new SwampError(ErrorCode.datastoreConfigInvalid, message, details ? { details } : {});
}

/** Expands and checks a configured filesystem path; `where` names its origin in errors. */
export function resolveFilesystemPath(raw: string, env: Env, where: string): string {
  const expanded = expandPath(raw, env);
  if (!isAbsolute(expanded)) {
    throw invalid(`${where}: datastore path "${raw}" must be absolute (use a full path, "~/…" or "$VAR/…")`, { path: raw });
  }
  return expanded;
}

/** Parses `<type>:<value>` as given in SWAMP_DATASTORE or `--datastore`. */
export function parseDatastoreString(value: string, env: Env, origin: "SWAMP_DATASTORE" | "--datastore"): DatastoreSpec {
  const source: DatastoreSource = origin === "SWAMP_DATASTORE" ? "env" : "flag";
  const colon = value.indexOf(":");
  if (colon <= 0) {
    throw invalid(
      `Invalid ${origin} format: "${value}". Expected "filesystem:/path/to/dir" or "@scope/type:{...}".`,
      { value },
    );
  }
  const type = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  if (type.toLowerCase() === FILESYSTEM_TYPE) {
    if (rest === "") throw invalid(`Invalid ${origin} value: "${value}" names no path. Expected "filesystem:/path/to/dir".`);
    return { type: FILESYSTEM_TYPE, source, config: { path: resolveFilesystemPath(rest, env, origin) } };
  }
  if (type.toLowerCase() === "s3") {
    const [bucket, ...prefix] = rest.split("/");
    if (!bucket) throw invalid(`Invalid ${origin} value: "${value}". Expected "s3:<bucket>[/<prefix>]".`);
    const config: Record<string, unknown> = { bucket };
    if (prefix.length > 0 && prefix.join("/") !== "") config.prefix = prefix.join("/");
    return { type: "s3", source, config };
  }
  let config: unknown = {};
  if (rest.trim() !== "") {
    try {
      config = JSON.parse(rest);
    } catch {
      throw invalid(`Invalid JSON config for datastore type "${type}": ${rest}`, { type });
    }
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw invalid(`Invalid config for datastore type "${type}": the value after ":" must be a JSON object`, { type });
  }
  return { type, source, config: config as Record<string, unknown> };
}

function fromMarker(block: DatastoreBlock, env: Env, file: string): DatastoreSpec {
  const common = {
    source: "config" as const,
    ...(block.directories ? { directories: block.directories } : {}),
    ...(block.exclude ? { exclude: block.exclude } : {}),
    ...(block.hydrationStrategy ? { hydrationStrategy: block.hydrationStrategy } : {}),
  };
  for (const dir of block.directories ?? []) {
    if (!(DEFAULT_DATASTORE_SUBDIRS as readonly string[]).includes(dir)) {
      throw new SwampError(
        ErrorCode.configInvalid,
        `${file}: datastore.directories: unknown directory "${dir}" (known: ${DEFAULT_DATASTORE_SUBDIRS.join(", ")})`,
        { details: { file, field: "datastore.directories" } },
      );
    }
  }
  if (block.type.toLowerCase() === FILESYSTEM_TYPE) {
    if (!block.path) {
      throw new SwampError(ErrorCode.configInvalid, `${file}: datastore.path: a filesystem datastore requires a 'path' field`, {
        details: { file, field: "datastore.path" },
      });
    }
    return { ...common, type: FILESYSTEM_TYPE, config: { path: resolveFilesystemPath(block.path, env, `${file}: datastore.path`) } };
  }
  if (block.type.toLowerCase() === "s3" && !block.config) {
    const config: Record<string, unknown> = {};
    for (const key of ["bucket", "prefix", "region", "endpoint", "forcePathStyle"] as const) {
      if (block[key] !== undefined && block[key] !== null) config[key] = block[key];
    }
    return { ...common, type: "s3", config };
  }
  return { ...common, type: block.type, config: block.config ?? {} };
}

export interface ResolveOptions {
  repoDir: string;
  marker: Marker;
  markerFile: string;
  env: Env;
  flag?: string | undefined;
}

export function resolveDatastoreSpec(opts: ResolveOptions): DatastoreSpec {
  const fromEnv = opts.env.SWAMP_DATASTORE;
  if (fromEnv !== undefined && fromEnv !== "") return parseDatastoreString(fromEnv, opts.env, "SWAMP_DATASTORE");
  if (opts.flag !== undefined) return parseDatastoreString(opts.flag, opts.env, "--datastore");
  if (opts.marker.datastore) return fromMarker(opts.marker.datastore, opts.env, opts.markerFile);
  return { type: FILESYSTEM_TYPE, source: "default", config: { path: join(opts.repoDir, SWAMP_DIR) } };
}

/** `$SWAMP_HOME`, else `~/.swamp`: per-user state such as remote datastore caches. */
export function swampHome(env: Env): string {
  if (env.SWAMP_HOME) return expandPath(env.SWAMP_HOME, env);
  const home = env.HOME || env.USERPROFILE;
  if (!home) throw new SwampError(ErrorCode.envVarUnset, "Cannot determine home directory: set SWAMP_HOME or HOME");
  return join(home, ".swamp");
}

export interface DatastoreDirs {
  /** Where the datastore keeps its data. */
  data: string;
  /** Local mirror of a syncing datastore. */
  cache: string;
}

/**
 * Where a datastore extension's data and cache directories are, as the host decides it: the
 * `path` and `cachePath` keys of its config when the user set them, else `<repo>/.swamp` and
 * `defaultCachePath` (`$SWAMP_HOME/repos/<repoId>`). A sandboxed extension is granted exactly
 * these; what it answers itself must agree.
 */
export function hostDatastoreDirs(config: Record<string, unknown>, repoDir: string, env: Env, defaultCachePath: string): DatastoreDirs {
  const configured = (key: "path" | "cachePath"): string | undefined => {
    const raw = config[key];
    if (raw === undefined || raw === null || raw === "") return undefined;
    if (typeof raw !== "string") throw invalid(`datastore config: ${key} must be a string`, { field: key });
    return resolve(resolveFilesystemPath(raw, env, `datastore config ${key}`));
  };
  return { data: configured("path") ?? join(repoDir, SWAMP_DIR), cache: configured("cachePath") ?? resolve(defaultCachePath) };
}
