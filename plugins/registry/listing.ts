/**
 * What `search` and `info` show about a published extension, read from npm's search objects and
 * packuments: names and versions mapped back to swamp's (names.ts), labels and content kinds
 * from the keywords push writes (`swamp-extension`, `swamp:<kind>`, `swamp-platform:<p>`, then
 * the labels).
 */
import type { Packument, PackumentVersion, SearchObject } from "./client.js";
import { fromNpmName, semVerToCalVer } from "./names.js";

export const EXTENSION_KEYWORD = "swamp-extension";
export const PLATFORM_KEYWORD_PREFIX = "swamp-platform:";

export interface ExtensionSummary {
  name: string;
  package: string;
  description: string;
  latestVersion: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  platforms: string[];
  labels: string[];
  contentTypes: string[];
}

function splitKeywords(keywords: readonly string[] | undefined): { platforms: string[]; labels: string[]; contentTypes: string[] } {
  const platforms: string[] = [];
  const labels: string[] = [];
  const contentTypes: string[] = [];
  for (const k of keywords ?? []) {
    if (k === EXTENSION_KEYWORD) continue;
    if (k.startsWith("swamp:")) contentTypes.push(`${k.slice("swamp:".length)}s`);
    else if (k.startsWith(PLATFORM_KEYWORD_PREFIX)) platforms.push(k.slice(PLATFORM_KEYWORD_PREFIX.length));
    else labels.push(k);
  }
  return { platforms, labels, contentTypes };
}

/** A search hit as an extension; null for packages that are not swamp extensions. */
export function summaryFromSearch(obj: SearchObject): ExtensionSummary | null {
  const pkg = obj.package;
  const name = fromNpmName(pkg.name);
  if (!name || !(pkg.keywords ?? []).includes(EXTENSION_KEYWORD)) return null;
  const latest = pkg["dist-tags"]?.latest ?? pkg.version;
  return {
    name,
    package: pkg.name,
    description: pkg.description ?? "",
    latestVersion: latest ? (semVerToCalVer(latest) ?? latest) : null,
    createdAt: pkg.time?.created ?? null,
    updatedAt: pkg.date ?? pkg.time?.modified ?? null,
    ...splitKeywords(pkg.keywords),
  };
}

export interface ExtensionInfo extends ExtensionSummary {
  repository: string | null;
  license: string | null;
  platforms: string[];
  dependencies: string[];
  releaseNotes: string | null;
  deprecated: string | null;
  kinds: Record<string, string[]>;
  integrity: string | null;
  tarball: string | null;
  versions: { version: string; package: string; publishedAt: string | null; deprecated?: string }[];
}

function repositoryUrl(repo: unknown): string | null {
  if (typeof repo === "string") return repo;
  if (repo && typeof repo === "object" && typeof (repo as { url?: unknown }).url === "string") return (repo as { url: string }).url;
  return null;
}

/** The packument of a swamp extension, described from its latest version. */
export function infoFromPackument(name: string, p: Packument): ExtensionInfo {
  const latestNpm = p["dist-tags"]?.latest;
  const latest: PackumentVersion | undefined = latestNpm ? p.versions[latestNpm] : undefined;
  const swamp = (latest?.swamp ?? {}) as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  const versions = Object.keys(p.versions)
    .map((v) => ({
      version: semVerToCalVer(v) ?? v,
      package: v,
      publishedAt: p.time?.[v] ?? null,
      ...(p.versions[v]?.deprecated ? { deprecated: p.versions[v]!.deprecated! } : {}),
    }))
    .sort((a, b) => (a.publishedAt ?? "").localeCompare(b.publishedAt ?? ""));
  return {
    name,
    package: p.name,
    description: (typeof swamp.description === "string" ? swamp.description : latest?.description) ?? p.description ?? "",
    latestVersion: latestNpm ? (semVerToCalVer(latestNpm) ?? latestNpm) : null,
    createdAt: p.time?.created ?? null,
    updatedAt: p.time?.modified ?? null,
    ...splitKeywords(latest?.keywords),
    repository: repositoryUrl(latest?.repository),
    license: latest?.license ?? null,
    platforms: strings(swamp.platforms),
    dependencies: strings(swamp.dependencies),
    releaseNotes: typeof swamp.releaseNotes === "string" ? swamp.releaseNotes : null,
    deprecated: latest?.deprecated ?? null,
    kinds: (swamp.kinds && typeof swamp.kinds === "object" ? swamp.kinds : {}) as Record<string, string[]>,
    integrity: latest?.dist.integrity ?? null,
    tarball: latest?.dist.tarball ?? null,
    versions,
  };
}
