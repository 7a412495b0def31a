/**
 * Where extensions live and which files are extension entry points.
 *
 * Per kind, the directory is `SWAMP_<KIND>S_DIR`, else the marker's `<kind>sDir`, else
 * `extensions/<kind>s` (relative values resolve against the repo). It is walked recursively;
 * directories starting with `_` (helpers, e.g. `_lib/`), dot-directories and `node_modules`
 * are skipped; `.ts`, `.mts`, `.js` and `.mjs` files are candidates except `*_test.ts` and
 * declaration files. A candidate without the kind's export (`export const datastore =` …)
 * is a helper module and is skipped silently. A missing directory is fine.
 */
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { PluginKind } from "../kernel/contract/plugin.js";

export const EXTENSION_KINDS: readonly PluginKind[] = ["datastore", "model", "vault", "driver", "report"];

/** Source mounts: more directories to scan (see registry/sources.ts). */
export const SOURCES_FILE = ".swamp-sources.yaml";

const ENV_NAMES: Record<PluginKind, string> = {
  datastore: "SWAMP_DATASTORES_DIR",
  model: "SWAMP_MODELS_DIR",
  vault: "SWAMP_VAULTS_DIR",
  driver: "SWAMP_DRIVERS_DIR",
  report: "SWAMP_REPORTS_DIR",
};

const MARKER_FIELDS: Record<PluginKind, string> = {
  datastore: "datastoresDir",
  model: "modelsDir",
  vault: "vaultsDir",
  driver: "driversDir",
  report: "reportsDir",
};

/** `export const model =`, `export const extension: Foo =`, … (what marks an entry point). */
const EXPORT_PATTERNS: Record<PluginKind, RegExp> = {
  datastore: /export\s+const\s+datastore\s*[=:]/,
  model: /export\s+const\s+(?:model|extension)\s*[=:]/,
  vault: /export\s+const\s+vault\s*[=:]/,
  driver: /export\s+const\s+driver\s*[=:]/,
  report: /export\s+const\s+report\s*[=:]/,
};

export function hasKindExport(kind: PluginKind, text: string): boolean {
  return EXPORT_PATTERNS[kind].test(text);
}

const STRING_LITERAL = String.raw`(?:"([^"\n]+)"|'([^'\n]+)'|\x60([^\x60$\n]+)\x60)`;

/**
 * The type a source declares, read from its text: the first `type:` (`name:` for a report)
 * after the kind's export, as a string literal or a `const` holding one. Used only when the
 * source cannot be built, so that its type fails loudly instead of being served by another
 * plugin; undefined when the text does not say.
 */
export function declaredTypeOf(kind: PluginKind, text: string): string | undefined {
  const start = EXPORT_PATTERNS[kind].exec(text);
  if (!start) return undefined;
  const key = kind === "report" ? "name" : "type";
  const after = text.slice(start.index);
  const literal = new RegExp(`\\b${key}\\s*:\\s*${STRING_LITERAL}`).exec(after);
  const byName = new RegExp(`\\b${key}\\s*:\\s*([A-Za-z_$][\\w$]*)\\s*[,}\\n]`).exec(after);
  if (literal && (!byName || literal.index <= byName.index)) return literal[1] ?? literal[2] ?? literal[3];
  if (!byName?.[1]) return undefined;
  const constant = new RegExp(`\\bconst\\s+${byName[1].replace(/\$/g, "\\$")}\\s*(?::\\s*[\\w<>]+\\s*)?=\\s*${STRING_LITERAL}`).exec(text);
  return constant ? (constant[1] ?? constant[2] ?? constant[3]) : undefined;
}

export function extensionDirFor(kind: PluginKind, repoDir: string, marker: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env[ENV_NAMES[kind]];
  const fromMarker = marker[MARKER_FIELDS[kind]];
  const raw = fromEnv && fromEnv !== "" ? fromEnv : typeof fromMarker === "string" && fromMarker !== "" ? fromMarker : join("extensions", `${kind}s`);
  return isAbsolute(raw) ? raw : resolve(repoDir, raw);
}

const CANDIDATE = /\.(?:m?ts|m?js)$/;

function isCandidate(name: string): boolean {
  if (!CANDIDATE.test(name)) return false;
  if (name.endsWith(".d.ts") || name.endsWith(".d.mts")) return false;
  if (/_test\.m?[tj]s$/.test(name)) return false;
  return true;
}

/**
 * True when at least one kind's extension directory exists, source mounts are configured or
 * extensions were pulled: otherwise there is nothing to register.
 */
export async function anyExtensionDirectory(repoDir: string, marker: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  const found = await Promise.all([
    ...EXTENSION_KINDS.map((kind) =>
      stat(extensionDirFor(kind, repoDir, marker, env)).then(
        (s) => s.isDirectory(),
        () => false,
      ),
    ),
    stat(join(repoDir, SOURCES_FILE)).then(
      (s) => s.isFile(),
      () => false,
    ),
    stat(join(repoDir, ".swamp", "pulled-extensions")).then(
      (s) => s.isDirectory(),
      () => false,
    ),
  ]);
  return found.some(Boolean);
}

/** Candidate files under `dir`, sorted; [] when the directory does not exist. */

export async function candidateFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name.startsWith("_") || entry.name.startsWith(".") || entry.name === "node_modules") continue;
        await walk(path);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isCandidate(entry.name)) {
        out.push(path);
      }
    }
  }
  await walk(dir);
  return out.sort();
}
