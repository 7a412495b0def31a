/**
 * The one path policy for every directory a datastore may use (its data and cache
 * directories), built-in or extension.
 *
 * Two levels of trust:
 *  - "extension": what a sandboxed extension is granted. Only swamp's own folders inside the
 *    repo and the home directory (`<repo>/.swamp`, `$SWAMP_HOME/repos/<id>`) or a path outside
 *    both.
 *  - "user": a path the user configured for a datastore running in the CLI's own process (the
 *    filesystem datastore, or an extension in worker isolation). Also allowed: other folders
 *    of the repo outside its source tree, and non-hidden folders of the home directory.
 *
 * At both levels: never the filesystem root or a system directory (/proc, /sys, /dev, /etc, …),
 * never the repo's source tree (models/, workflows/, extensions/, vaults/, .git/, .swamp.yaml,
 * the repo root), never `.swamp/secrets` or the extension bundles, never a path that contains
 * the repo, the home directory or swamp's home. Paths are judged both as written and with
 * symlinks resolved; either refusal refuses.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { swampHome } from "./datastore-config.js";
import { homeDir, type Env } from "./env-path.js";
import { ALWAYS_LOCAL_SUBDIRS, SWAMP_DIR } from "./paths.js";

export type PathTrust = "user" | "extension";

export interface PathAnchors {
  repoDir: string;
  /** The user's home directory (unset: no home rules). */
  home?: string | undefined;
  /** `$SWAMP_HOME` (default `~/.swamp`). */
  swampHome?: string | undefined;
}

export type PathVerdict = { ok: true } | { ok: false; reason: string };

/** Directories no datastore may live in (Linux, plus macOS's real /etc and /var/run). */
export const SYSTEM_DIRS = ["/proc", "/sys", "/dev", "/etc", "/boot", "/run", "/var/run", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/private/etc", "/private/var/run"];

/** Entries of a repo that are its source (never a datastore's to write). */
export const REPO_SOURCE_ENTRIES = ["models", "workflows", "extensions", "vaults", ".git", ".swamp.yaml"];

/** Relative path of `child` below `parent`, or null when it is not inside (or is `parent`). */
function below(parent: string, child: string): string | null {
  const rel = relative(parent, child);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return null;
  return rel;
}

const within = (parent: string, child: string) => child === parent || below(parent, child) !== null;

/** The policy on one absolute, normalized path against anchors of the same form. */
export function judgePath(path: string, anchors: PathAnchors, trust: PathTrust): PathVerdict {
  const refuse = (reason: string): PathVerdict => ({ ok: false, reason });
  if (!isAbsolute(path)) return refuse("is not an absolute path");
  const p = resolve(path);
  if (dirname(p) === p) return refuse("is the filesystem root");
  const system = SYSTEM_DIRS.find((d) => within(d, p));
  if (system) return refuse(`is a system directory (${system})`);

  const repo = resolve(anchors.repoDir);
  const home = anchors.home ? resolve(anchors.home) : undefined;
  const swampHome = anchors.swampHome ? resolve(anchors.swampHome) : undefined;
  if (p === repo) return refuse("is the repository root");
  if (within(p, repo)) return refuse("contains the repository");
  if (home && within(p, home)) return refuse(p === home ? "is the home directory" : "contains the home directory");
  if (swampHome && within(p, swampHome)) return refuse(p === swampHome ? "is swamp's home folder ($SWAMP_HOME)" : "contains swamp's home folder ($SWAMP_HOME)");

  const inRepo = below(repo, p);
  if (inRepo !== null) {
    const [first, second] = inRepo.split(sep);
    if (first === SWAMP_DIR) {
      if (second === "secrets") return refuse("is inside the repository's secrets (.swamp/secrets)");
      if (second && (ALWAYS_LOCAL_SUBDIRS as readonly string[]).includes(second)) return refuse(`holds swamp's extension bundles (.swamp/${second})`);
      return { ok: true };
    }
    if (first && REPO_SOURCE_ENTRIES.includes(first)) return refuse(`is inside the repository's source tree (${first})`);
    return trust === "user" ? { ok: true } : refuse("is inside the repository outside its .swamp folder");
  }

  if (swampHome && within(swampHome, p)) {
    if (trust === "user") return { ok: true };
    const rel = below(join(swampHome, "repos"), p);
    return rel !== null ? { ok: true } : refuse("is inside swamp's home folder but not a repository cache ($SWAMP_HOME/repos/<id>)");
  }

  const inHome = home ? below(home, p) : null;
  if (inHome !== null) {
    if (trust === "extension") return refuse("is inside the home directory outside swamp's own folders");
    const first = inHome.split(sep)[0] ?? "";
    if (first.startsWith(".")) return refuse(`is inside a hidden folder of the home directory (~/${first})`);
  }
  return { ok: true };
}

/**
 * The path with symlinks resolved; for a path that does not exist yet, the nearest existing
 * ancestor is resolved and the rest appended.
 */
export function realPathOf(path: string): string {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      missing.push(basename(current));
      current = parent;
    }
  }
}

/** Judges `path` as written and with symlinks resolved (against resolved anchors). */
export function checkPath(path: string, anchors: PathAnchors, trust: PathTrust): PathVerdict {
  const lexical = judgePath(path, anchors, trust);
  if (!lexical.ok || !isAbsolute(path)) return lexical;
  const real = realPathOf(path);
  const realAnchors: PathAnchors = {
    repoDir: realPathOf(anchors.repoDir),
    home: anchors.home ? realPathOf(anchors.home) : undefined,
    swampHome: anchors.swampHome ? realPathOf(anchors.swampHome) : undefined,
  };
  const verdict = judgePath(real, realAnchors, trust);
  if (verdict.ok || real === resolve(path)) return verdict;
  return { ok: false, reason: `resolves to ${real}, which ${verdict.reason}` };
}

/** The anchors of a repo under an environment. */
export function pathAnchors(repoDir: string, env: Env): PathAnchors {
  let swamp: string | undefined;
  try {
    swamp = swampHome(env);
  } catch {
    swamp = undefined;
  }
  return { repoDir, home: homeDir(env), swampHome: swamp };
}

/**
 * Throws `datastore_path_refused` unless the policy allows `path`. `what` names the path in
 * the message (e.g. "The datastore path").
 */
export function requireDatastorePath(path: string, anchors: PathAnchors, trust: PathTrust, what: string): void {
  const verdict = checkPath(path, anchors, trust);
  if (verdict.ok) return;
  throw new SwampError(ErrorCode.datastorePathRefused, `${what} ${path} ${verdict.reason}; refusing to use it`, {
    details: { path, reason: verdict.reason },
  });
}
