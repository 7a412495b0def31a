/**
 * `manifest.yaml`: the author's description of an extension. Parsing and validation (one line
 * per failure, with a stable code), collecting the files it names, and the safety rules every
 * file must pass before it is packed.
 *
 * Where files come from:
 * - models, vaults, drivers, datastores, reports and `include`: the repo's typed directory for
 *   the kind (`paths.base: typedDir`, the default) or the manifest's directory
 *   (`paths.base: manifest`). Local relative imports of each entry point are followed and packed.
 * - workflows: the manifest's directory under `paths.base: manifest`, else the repo's workflows dir.
 * - additionalFiles and binaries: the manifest's directory, packed under `files/`.
 * Skills are not packed yet: a manifest listing any is refused rather than silently shortened.
 */
import { lstat, readFile, realpath } from "node:fs/promises";
import { dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import { extensionDirFor } from "../discover.js";
import { RegistryErrorCode } from "./errors.js";
import { CALVER_RULE, EXTENSION_NAME, isCalVer, NAME_RULE } from "./names.js";

export const CODE_KINDS = ["models", "vaults", "drivers", "datastores", "reports"] as const;
export type CodeKind = (typeof CODE_KINDS)[number];
const PLUGIN_KIND: Record<CodeKind, PluginKind> = { models: "model", vaults: "vault", drivers: "driver", datastores: "datastore", reports: "report" };

function isSafeRelative(p: string): boolean {
  if (p === "" || p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p)) return false;
  return !p.split(/[\\/]/).includes("..");
}

const SafePath = z.string().min(1).refine(isSafeRelative, { message: "must be a relative path without '..'" });
const PathList = z.array(SafePath).optional();

