/**
 * Start-up: the CLI bundle's compiled code is kept in `$SWAMP_HOME/cache/code` so later
 * processes skip compiling it; a missing, corrupt or unwritable cache only costs that saving.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readCache } from "../../cli/code-cache.js";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";
import { GREETER_ID, GREETER_MODEL, greeterDefinition, writeSource } from "../plugins/fixtures.js";

test("compiled code is cached under $SWAMP_HOME/cache and never in the repo; a corrupt or unwritable cache changes nothing", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    const env = { SWAMP_HOME: home };
    const run = (args: string[], e: Record<string, string> = env) => swamp([...args, "--repo-dir", repo], { env: e });
    const repoBefore = await snapshotTree(repo);

    const created = await run(["model", "create", "command/shell", "m"]);
    assert.equal(created.code, 0, created.stderr);
    const cacheDir = join(home, "cache", "code");
    const files = await readdir(cacheDir);
    assert.equal(files.length, 1, `one cache file: ${files.join(", ")}`);
    assert.match(files[0]!, /-model-create-/);
    const cacheFile = join(cacheDir, files[0]!);
    const written = await readFile(cacheFile);
    assert.ok(written.length > 1000, "the cache holds compiled code");

    // A warm start uses its cache as it is (no rewrite) and behaves the same; another command
    // gets a cache of its own.
    const again = await run(["model", "create", "command/shell", "m2", "--json"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(parseJson(again.stdout).name, "m2");
    assert.deepEqual(await readFile(cacheFile), written);
    assert.deepEqual(await readdir(cacheDir), files);
    const ran = await run(["model", "method", "run", "m", "execute", "--input", "run=echo hi"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^hi$/m);
    assert.equal((await readdir(cacheDir)).length, 2);
    // Other node flags (V8 refuses cached data made under different ones): a cache of their own.
    const flagged = await run(["model", "create", "command/shell", "m4"], { ...env, NODE_OPTIONS: "--max-semi-space-size=32" });
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.equal((await readdir(cacheDir)).length, 3);
    assert.deepEqual(await readFile(cacheFile), written);

    // Only the model and its data were added to the repo: no cache file in it.
    const repoAfter = await snapshotTree(repo);
    const added = Object.keys(repoAfter).filter((p) => !(p in repoBefore));
    assert.deepEqual(added.filter((p) => !/^(models|\.swamp)\//.test(p)), []);

    // Corrupt bytes of the same length are refused and replaced.
    await writeFile(cacheFile, Buffer.alloc(written.length, 7));
    const third = await run(["model", "create", "command/shell", "m3", "--json"]);
    assert.equal(third.code, 0, third.stderr);
    assert.equal(parseJson(third.stdout).name, "m3");
    assert.equal(third.stderr, "");
    assert.notDeepEqual(await readFile(cacheFile), Buffer.alloc(written.length, 7));

    // A cache folder that cannot be made (a file stands in its way) is silently skipped.
    const blocked = join(repo, "..", "blocked-home");
    await mkdir(blocked);
    await writeFile(join(blocked, "cache"), "not a folder");
    const listed = await run(["data", "list", "m", "--json"], { SWAMP_HOME: blocked });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stderr, "");
    assert.ok(parseJson(listed.stdout));
    assert.equal(await readFile(join(blocked, "cache"), "utf8"), "not a folder");
  });
});

test("an extension worker's compiled code is cached too; a corrupt or unwritable cache changes nothing", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
    await writeSource(repo, `models/@test/greeter/${GREETER_ID}.yaml`, greeterDefinition());
    const home = join(repo, "..", "home");
    const greet = async (swampHome: string, extraEnv: Record<string, string> = {}) => {
      const r = await swamp(["model", "method", "run", "greeter", "greet", "--repo-dir", repo], { env: { SWAMP_HOME: swampHome, ...extraEnv } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /greeting world/);
      return r;
    };

    await greet(home);
    const workerDir = join(home, "cache", "code", "worker");
    const files = await readdir(workerDir);
    assert.equal(files.length, 1, `one worker cache file: ${files.join(", ")}`);
    const cacheFile = join(workerDir, files[0]!);
    const written = await readFile(cacheFile);
    assert.ok(written.length > 1000, "the cache holds compiled code");

    // A warm worker uses the cache as it is (no rewrite).
    await greet(home);
    assert.deepEqual(await readFile(cacheFile), written);
    assert.deepEqual(await readdir(workerDir), files);

    // Corrupt bytes of the same length are refused and replaced.
    await writeFile(cacheFile, Buffer.alloc(written.length, 7));
    const third = await greet(home);
    assert.equal(third.stderr, "");
    assert.notDeepEqual(await readFile(cacheFile), Buffer.alloc(written.length, 7));

    // A cache folder that cannot be made is silently skipped.
    const blocked = join(repo, "..", "blocked-home");
    await mkdir(join(blocked, "cache", "code"), { recursive: true });
    await writeFile(join(blocked, "cache", "code", "worker"), "not a folder");
    const fourth = await greet(blocked);
    assert.equal(fourth.stderr, "");
    assert.equal(await readFile(join(blocked, "cache", "code", "worker"), "utf8"), "not a folder");

    // Where Node cannot require an ES module (before 20.19), the bin imports its resolver first.
    if ((process.features as { require_module?: boolean }).require_module) {
      const legacy = await greet(home, { NODE_OPTIONS: "--no-experimental-require-module" });
      assert.equal(legacy.stderr, "");
    }
  });
});

test("a command's cache grows once to cover a run that took another path (an extension's), then is used as it is", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
    await writeSource(repo, `models/@test/greeter/${GREETER_ID}.yaml`, greeterDefinition());
    const env = { SWAMP_HOME: join(repo, "..", "home") };
    const cacheDir = join(env.SWAMP_HOME, "cache", "code");
    const run = async (args: string[]) => {
      const r = await swamp([...args, "--repo-dir", repo], { env });
      assert.equal(r.code, 0, r.stderr);
    };
    const builtin = () => run(["model", "method", "run", "m", "execute", "--input", "run=echo hi"]);
    const extension = () => run(["model", "method", "run", "greeter", "greet"]);
    const cacheFile = async () => {
      const files = (await readdir(cacheDir)).filter((f) => f.includes("-model-method-"));
      assert.equal(files.length, 1, files.join(", "));
      return join(cacheDir, files[0]!);
    };

    await run(["model", "create", "command/shell", "m"]);
    await builtin();
    const file = await cacheFile();
    const first = readCache(file)!;
    assert.ok(first.modules.size > 50, "the cache lists the bundle modules its run initialized");
    assert.ok(![...first.modules].some((m) => m.startsWith("plugins/host/")), "a built-in run starts no extension host");

    await extension();
    const grown = readCache(file)!;
    assert.ok(grown.data.length > first.data.length, "the extension run's functions were added");
    assert.deepEqual([...first.modules].filter((m) => !grown.modules.has(m)), [], "nothing the first run cached is dropped from the list");
    assert.ok([...grown.modules].some((m) => m.startsWith("plugins/host/")), [...grown.modules].join(", "));

    const bytes = await readFile(file);
    await extension();
    await builtin();
    assert.deepEqual(await readFile(file), bytes, "runs of either kind now use the cache as it is");
    assert.equal(await cacheFile(), file);
  });
});

test("data get and list open no stdin and load no node:child_process; no run loads perf_hooks; a command that reads stdin still gets it", async () => {
  await withRepo(async (repo) => {
    // Marks the first use of process.stdin on stderr, then hands out the real stream; and at
    // exit, whether node:child_process and perf_hooks were loaded.
    const preload = join(repo, "..", "stdin-marker.cjs");
    await writeFile(
      preload,
      `const own = Object.getOwnPropertyDescriptor(process, "stdin");
Object.defineProperty(process, "stdin", { configurable: true, enumerable: own.enumerable, get() {
  process.stderr.write("[stdin opened]\\n");
  Object.defineProperty(process, "stdin", own);
  return process.stdin;
} });
process.on("exit", () => {
  if (process.moduleLoadList.includes("NativeModule child_process")) process.stderr.write("[child_process loaded]\\n");
  if (process.moduleLoadList.includes("NativeModule perf_hooks")) process.stderr.write("[perf_hooks loaded]\\n");
});
`,
    );
    const env = { SWAMP_HOME: join(repo, "..", "home"), NODE_OPTIONS: `--require ${preload}` };
    const run = (args: string[], input?: string) => swamp([...args, "--repo-dir", repo], { env, ...(input === undefined ? {} : { input }) });
    assert.equal((await run(["model", "create", "command/shell", "m"])).code, 0);
    const ran = await run(["model", "method", "run", "m", "execute", "--input", "run=echo hi"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, /child_process loaded/, "the marker sees a command that spawns");
    assert.doesNotMatch(ran.stderr, /perf_hooks loaded/, "durations come from process.hrtime");
    for (const args of [["data", "list", "m"], ["data", "get", "m", "result", "--json"]]) {
      const r = await run(args);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /stdin opened|child_process loaded|perf_hooks loaded/, args.join(" "));
    }
    assert.equal((await run(["vault", "create", "local_encryption", "v"])).code, 0);
    const put = await run(["vault", "put", "v", "k"], "from-stdin");
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /stdin opened/);
    const read = await run(["vault", "read-secret", "v", "k"]);
    assert.equal(read.stdout.trim(), "from-stdin");
  });
});

const PROBE_MODEL = `import { z } from "npm:zod@4";
import { findSourceMap } from "node:module";

export const model = {
  type: "@test/probe",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  methods: {
    look: {
      description: "Reports what its worker thread has loaded",
      arguments: z.object({}),
      execute: async () => {
        const loaded = (name: string) => (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes("NativeModule " + name);
        console.log("[worker] assert=" + loaded("assert") + " perf_hooks=" + loaded("perf_hooks") + " node-decoded-map=" + (findSourceMap(import.meta.url) !== undefined));
        return {};
      },
    },
  },
};
`;

test("an extension run loads neither node:assert nor node:perf_hooks, in the CLI or its worker, and its bundle's map is read only for a stack", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/probe.ts", PROBE_MODEL);
    // At exit of the CLI's main thread: which of the two it loaded.
    const preload = join(repo, "..", "module-marker.cjs");
    await writeFile(
      preload,
      `if (require("node:worker_threads").isMainThread) process.on("exit", () => {
  for (const name of ["assert", "perf_hooks"]) if (process.moduleLoadList.includes("NativeModule " + name)) process.stderr.write("[cli] " + name + " loaded\\n");
});
`,
    );
    const env = { SWAMP_HOME: join(repo, "..", "home"), NODE_OPTIONS: `--require ${preload}` };
    assert.equal((await swamp(["model", "create", "@test/probe", "p", "--repo-dir", repo], { env })).code, 0);
    for (let i = 0; i < 2; i++) {
      // The first run builds the bundle; the second is the steady state.
      const r = await swamp(["model", "method", "run", "p", "look", "--repo-dir", repo], { env });
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout + r.stderr;
      assert.match(out, /\[worker\] assert=false perf_hooks=false node-decoded-map=false/, out);
      assert.doesNotMatch(out, /\[cli\]/, out);
    }
  });
});

const SCRIPT_PROBE_MODEL = `import { z } from "npm:zod@4";

export const model = {
  type: "@test/script-probe",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  methods: {
    look: {
      description: "Reports whether its worker thread started the ES module loader",
      arguments: z.object({}),
      execute: async () => {
        const loaded = (name: string) => (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes("NativeModule " + name);
        console.log("[worker] esm-loader=" + loaded("internal/modules/esm/translators"));
        return {};
      },
    },
  },
};
`;

test("an extension bundle that can be a script runs without starting the ES module loader in its worker", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/probe.ts", SCRIPT_PROBE_MODEL);
    const env = { SWAMP_HOME: join(repo, "..", "home") };
    assert.equal((await swamp(["model", "create", "@test/script-probe", "p", "--repo-dir", repo], { env })).code, 0);
    for (let i = 0; i < 2; i++) {
      const r = await swamp(["model", "method", "run", "p", "look", "--repo-dir", repo], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /\[worker\] esm-loader=false/, r.stdout + r.stderr);
    }
  });
});

test("packages few commands use are in a sidecar bundle: a run never loads it, a regex in a query does, with a cache of its own", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    const run = (args: string[]) => swamp([...args, "--repo-dir", repo], { env: { SWAMP_HOME: home } });
    const sidecarCaches = async () => (await readdir(join(home, "cache", "code"))).filter((f) => f.includes(".libs-"));
    assert.equal((await run(["model", "create", "command/shell", "m"])).code, 0);
    const ran = await run(["model", "method", "run", "m", "execute", "--input", "run=echo hi"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(await sidecarCaches(), [], "nothing loaded the sidecar");
    // `matches` runs on RE2 (re2js), which is in the sidecar.
    const query = await run(["data", "query", 'name.matches("^res")', "--json"]);
    assert.equal(query.code, 0, query.stderr);
    assert.match(query.stdout, /"name": "result"/);
    assert.deepEqual((await sidecarCaches()).map((f) => /-(data-query\.libs)-/.exec(f)?.[1]), ["data-query.libs"]);
    const again = await run(["data", "query", 'name.matches("^nothing")', "--json"]);
    assert.equal(again.code, 0, again.stderr);
  });
});
