/**
 * The sandbox isolation level: the dispatcher runs in a child process started with Node's
 * permission model.
 *
 *   node --experimental-permission            (--permission on newer Node)
 *        --allow-fs-read=<sandbox entry> --allow-fs-read=<bundle> --allow-fs-read=<zod package>
 *        --allow-fs-read=<repo>/.swamp/deps     (the npm dependency cache, when present)
 *        --allow-fs-read=<swamp>/node_modules   (when the bundle imports a package swamp ships)
 *        [--allow-fs-read/--allow-fs-write=<datastore path>, <cache path>]   (datastores only)
 *        --max-old-space-size=<limit>
 *
 * No --allow-child-process, no --allow-worker, no --allow-addons: spawning processes or
 * workers is refused. The environment is filtered to a few harmless variables (PATH, HOME,
 * locale, TZ): no credentials of the parent reach the extension. Network access is NOT
 * restricted by Node 20's permission model; the model itself is experimental.
 */
import { fork } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ErrorCode } from "../../kernel/contract/errors.js";
import { DEFAULT_DATASTORE_SUBDIRS, SWAMP_DIR } from "../../kernel/runtime/paths.js";
import { hostModuleUrl, packageDirOf } from "../host-modules.js";
import { swampNodeModules } from "../npm-cache.js";
import { CEL_SPECIFIER, type DescribeResult, type InstanceInit } from "../worker/protocol.js";
import type { HostLimits } from "./limits.js";
import type { Fault } from "./faults.js";
import { bundledEntries, sandboxEntry } from "./pool.js";
import { startSandboxTransport, type Transport } from "./transport.js";

export interface SandboxGrants {
  read: string[];
  write: string[];
}

const PASSED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];

export function sandboxEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function withRealpath(paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    out.add(p);
    try {
      out.add(realpathSync(p));
    } catch {
      // not created yet: the path itself is granted
    }
  }
  return [...out];
}

/** What every sandbox may read: its own entry code, the bundle, and the zod and cel-js packages. */
export function baseReadGrants(bundlePath: string): string[] {
  const entry = sandboxEntry();
  const code = bundledEntries()
    ? [entry]
    : (() => {
        const dist = resolve(dirname(entry), "..", "..");
        return [
          join(dist, "plugins", "worker"),
          join(dist, "plugins", "compat"),
          join(dist, "kernel", "contract"),
          join(dist, "kernel", "expressions", "cel-environment.js"),
          join(dist, "sdk"),
        ];
      })();
  const packages = ["zod", CEL_SPECIFIER].map((spec) => packageDirOf(hostModuleUrl(spec))).filter((dir): dir is string => dir !== null);
  // The repo's npm dependency cache (<repo>/.swamp/deps, beside <repo>/.swamp/<kind>-bundles):
  // bundles import their npm packages from it.
  const deps = join(dirname(dirname(bundlePath)), "deps");
  return withRealpath([...code, bundlePath, ...packages, ...(existsSync(deps) ? [deps] : []), ...shippedPackages(bundlePath)]);
}

/**
 * swamp's own node_modules, when the bundle imports a package from it (an `npm:` pin of exactly
 * the version swamp ships, see plugins/npm-cache.ts). The bundler writes those imports as file
 * URLs into that directory, and a package's dependencies sit beside it there: the whole
 * directory is granted (code swamp installed, read-only).
 */
function shippedPackages(bundlePath: string): string[] {
  const dir = swampNodeModules();
  let code: string;
  try {
    code = readFileSync(bundlePath, "utf8");
  } catch {
    return [];
  }
  return code.includes(pathToFileURL(dir).href + "/") ? [dir] : [];
}

function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Read and write grants for a sandboxed datastore's directories, as decided (and checked
 * against the path policy) by the host. The repo's own `.swamp` (where the vault keys and
 * bundles live) is narrowed to the datastore subdirectories and lock files. Each directory is
 * granted as written and with symlinks resolved.
 */
