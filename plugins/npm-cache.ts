/**
 * The repo's dependency cache for `npm:` specifiers: `<repo>/.swamp/deps/`, shared by every
 * extension of the repo. Each `npm:name@range` is installed once with the npm CLI and pinned:
 *
 *   .swamp/deps/index.json     { pins: { "name@range": "1.2.3" }, packages: { "name@1.2.3": "<dir>" } }
 *   .swamp/deps/g-<id>/        one npm install (package.json + node_modules/); each requested
 *                              package sits under an alias (node_modules/dep-<hash>/)
 *
 * All missing specifiers of a build go into one `npm install` in a temporary directory that is
 * renamed into place when complete, under a lock file, so concurrent swamp processes never see
 * (or make) a half-installed cache; the index is replaced atomically.
 *
 * A request for an exact version that swamp itself ships (its own node_modules holds that
 * package at exactly that version, e.g. `npm:@aws-sdk/client-s3@<swamp's version>`) is served
 * from there: nothing is downloaded, and the version is still exactly the one asked for.
 */
import { spawn } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { retry, TryAgain } from "../kernel/contract/retry.js";
import { atomicWriteFile } from "../kernel/runtime/atomic-write.js";
import { SWAMP_DIR } from "../kernel/runtime/paths.js";
import { swampRoot } from "./host-modules.js";

export interface NpmRequest {
  name: string;
  /** The version or range after `@` ("" when none: the latest, pinned on first install). */
  range: string;
}

export interface CachedPackage {
  name: string;
  version: string;
  /** Absolute directory of the installed package. */
  dir: string;
  /** The directory npm installed into (its node_modules holds the package's dependencies). */
  root: string;
  /** The name to resolve from `root` (an alias in the cache, the real name in swamp's own). */
  specifier: string;
}

interface Index {
  pins: Record<string, string>;
  packages: Record<string, string>;
}

export class NpmInstallError extends Error {}

const NPM = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]*))?(\/.*)?$/;

/** `npm:name@range/sub` → its parts, or null. */
export function parseNpmSpecifier(spec: string): (NpmRequest & { sub: string }) | null {
  const m = NPM.exec(spec);
  return m ? { name: m[1]!, range: m[2] ?? "", sub: m[3] ?? "" } : null;
}

export function depsDir(repoDir: string): string {
  return join(repoDir, SWAMP_DIR, "deps");
}

const keyOf = (r: NpmRequest): string => (r.range ? `${r.name}@${r.range}` : r.name);
const aliasOf = (r: NpmRequest): string => `dep-${createHash("sha256").update(keyOf(r)).digest("hex").slice(0, 16)}`;

async function readIndex(dir: string): Promise<Index> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as Partial<Index>;
    return { pins: parsed.pins ?? {}, packages: parsed.packages ?? {} };
  } catch {
    return { pins: {}, packages: {} };
  }
}

function found(dir: string, index: Index, r: NpmRequest): CachedPackage | null {
  const version = index.pins[keyOf(r)];
  const rel = version ? index.packages[`${r.name}@${version}`] : undefined;
  if (!version || !rel) return null;
  const [gen] = rel.split("/");
  return { name: r.name, version, dir: join(dir, rel), root: join(dir, gen!), specifier: aliasOf(r) };
}

/** An exact version: `1.2.3`, `=1.2.3`, `v1.2.3`, with an optional prerelease or build tag. */
const EXACT = /^[=v]*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/** The package as swamp itself ships it, when that is exactly the version asked for. */
async function shippedBySwamp(r: NpmRequest): Promise<CachedPackage | null> {
  const exact = EXACT.exec(r.range.trim())?.[1];
  if (!exact) return null;
  const root = swampRoot();
  const dir = join(root, "node_modules", ...r.name.split("/"));
  try {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
    if (pkg.name !== r.name || pkg.version !== exact) return null;
  } catch {
    return null;
  }
  return { name: r.name, version: exact, dir, root, specifier: r.name };
}

/** swamp's own node_modules directory (where `shippedBySwamp` packages live). */
export function swampNodeModules(): string {
  return join(swampRoot(), "node_modules");
}

/** The cached package for a request, or null when it has not been installed yet. */
export async function lookupCached(repoDir: string, request: NpmRequest): Promise<CachedPackage | null> {
  const shipped = await shippedBySwamp(request);
  if (shipped) return shipped;
  const dir = depsDir(repoDir);
  const hit = found(dir, await readIndex(dir), request);
  if (!hit) return null;
  return (await stat(join(hit.dir, "package.json")).catch(() => null)) ? hit : null;
}

