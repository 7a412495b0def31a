/**
 * A tiny npm-protocol registry on loopback, for tests that install packages without the
 * public registry: packuments (`GET /<name>`, scoped names as `@scope%2fname`) and tarballs
 * (`GET /-/<file>.tgz`) made with `npm pack` from fixture directories. Point npm at it with
 * the `npm_config_registry` environment variable (`registry.env`).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface FixturePackage {
  name: string;
  version: string;
  /** Files of the package besides package.json (relative path → content). */
  files: Record<string, string>;
  /** Extra package.json fields (main, type, exports, dependencies, …). */
  manifest?: Record<string, unknown>;
}

export interface NpmRegistry {
  url: string;
  /** Environment that points npm at this registry (and keeps npm quiet and local). */
  env: Record<string, string>;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

interface Published {
  manifest: Record<string, unknown>;
  tarball: Buffer;
  file: string;
}

async function pack(pkg: FixturePackage, work: string): Promise<Published> {
  const dir = join(work, "src", `${pkg.name.replace("/", "__")}@${pkg.version}`);
  const manifest = { name: pkg.name, version: pkg.version, ...pkg.manifest };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  for (const [rel, text] of Object.entries(pkg.files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  const out = join(work, "tarballs");
  await mkdir(out, { recursive: true });
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  const file = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename.replace(/^@[^/]+\//, "").replace("/", "-");
  return { manifest, tarball: await readFile(join(out, file)), file };
}

/** Packs every fixture and serves them until `close()`. */
export async function startNpmRegistry(packages: readonly FixturePackage[]): Promise<NpmRegistry> {
  const work = await mkdtemp(join(tmpdir(), "swamp-npm-registry-"));
  const published = await Promise.all(packages.map((p) => pack(p, work)));
  const requests: string[] = [];
  let base = "";
  const tarballs = new Map(published.map((p) => [p.file, p.tarball]));
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    requests.push(path);
    const tgz = path.startsWith("/-/") ? tarballs.get(path.slice(3)) : undefined;
    if (tgz) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tgz.length });
      res.end(tgz);
      return;
    }
    const name = path.slice(1);
    const versions = published.filter((p) => p.manifest.name === name);
    if (versions.length === 0) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "Not found" }));
      return;
    }
    const latest = [...versions].sort((a, b) => String(a.manifest.version).localeCompare(String(b.manifest.version), undefined, { numeric: true })).at(-1)!;
    const packument = {
      name,
      "dist-tags": { latest: latest.manifest.version },
      versions: Object.fromEntries(
        versions.map((p) => [
          p.manifest.version,
          {
            ...p.manifest,
            dist: {
              tarball: `${base}/-/${p.file}`,
              shasum: createHash("sha1").update(p.tarball).digest("hex"),
              integrity: `sha512-${createHash("sha512").update(p.tarball).digest("base64")}`,
            },
          },
        ]),
      ),
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    env: registryEnv(base, work),
    requests,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** npm settings for a test: this registry, a private npm cache, no update checks. */
export function registryEnv(url: string, work: string): Record<string, string> {
  return {
    npm_config_registry: `${url}/`,
    npm_config_cache: join(work, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_fetch_retries: "0",
    npm_config_offline: "false",
  };
}