export async function datastoreGrants(dirs: string[], repoDir: string): Promise<string[]> {
  const swampDir = join(resolve(repoDir), SWAMP_DIR);
  const out: string[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    if (dir === swampDir) {
      const subdirs = [...DEFAULT_DATASTORE_SUBDIRS, ".locks"].map((d) => join(dir, d));
      for (const sub of subdirs) await directoryGrant(sub);
      out.push(...withRealpath(subdirs), ...withRealpath([dir]).map((d) => `${join(d, ".datastore.lock")}*`));
      continue;
    }
    await directoryGrant(dir);
    out.push(...withRealpath([dir]));
  }
  return out;
}

/**
 * Node treats a granted path that does not exist (yet) as a file, and some combinations of a
 * directory with a wildcard below it abort the process (a radix-tree assertion in Node 20):
 * the directory is created first and granted alone.
 */
async function directoryGrant(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/** Drops duplicates and paths already covered by a granted directory (overlaps upset Node 20). */
function prune(paths: string[]): string[] {
  const unique = [...new Set(paths)];
  return unique.filter((p) => !unique.some((q) => q !== p && !q.endsWith("*") && isWithin(q, p)));
}

function permissionFlags(grants: SandboxGrants, memoryMb: number): string[] {
  const flags = process.allowedNodeEnvironmentFlags;
  const out = [flags.has("--permission") ? "--permission" : "--experimental-permission"];
  if (flags.has("--disable-warning")) out.push("--disable-warning=ExperimentalWarning");
  for (const p of prune(grants.read)) out.push(`--allow-fs-read=${p}`);
  for (const p of prune(grants.write)) out.push(`--allow-fs-write=${p}`);
  out.push(`--max-old-space-size=${memoryMb}`);
  return out;
}

function spawnSandbox(grants: SandboxGrants, limits: HostLimits, env: Readonly<Record<string, string | undefined>>) {
  return fork(sandboxEntry(), [], {
    execArgv: permissionFlags(grants, limits.memoryMb),
    env: sandboxEnv(env),
    serialization: "advanced",
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
}

export async function launchSandbox(init: InstanceInit, grants: SandboxGrants, limits: HostLimits, env: Readonly<Record<string, string | undefined>>): Promise<Transport> {
  const child = spawnSandbox(grants, limits, env);
  return startSandboxTransport(child, { op: "instance", init }, limits.memoryMb);
}

function endedBecause(fault: Fault): string {
  switch (fault.reason) {
    case "crash":
      return fault.message;
    case "protocol":
      return `malformed message: ${fault.problem}`;
    case "exit":
      return `exit code ${fault.code}${fault.output ? `: ${fault.output}` : ""}`;
    default:
      return fault.reason;
  }
}

/** Loads one bundle in a fresh sandbox process (read access to that bundle only). */
async function describeOneInSandbox(init: InstanceInit, limits: HostLimits, env: Readonly<Record<string, string | undefined>>): Promise<DescribeResult> {
  const child = spawnSandbox({ read: baseReadGrants(init.bundlePath), write: [] }, limits, env);
  const transport = startSandboxTransport(child, { op: "describe", inits: [init] }, limits.memoryMb);
  return new Promise<DescribeResult>((resolveResult) => {
    const timer = setTimeout(() => {
      transport.terminate();
      resolveResult({ ok: false, error: { code: ErrorCode.extensionTimeout, message: `loading the bundle took longer than ${limits.startTimeoutMs}ms` } });
    }, limits.startTimeoutMs);
    transport.onMessage((msg) => {
      if (msg.type === "described") {
        clearTimeout(timer);
        resolveResult(msg.result as DescribeResult);
      }
    });
    void transport.ended.then((fault) => {
      clearTimeout(timer);
      resolveResult({
        ok: false,
        error: {
          code: ErrorCode.extensionCrashed,
          message: fault ? `the sandbox process ended while loading the bundle (${endedBecause(fault)})` : "the sandbox process ended without an answer",
        },
      });
    });
  });
}

/** Describes bundles, each in its own sandbox process: a bundle never reads another, a crash is its own. */
export async function describeInSandbox(inits: InstanceInit[], limits: HostLimits, env: Readonly<Record<string, string | undefined>>): Promise<DescribeResult[]> {
  const results: DescribeResult[] = new Array(inits.length);
  const queue = inits.map((init, i) => ({ init, i }));
  const lanes = Math.min(queue.length, Math.max(2, availableParallelism()));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) results[next.i] = await describeOneInSandbox(next.init, limits, env);
    }),
  );
  return results;
}