export const ManifestSchema = z.object({
  manifestVersion: z.literal(1, { error: "must be 1" }),
  name: z.string().max(214, "must be at most 214 characters (npm's limit)").regex(EXTENSION_NAME, NAME_RULE),
  version: z.string().refine(isCalVer, CALVER_RULE),
  description: z.string().optional(),
  repository: z.string().optional(),
  license: z.string().optional(),
  paths: z.object({ base: z.enum(["typedDir", "manifest"]).optional() }).strict().optional(),
  models: PathList,
  vaults: PathList,
  drivers: PathList,
  datastores: PathList,
  reports: PathList,
  workflows: PathList,
  skills: z.array(z.string().min(1)).optional(),
  include: PathList,
  additionalFiles: PathList,
  binaries: PathList,
  platforms: z.array(z.string().min(1)).optional(),
  labels: z.array(z.string().min(1)).max(20, "too many labels (max 20)").optional(),
  releaseNotes: z.string().max(5000).optional(),
  dependencies: z.array(z.string().refine((d) => d.includes("/"), "dependencies must include a slash (e.g. @collective/name)")).optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;

function invalid(file: string, message: string): SwampError {
  return new SwampError(RegistryErrorCode.manifestInvalid, `Invalid extension manifest ${file}: ${message}`, { details: { manifest: file } });
}

/** Parses manifest text; every schema issue is reported on the one line. */
export function parseManifest(text: string, file: string): Manifest {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw invalid(file, `not valid YAML (${(err as Error).message.split("\n")[0]})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw invalid(file, "must be a YAML mapping");
  if (!("manifestVersion" in doc)) throw invalid(file, "missing 'manifestVersion'; add 'manifestVersion: 1'");
  const parsed = ManifestSchema.safeParse(doc);
  if (!parsed.success) {
    throw invalid(file, parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  }
  const m = parsed.data;
  if (![...CODE_KINDS, "workflows", "skills"].some((k) => ((m as Record<string, unknown>)[k] as unknown[] | undefined)?.length)) {
    throw invalid(file, "must include at least one model, workflow, vault, driver, datastore, report, or skill");
  }
  if (m.skills?.length) throw invalid(file, "skills cannot be packed by this version of swamp yet; remove 'skills'");
  return m;
}

export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new SwampError(RegistryErrorCode.manifestNotFound, `Manifest file not found: ${path}`, { details: { manifest: path } });
    }
    throw err;
  }
  if (/\.[mc]?[jt]s$/.test(path)) throw invalid(path, "this is a source file; pass the extension's manifest.yaml");
  return parseManifest(text, path);
}

/** One file of the package: where it is read from and its path inside `package/`. */
export interface PackFile {
  archivePath: string;
  source: string;
  size: number;
  /** Binaries are exempt from the extension allowlist and content scan. */
  binary: boolean;
}

export interface CollectOptions {
  manifestPath: string;
  repoDir: string;
  marker: Record<string, unknown>;
  env: Readonly<Record<string, string | undefined>>;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

/** Collects every file the manifest names (and the local imports of code entries). */
export async function collectFiles(manifest: Manifest, opts: CollectOptions): Promise<PackFile[]> {
  const manifestDir = dirname(resolve(opts.manifestPath));
  const byManifest = manifest.paths?.base === "manifest";
  const files = new Map<string, PackFile>();

  const add = async (field: string, ref: string, base: string, archivePath: string, binary = false) => {
    if (!isSafeRelative(ref)) throw unsafe(field, ref, "is absolute or contains '..'");
    const abs = resolve(base, ref);
    const stat = await lstat(abs).catch(() => null);
    if (!stat) throw new SwampError(RegistryErrorCode.manifestFileMissing, `${field} file not found: ${ref} (expected at ${abs})`, { details: { field, ref, path: abs } });
    if (stat.isSymbolicLink()) {
      const target = await realpath(abs).catch(() => null);
      const realBase = await realpath(base).catch(() => base);
      if (!target || !inside(realBase, target)) throw unsafe(field, ref, "is a symlink that points outside its directory");
      throw new SwampError(RegistryErrorCode.extensionUnsafe, `${field} file ${ref} is a symlink; copy the target file into the extension tree instead`, { details: { field, ref } });
    }
    if (!stat.isFile()) throw new SwampError(RegistryErrorCode.manifestFileMissing, `${field} entry ${ref} is not a file (at ${abs})`, { details: { field, ref, path: abs } });
    const key = archivePath.normalize("NFC").toLowerCase();
    const existing = files.get(key);
    if (existing && existing.source !== abs) {
      throw invalid(opts.manifestPath, `${archivePath} is listed twice (as ${relative(manifestDir, existing.source)} and ${ref})`);
    }
    files.set(key, { archivePath, source: abs, size: stat.size, binary });
  };

  for (const kind of CODE_KINDS) {
    const base = byManifest ? manifestDir : extensionDirFor(PLUGIN_KIND[kind], opts.repoDir, opts.marker, opts.env);
    const label = kind.slice(0, -1).replace(/^./, (c) => c.toUpperCase());
    const queue = [...(manifest[kind] ?? [])];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const ref = queue.shift()!.replace(/\\/g, "/");
      if (seen.has(ref)) continue;
      seen.add(ref);
      await add(label, ref, base, `${kind}/${ref}`);
      for (const imported of localImports(await readFile(resolve(base, ref), "utf8"))) {
        const next = relative(base, await importTarget(resolve(base, dirname(ref), imported))).split(sep).join("/");
        if (!isSafeRelative(next)) throw unsafe(label, `${ref} imports ${imported}`, `which is outside ${base}`);
        queue.push(next);
      }
    }
  }
  const modelsBase = byManifest ? manifestDir : extensionDirFor("model", opts.repoDir, opts.marker, opts.env);
  for (const ref of manifest.include ?? []) await add("Include", ref, modelsBase, `models/${ref}`);
  const workflowsBase = byManifest ? manifestDir : resolveRepoDir(opts, "workflowsDir", "SWAMP_WORKFLOWS_DIR", "workflows");
  for (const ref of manifest.workflows ?? []) await add("Workflow", ref, workflowsBase, `workflows/${ref}`);
  const listed = new Set<string>();
  for (const [field, list, binary] of [["additionalFiles", manifest.additionalFiles, false], ["binaries", manifest.binaries, true]] as const) {
    for (const ref of list ?? []) {
      const key = ref.normalize("NFC").toLowerCase();
      if (listed.has(key)) throw invalid(opts.manifestPath, `${ref} is listed more than once in additionalFiles/binaries`);
      listed.add(key);
      await add(field, ref, manifestDir, `files/${ref}`, binary);
    }
  }
  return [...files.values()].sort((a, b) => (a.archivePath < b.archivePath ? -1 : a.archivePath > b.archivePath ? 1 : 0));
}

function resolveRepoDir(opts: CollectOptions, markerKey: string, envKey: string, fallback: string): string {
  const raw = opts.env[envKey] || (typeof opts.marker[markerKey] === "string" ? (opts.marker[markerKey] as string) : "") || fallback;
  return isAbsolute(raw) ? raw : resolve(opts.repoDir, raw);
}

/** The file an import names: as written, else `.js` written for a `.ts` source, else with `.ts` added. */
async function importTarget(path: string): Promise<string> {
  const candidates = [path, ...(path.endsWith(".js") ? [`${path.slice(0, -3)}.ts`] : []), `${path}.ts`];
  for (const candidate of candidates) if (await lstat(candidate).then(() => true, () => false)) return candidate;
  return path;
}

function localImports(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1]!);
}

function inside(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function unsafe(field: string, ref: string, why: string): SwampError {
  return new SwampError(RegistryErrorCode.manifestPathUnsafe, `Manifest field '${field}' path ${ref} ${why}`, { details: { field, ref } });
}

// Safety rules (§7 of the distribution spec): limits, then per-file checks.
export const MAX_FILES = 150;
export const MAX_FILE_BYTES = 1_000_000;
export const MAX_TOTAL_BYTES = 10_000_000;
const ALLOWED_EXTENSIONS = new Set([".ts", ".json", ".md", ".yaml", ".yml", ".txt"]);
const LEGAL_NAMES = new Set(["AUTHORS", "CONTRIBUTORS", "COPYING", "COPYING-EXCEPTION", "LICENSE", "NOTICE", "PATENTS"]);
const DOC_IPV4 = [/^192\.0\.2\./, /^198\.51\.100\./, /^203\.0\.113\./, /^127\./, /^0\.0\.0\.0$/, /^169\.254\./];

/** Checks every file; throws on the first error, returns the warnings. */
export async function checkSafety(files: readonly PackFile[]): Promise<string[]> {
  if (files.length > MAX_FILES) {
    throw new SwampError(ErrorCode.inputTooLarge, `The extension has ${files.length} files; at most ${MAX_FILES} are allowed`, { details: { files: files.length } });
  }
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > MAX_TOTAL_BYTES) {
    throw new SwampError(ErrorCode.inputTooLarge, `The extension's files total ${total} bytes; at most ${MAX_TOTAL_BYTES} are allowed`, { details: { bytes: total } });
  }
  const warnings: string[] = [];
  for (const f of files) {
    const refuse = (why: string) => new SwampError(RegistryErrorCode.extensionUnsafe, `${f.archivePath}: ${why}`, { details: { file: f.archivePath } });
    if (f.size > MAX_FILE_BYTES) {
      throw new SwampError(ErrorCode.inputTooLarge, `${f.archivePath} is ${f.size} bytes; at most ${MAX_FILE_BYTES} are allowed per file`, { details: { file: f.archivePath } });
    }
    const base = f.archivePath.split("/").pop()!;
    if (f.archivePath.split("/").some((s) => s.startsWith("."))) throw refuse("hidden files are not packed");
    if (f.binary) continue;
    if (!ALLOWED_EXTENSIONS.has(extname(base)) && !LEGAL_NAMES.has(base)) {
      throw refuse(`files ending in '${extname(base) || "(no extension)"}' are not allowed; list executables under 'binaries'`);
    }
    const text = await readFile(f.source, "utf8");
    if (base.endsWith(".ts")) {
      if (text.includes("eval(") || text.includes("new Function(")) throw refuse("uses eval( or new Function(");
      if (text.split("\n").some((l) => l.replace(/\s/g, "").length > 500)) warnings.push(`${f.archivePath}: a line longer than 500 characters`);
      if (/[A-Za-z0-9+/=]{100,}/.test(text)) warnings.push(`${f.archivePath}: looks like it embeds base64 data`);
      if (text.includes("Deno.Command(")) warnings.push(`${f.archivePath}: runs subprocesses (Deno.Command)`);
    } else if (base.endsWith(".md") || base.endsWith(".txt")) {
      const ips = (text.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? []).filter((ip) => !DOC_IPV4.some((r) => r.test(ip)));
      if (ips.length > 0) warnings.push(`${f.archivePath}: mentions IP address ${ips[0]}`);
    }
  }
  return warnings;
}

