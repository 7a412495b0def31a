/**
 * The extension host's costs.
 *
 *   node dist/bench/extensions.bench.js
 *
 * 1. Lock acquire+release through a worker, as a ratio to the in-process FileLock (and to the
 *    same extension lock loaded in-process, which isolates the cost of the boundary).
 * 2. First use of an extension: cold (bundle built and described) vs cached, in-process and as
 *    a whole `swamp datastore status` command.
 * 3. `swamp model type search` with 100 extension model files vs none (the target: flat, under
 *    1.2x — listing reads the manifest and stats files, it loads no code).
 * Figures only; no assertions.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { FileLock } from "../builtins/datastore-filesystem/lock.js";
import type { DatastorePlugin, DistributedLock } from "../kernel/contract/ports/datastore.js";
import { readMarker } from "../kernel/runtime/marker.js";
import { builtinRegistry } from "../cli/builtins.js";
import { registerExtensions } from "../plugins/extensions.js";
import { shutdownExtensions } from "../plugins/lifecycle.js";
import { FS_STORE, FS_STORE_LIB, GREETER_MODEL, writeSource } from "../test/plugins/fixtures.js";
import { SWAMP_BIN } from "../test/helpers/cli.js";

const LOCK_MS = 2_000;

async function cycles(lock: DistributedLock): Promise<number> {
  for (let i = 0; i < 20; i++) {
    await lock.acquire();
    await lock.release();
  }
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < LOCK_MS) {
    await lock.acquire();
    await lock.release();
    count++;
  }
  return ((performance.now() - start) * 1000) / count; // µs per acquire+release
}

async function repo(dir: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, "repo");
  await writeSource(root, ".swamp.yaml", 'swampVersion: "0.1.0"\nrepoId: "bench"\n');
  for (const [rel, text] of Object.entries(files)) await writeSource(root, rel, text);
  return root;
}

async function fsStore(root: string): Promise<DatastorePlugin> {
  const registry = builtinRegistry();
  await registerExtensions(registry, { repoDir: root, marker: await readMarker(root), env: process.env });
  return registry.load("datastore", "@test/fs-store");
}

function cli(args: string[], env: Record<string, string> = {}): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, [SWAMP_BIN, ...args], { env: { ...process.env, ...env }, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`swamp ${args.join(" ")} exited with ${r.status}`);
  return performance.now() - start;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function lockBench(dir: string): Promise<void> {
  const root = await repo(dir, { "extensions/datastores/fs-store/mod.ts": FS_STORE, "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB });
  const fileLock = await cycles(new FileLock(join(dir, "filelock"), { maxWaitMs: 10_000 }));
  const plugin = await fsStore(root);
  const provider = await plugin.createProvider({ path: join(dir, "worker-ds") });
  const viaWorker = await cycles(provider.createLock(join(dir, "worker-ds"), { maxWaitMs: 10_000 }));

  // The same extension lock, imported into this process (no boundary).
  const { readFile } = await import("node:fs/promises");
  const manifest = JSON.parse(await readFile(join(root, ".swamp", "datastore-bundles", "manifest.json"), "utf8")) as { entries: Record<string, { bundlePath: string }> };
  const bundle = Object.values(manifest.entries)[0]?.bundlePath ?? "";
  (globalThis as Record<string, unknown>).__swampHost = { modules: { zod: await import("zod") } };
  const mod = (await import(pathToFileURL(bundle).href)) as { datastore: DatastorePlugin };
  const inProcessProvider = await mod.datastore.createProvider({ path: join(dir, "inproc-ds") });
  const sameInProcess = await cycles(inProcessProvider.createLock(join(dir, "inproc-ds"), { maxWaitMs: 10_000 }));

  console.log("lock acquire+release (µs per cycle)");
  console.log(`  FileLock, in process:          ${fileLock.toFixed(0)} µs`);
  console.log(`  extension lock, in process:    ${sameInProcess.toFixed(0)} µs`);
  console.log(`  extension lock, via worker:    ${viaWorker.toFixed(0)} µs`);
  console.log(`  ratio worker / FileLock:       ${(viaWorker / fileLock).toFixed(2)}x`);
  console.log(`  ratio worker / same in process: ${(viaWorker / sameInProcess).toFixed(2)}x (the boundary's own cost)`);
  await shutdownExtensions();
}

async function firstUseBench(dir: string): Promise<void> {
  const root = await repo(dir, { "extensions/datastores/fs-store/mod.ts": FS_STORE, "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB });
  const verify = async () => {
    const start = performance.now();
    const plugin = await fsStore(root);
    const provider = await plugin.createProvider({});
    await provider.createVerifier().verify();
    const ms = performance.now() - start;
    await shutdownExtensions();
    return ms;
  };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await rm(join(root, ".swamp", "datastore-bundles"), { recursive: true, force: true });
    cold.push(await verify());
    warm.push(await verify());
  }
  console.log("\nfirst use of an extension datastore (register + createProvider + verify, in process)");
  console.log(`  cold (build + describe):  ${fmt(median(cold))}`);
  console.log(`  cached:                   ${fmt(median(warm))}`);

  await writeFile(join(root, ".swamp.yaml"), 'swampVersion: "0.1.0"\nrepoId: "bench"\ndatastore:\n  type: "@test/fs-store"\n');
  const cliCold: number[] = [];
  const cliWarm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await rm(join(root, ".swamp", "datastore-bundles"), { recursive: true, force: true });
    cliCold.push(cli(["datastore", "status", "--json", "--repo-dir", root]));
    cliWarm.push(cli(["datastore", "status", "--json", "--repo-dir", root]));
  }
  const builtin = join(dir, "builtin");
  cli(["repo", "init", builtin, "--json"]);
  const cliBuiltin = [1, 2, 3, 4, 5].map(() => cli(["datastore", "status", "--json", "--repo-dir", builtin]));
  console.log("  `swamp datastore status`, whole command:");
  console.log(`    cold extension:    ${fmt(median(cliCold))}`);
  console.log(`    cached extension:  ${fmt(median(cliWarm))}`);
  console.log(`    builtin datastore: ${fmt(median(cliBuiltin))}`);
}

async function searchBench(dir: string): Promise<void> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 100; i++) files[`extensions/models/m${i}/mod.ts`] = GREETER_MODEL.replace("@test/greeter", `@bench/model-${i}`);
  const many = await repo(join(dir, "many"), files);
  const none = await repo(join(dir, "none"), {});
  const buildStart = performance.now();
  cli(["model", "type", "search", "--json", "--repo-dir", many]);
  const build = performance.now() - buildStart;
  // Stat stamps are trusted once the files are older than the racy-write margin.
  await new Promise((r) => setTimeout(r, 2_200));
  cli(["model", "type", "search", "--json", "--repo-dir", many]);
  const withMany: number[] = [];
  const withNone: number[] = [];
  for (let i = 0; i < 9; i++) {
    withNone.push(cli(["model", "type", "search", "--json", "--repo-dir", none]));
    withMany.push(cli(["model", "type", "search", "--json", "--repo-dir", many]));
  }
  console.log("\n`swamp model type search` (median of 9)");
  console.log(`  first run with 100 new extension files (build + describe all): ${fmt(build)}`);
  console.log(`  no extensions:                  ${fmt(median(withNone))}`);
  console.log(`  100 cached extension models:    ${fmt(median(withMany))}`);
  console.log(`  ratio:                          ${(median(withMany) / median(withNone)).toFixed(2)}x (target < 1.2x)`);
}

const dir = await mkdtemp(join(tmpdir(), "swamp-ext-bench-"));
try {
  await lockBench(join(dir, "lock"));
  await firstUseBench(join(dir, "first"));
  await searchBench(join(dir, "search"));
} finally {
  await shutdownExtensions();
  await rm(dir, { recursive: true, force: true });
}
