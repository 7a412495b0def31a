/**
 * Packing an extension as an npm package: `package/package.json` (generated from the manifest),
 * `package/manifest.yaml` (the author's bytes, unchanged) and the collected files under
 * `package/<kind>/…` and `package/files/…`. The tarball is reproducible: files in sorted order,
 * a fixed mtime, no owner names.
 *
 * The generated package.json has no `scripts` (nothing may run on install) and no
 * `dependencies` (extension-to-extension dependencies stay in `swamp.dependencies`, so an npm
 * client never installs them by itself).
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { importLib } from "../../kernel/contract/import-module.js";
import { integrityOf } from "./client.js";
import { EXTENSION_KEYWORD, PLATFORM_KEYWORD_PREFIX } from "./listing.js";
import { CODE_KINDS, type Manifest, type PackFile } from "./manifest.js";
import { calVerToSemVer, toNpmName } from "./names.js";
import { createHash } from "node:crypto";

/** npm pack's fixed timestamp, so the same inputs give the same bytes. */
const FIXED_MTIME = new Date("1985-10-26T08:15:00.000Z");

export interface PackedExtension {
  name: string;
  version: string;
  npmName: string;
  npmVersion: string;
  packageJson: Record<string, unknown>;
  tarball: Buffer;
  integrity: string;
  shasum: string;
  /** Every path inside the tarball (without the `package/` prefix), sorted. */
  files: { path: string; size: number }[];
  unpackedSize: number;
}

/** `swamp-extension`, one `swamp:<kind>` per kind present, one `swamp-platform:<p>` per platform, then the labels (search filters on them). */
export function keywordsFor(manifest: Manifest): string[] {
  const kinds = [...CODE_KINDS, "workflows" as const].filter((k) => (manifest[k]?.length ?? 0) > 0).map((k) => `swamp:${k.replace(/s$/, "")}`);
  const platforms = (manifest.platforms ?? []).map((p) => `${PLATFORM_KEYWORD_PREFIX}${p}`);
  return [...new Set([EXTENSION_KEYWORD, ...kinds, ...platforms, ...(manifest.labels ?? [])])];
}

export function packageJsonFor(manifest: Manifest): Record<string, unknown> {
  const kinds: Record<string, string[]> = {};
  for (const k of [...CODE_KINDS, "workflows"] as const) if (manifest[k]?.length) kinds[k] = manifest[k]!;
  return {
    name: toNpmName(manifest.name),
    version: calVerToSemVer(manifest.version),
    description: (manifest.description ?? "").split("\n")[0]?.trim() ?? "",
    keywords: keywordsFor(manifest),
    ...(manifest.license ? { license: manifest.license } : {}),
    ...(manifest.repository ? { repository: { type: "git", url: manifest.repository } } : {}),
    swamp: {
      manifestVersion: 1,
      name: manifest.name,
      version: manifest.version,
      kinds,
      ...(manifest.description ? { description: manifest.description } : {}),
      labels: manifest.labels ?? [],
      platforms: manifest.platforms ?? [],
      dependencies: manifest.dependencies ?? [],
      ...(manifest.releaseNotes ? { releaseNotes: manifest.releaseNotes } : {}),
    },
  };
}

export async function packExtension(manifest: Manifest, manifestPath: string, collected: readonly PackFile[]): Promise<PackedExtension> {
  const packageJson = packageJsonFor(manifest);
  const stage = await mkdtemp(join(tmpdir(), "swamp-pack-"));
  try {
    const root = join(stage, "package");
    const entries: { path: string; size: number }[] = [];
    const put = async (rel: string, write: (dest: string) => Promise<void>, mode: number) => {
      const dest = join(root, rel);
      await mkdir(dirname(dest), { recursive: true });
      await write(dest);
      await chmod(dest, mode);
    };
    const pkgText = `${JSON.stringify(packageJson, null, 2)}\n`;
    await put("package.json", (d) => writeFile(d, pkgText), 0o644);
    entries.push({ path: "package.json", size: Buffer.byteLength(pkgText) });
    const manifestBytes = await readFile(manifestPath);
    await put("manifest.yaml", (d) => writeFile(d, manifestBytes), 0o644);
    entries.push({ path: "manifest.yaml", size: manifestBytes.length });
    for (const f of collected) {
      await put(f.archivePath, (d) => copyFile(f.source, d), f.binary ? 0o755 : 0o644);
      entries.push({ path: f.archivePath, size: f.size });
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const chunks: Buffer[] = [];
    const { create: createTar } = await importLib<typeof import("tar")>("tar");
    const stream = createTar({ cwd: stage, gzip: true, portable: true, mtime: FIXED_MTIME }, entries.map((e) => `package/${e.path}`));
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const tarball = Buffer.concat(chunks);
    return {
      name: manifest.name,
      version: manifest.version,
      npmName: packageJson.name as string,
      npmVersion: packageJson.version as string,
      packageJson,
      tarball,
      integrity: integrityOf(tarball),
      shasum: createHash("sha1").update(tarball).digest("hex"),
      files: entries,
      unpackedSize: entries.reduce((n, e) => n + e.size, 0),
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** The document `npm publish` PUTs: the new version's package.json with `dist`, and the tarball attached. */
export function publishDocument(packed: PackedExtension, registryUrl: string): Record<string, unknown> {
  const { npmName, npmVersion } = packed;
  const file = `${npmName.split("/").pop()}-${npmVersion}.tgz`;
  return {
    _id: npmName,
    name: npmName,
    description: packed.packageJson.description,
    "dist-tags": { latest: npmVersion },
    versions: {
      [npmVersion]: {
        ...packed.packageJson,
        _id: `${npmName}@${npmVersion}`,
        dist: {
          integrity: packed.integrity,
          shasum: packed.shasum,
          tarball: `${registryUrl}${npmName}/-/${file}`,
          fileCount: packed.files.length,
          unpackedSize: packed.unpackedSize,
        },
      },
    },
    access: null,
    _attachments: {
      [`${npmName}-${npmVersion}.tgz`]: { content_type: "application/octet-stream", data: packed.tarball.toString("base64"), length: packed.tarball.length },
    },
  };
}