/** Holds `<dir>/.install.lock` while `fn` runs; a lock whose holder process is gone is taken over. */
async function withInstallLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, ".install.lock");
  const deadline = Date.now() + 10 * 60_000;
  await retry(
    async () => {
      try {
        const handle = await open(lock, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const holder = Number.parseInt(await readFile(lock, "utf8").catch(() => ""), 10);
        let alive = true;
        try {
          if (Number.isInteger(holder) && holder > 0) process.kill(holder, 0);
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === "EPERM";
        }
        if (alive) throw new TryAgain();
        await unlink(lock).catch(() => {});
        throw new TryAgain(undefined, { delayMs: 0 });
      }
    },
    {
      baseMs: 100,
      factor: 1,
      jitter: "none",
      remainingMs: () => deadline - Date.now(),
      giveUp: () => new NpmInstallError(`another swamp process has been installing npm packages into ${dir} for too long (lock ${lock})`),
    },
  );
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}

function runNpm(cwd: string, env: Readonly<Record<string, string | undefined>>): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun) => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const args = ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", "--no-update-notifier"];
    const child = spawn(npm, args, { cwd, env: { ...env, npm_config_package_lock: "false" } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", (err) => resolveRun({ code: -1, output: `cannot run npm: ${err.message}` }));
    child.on("close", (code) => resolveRun({ code: code ?? -1, output }));
  });
}

/** The last meaningful lines npm printed (its `npm error` lines), for a one-paragraph message. */
function npmReason(output: string): string {
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^npm (?:error|ERR!)/.test(l)).map((l) => l.replace(/^npm (?:error|ERR!)\s*/, ""));
  const picked = (errors.length > 0 ? errors : lines).filter((l) => !/^(?:A complete log|$)/.test(l)).slice(0, 3);
  return picked.join("; ") || "npm failed without a message";
}

/**
 * Makes sure every request is in the cache, installing the missing ones in one npm run.
 * Throws NpmInstallError naming every package it could not install.
 */
export async function ensureInstalled(repoDir: string, requests: readonly NpmRequest[], env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const dir = depsDir(repoDir);
  const unique = [...new Map(requests.map((r) => [keyOf(r), r])).values()];
  const missing = async (): Promise<NpmRequest[]> => {
    const out: NpmRequest[] = [];
    for (const r of unique) if (!(await lookupCached(repoDir, r))) out.push(r);
    return out;
  };
  if ((await missing()).length === 0) return;
  await mkdir(dir, { recursive: true });
  await withInstallLock(dir, async () => {
    const todo = await missing(); // another process may have installed them meanwhile
    if (todo.length === 0) return;
    const names = todo.map((r) => `npm:${keyOf(r)}`).join(", ");
    const tty = process.stderr.isTTY === true;
    if (tty) process.stderr.write(`Installing npm packages for extensions: ${names} …`);
    const gen = `g-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const tmp = join(dir, `.tmp-${gen}`);
    try {
      await mkdir(tmp, { recursive: true });
      const dependencies = Object.fromEntries(todo.map((r) => [aliasOf(r), `npm:${r.name}@${r.range || "latest"}`]));
      await atomicWriteFile(join(tmp, "package.json"), JSON.stringify({ name: "swamp-extension-deps", private: true, dependencies }, null, 2), { durable: false });
      const run = await runNpm(tmp, env);
      if (run.code !== 0) throw new NpmInstallError(`could not install the npm packages ${names} into ${dir}: ${npmReason(run.output)}`);
      const versions = new Map<NpmRequest, string>();
      for (const r of todo) {
        const pkg = JSON.parse(await readFile(join(tmp, "node_modules", aliasOf(r), "package.json"), "utf8")) as { version?: string };
        if (!pkg.version) throw new NpmInstallError(`npm installed ${r.name} without a version in its package.json`);
        versions.set(r, pkg.version);
      }
      await rename(tmp, join(dir, gen));
      const index = await readIndex(dir);
      for (const [r, version] of versions) {
        index.pins[keyOf(r)] = version;
        index.packages[`${r.name}@${version}`] ??= `${gen}/node_modules/${aliasOf(r)}`;
        if (!(await stat(join(dir, index.packages[`${r.name}@${version}`]!, "package.json")).catch(() => null))) {
          index.packages[`${r.name}@${version}`] = `${gen}/node_modules/${aliasOf(r)}`;
        }
      }
      await atomicWriteFile(join(dir, "index.json"), JSON.stringify(index, null, 2), { durable: true });
      if (tty) process.stderr.write(" done\n");
    } catch (err) {
      if (tty) process.stderr.write(" failed\n");
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw err instanceof NpmInstallError ? err : new NpmInstallError(`could not install the npm packages ${names} into ${dir}: ${(err as Error).message}`);
    }
  });
}
