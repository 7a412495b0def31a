/**
 * What an extension imports, through the real CLI: `jsr:@std/path` / `jsr:@std/fs` (swamp's own),
 * deno.jsonc import maps, `npm:` specifiers pinned to exactly their version and installed from
 * a local npm-protocol registry into the repo's dependency cache (never inlined into bundles),
 * the one clear error when the registry is unreachable, and 16 extensions sharing a big npm
 * package under the default worker memory limit.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { startNpmRegistry, type NpmRegistry } from "../helpers/npm-registry.js";
import { seeingModel, writeSource } from "../plugins/fixtures.js";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The directory of swamp's package.json (dist/test/e2e → ../../..). */
const swampRootDir = fileURLToPath(new URL("../../../", import.meta.url));

const BIG_FUNCTIONS = 12_000;

/** ~4 MB of code: a package big enough that one inlined copy per extension used to exhaust a worker. */
function bigPackageSource(): string {
  const lines = ["const table = [];"];
  for (let i = 0; i < BIG_FUNCTIONS; i++) {
    lines.push(`table.push(function f${i}(x) { return "${"entry-" + i + "-".repeat(200)}" + x * ${i}; });`);
  }
  lines.push(`export const size = table.length;`, `export function call(i, x) { return table[i](x); }`, `export const marker = "FX_BIG_MARKER";`);
  return lines.join("\n");
}

let registry: NpmRegistry;

before(async () => {
  registry = await startNpmRegistry([
    { name: "fx-lib", version: "1.0.0", files: { "index.js": 'module.exports = { version: "1.0.0", marker: "FX_LIB_MARKER_ONE" };\n' } },
    {
      name: "fx-lib",
      version: "2.0.0",
      manifest: { type: "module", exports: { ".": "./index.js", "./sub": "./sub.js" }, dependencies: { "fx-dep": "^1.0.0" } },
      files: {
        "index.js": 'import { depVersion } from "fx-dep";\nexport const version = "2.0.0";\nexport const dep = depVersion;\nexport const marker = "FX_LIB_MARKER_TWO";\n',
        "sub.js": 'export const sub = "sub of 2.0.0";\n',
      },
    },
    { name: "fx-dep", version: "1.4.0", files: { "index.js": 'exports.depVersion = "1.4.0";\n' } },
    { name: "@fx/scoped", version: "3.1.0", files: { "index.js": 'exports.scoped = "3.1.0";\n' } },
    { name: "fx-big", version: "1.0.0", manifest: { type: "module", main: "index.js" }, files: { "index.js": bigPackageSource() } },
    // A package swamp ships (yaml), at a version swamp does not ship.
    { name: "yaml", version: "1.0.0", files: { "index.js": 'exports.parse = () => "FROM_THE_REGISTRY";\n' } },
  ]);
});

after(async () => {
  await registry?.close();
});

let ids = 0;
async function defineModel(repo: string, type: string, name: string): Promise<string> {
  const id = `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`;
  await writeSource(repo, `models/${type}/${id}.yaml`, [`type: "${type}"`, "typeVersion: 2026.01.01.1", `id: ${id}`, `name: ${name}`, "version: 1", "tags: {}", "globalArguments: {}", "methods: {}", ""].join("\n"));
  return id;
}

async function runAndRead(repo: string, type: string, name: string, id: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const run = await swamp(["model", "method", "run", name, "run", "--json", "--repo-dir", repo], { env, timeoutMs: 120_000 });
  assert.equal(run.code, 0, `${name}: ${run.stderr}`);
  return JSON.parse(await readFile(join(repo, ".swamp", "data", type, id, "out", "1", "raw"), "utf8")) as Record<string, unknown>;
}

async function generations(repo: string): Promise<string[]> {
  return (await readdir(join(repo, ".swamp", "deps")).catch(() => [] as string[])).filter((n) => n.startsWith("g-"));
}

async function bundlesOf(repo: string): Promise<Record<string, { bundlePath: string | null; state: string; lastError: string | null }>> {
  return (JSON.parse(await readFile(join(repo, ".swamp", "model-bundles", "manifest.json"), "utf8")) as { entries: Record<string, { bundlePath: string | null; state: string; lastError: string | null }> }).entries;
}

test("jsr:@std/path, jsr:@std/fs and a deno.jsonc import map resolve as under swamp", async () => {
  await withRepo(async (repo) => {
    await writeSource(
      repo,
      "extensions/models/std/deno.jsonc",
      `{
  // the import map real extensions carry
  "imports": {
    "@std/path": "jsr:@std/path@^1.0.8",
    "@std/fs": "jsr:@std/fs@1", /* trailing comma below */
    "helpers/": "./lib/",
  },
}
`,
    );
    await writeSource(repo, "extensions/models/std/lib/greet.ts", 'export const greet = (n: string) => `hello ${n}`;\n');
    await writeSource(
      repo,
      "extensions/models/std/mod.ts",
      seeingModel(
        "@test/std",
        [
          'import { basename, dirname, extname, join, relative, SEPARATOR, toFileUrl, fromFileUrl, common } from "@std/path";',
          'import { join as join2 } from "jsr:@std/path@1/join";',
          'import { ensureDir, ensureFile, exists, existsSync, walk, copy, move, emptyDir } from "@std/fs";',
          'import { greet } from "helpers/greet.ts";',
          'import { mkdtempSync } from "node:fs";',
          'import { tmpdir } from "node:os";',
        ].join("\n"),
        `const root = mkdtempSync(join(tmpdir(), "std-"));
        await ensureDir(join(root, "a", "b"));
        await ensureFile(join(root, "a", "b", "x.ts"));
        await ensureFile(join(root, "a", "y.json"));
        await copy(join(root, "a"), join(root, "c"));
        let copyError = "";
        try { await copy(join(root, "a"), join(root, "c")); } catch (e) { copyError = (e as any).code + (e instanceof Deno.errors.AlreadyExists ? ":AlreadyExists" : ""); }
        await move(join(root, "c"), join(root, "d"));
        const walked: string[] = [];
        for await (const e of walk(root, { exts: [".ts"], includeDirs: false })) walked.push(relative(root, e.path) + (e.isFile ? ":file" : ""));
        const shallow: string[] = [];
        for await (const e of walk(root, { maxDepth: 1 })) shallow.push(e.path === root ? "<root>" : e.name);
        await emptyDir(join(root, "d"));
        seen.basename = basename("/x/mod.ts", ".ts");
        seen.dirname = dirname("/x/y/z.ts");
        seen.extname = extname("a/b.json");
        seen.join = join2("a", "b", "../c");
        seen.sep = SEPARATOR;
        seen.url = fromFileUrl(toFileUrl("/tmp/a b"));
        seen.common = common(["/a/b/c.ts", "/a/b/d/e.ts"]);
        seen.walked = walked.sort();
        seen.shallow = shallow.sort();
        seen.copyError = copyError;
        seen.exists = [await exists(join(root, "a")), await exists(join(root, "a"), { isFile: true }), existsSync(join(root, "nope")), await exists(join(root, "c"))];
        seen.emptied = (await import("node:fs")).readdirSync(join(root, "d")).length;
        seen.greet = greet("std");`,
      ),
    );
    const id = await defineModel(repo, "@test/std", "std");
    const seen = await runAndRead(repo, "@test/std", "std", id, {});
    assert.deepEqual(seen, {
      basename: "mod",
      dirname: "/x/y",
      extname: ".json",
      join: "a/c",
      sep: "/",
      url: "/tmp/a b",
      common: "/a/b/",
      walked: ["a/b/x.ts:file", "d/b/x.ts:file"],
      shallow: ["<root>", "a", "d"],
      copyError: "EEXIST:AlreadyExists",
      exists: [true, false, false, false],
      emptied: 0,
      greet: "hello std",
    });
  });
});

test("a jsr: package other than @std/path and @std/fs is one clear build error naming it", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/other.ts", seeingModel("@test/other", 'import { assert } from "jsr:@std/assert@1";', "assert(true);"));
    const list = await swamp(["extension", "list", "--json", "--repo-dir", repo]);
    const entry = Object.values(await bundlesOf(repo))[0];
    assert.equal(entry?.state, "BundleBuildFailed", list.stdout + list.stderr);
    assert.match(entry?.lastError ?? "", /other\.ts:\d+:\d+: "jsr:@std\/assert@1": swamp provides only jsr:@std\/path and jsr:@std\/fs/);
  });
});

test("npm: specifiers get exactly their version, installed once into the shared dependency cache and kept out of the bundle", async () => {
  await withRepo(async (repo) => {
    const env = registry.env;
    await writeSource(
      repo,
      "extensions/models/pinned.ts",
      seeingModel(
        "@test/pinned",
        ['import one from "npm:fx-lib@1.0.0";', 'import { version as two, dep } from "npm:fx-lib@^2";', 'import { sub } from "npm:fx-lib@2.0.0/sub";', 'import { scoped } from "npm:@fx/scoped@3.1.0";'].join("\n"),
        "seen.one = one.version; seen.two = two; seen.dep = dep; seen.sub = sub; seen.scoped = scoped;",
      ),
    );
    await writeSource(repo, "extensions/models/mapped/deno.json", JSON.stringify({ imports: { fx: "npm:fx-lib@2.0.0", "@fx/": "npm:/@fx/" } }));
    await writeSource(repo, "extensions/models/mapped/mod.ts", seeingModel("@test/mapped", 'import { version } from "fx";\nimport { scoped } from "@fx/scoped@3.1.0";', "seen.version = version; seen.scoped = scoped;"));
    const pinnedId = await defineModel(repo, "@test/pinned", "pinned");
    const mappedId = await defineModel(repo, "@test/mapped", "mapped");

    assert.deepEqual(await runAndRead(repo, "@test/pinned", "pinned", pinnedId, env), { one: "1.0.0", two: "2.0.0", dep: "1.4.0", sub: "sub of 2.0.0", scoped: "3.1.0" });
    assert.equal((await generations(repo)).length, 1, "every missing package of the build was installed in one npm run");
    assert.deepEqual(await runAndRead(repo, "@test/mapped", "mapped", mappedId, env), { version: "2.0.0", scoped: "3.1.0" });

    const index = JSON.parse(await readFile(join(repo, ".swamp", "deps", "index.json"), "utf8"));
    assert.equal(index.pins["fx-lib@^2"], "2.0.0");
    assert.equal(index.pins["fx-lib@1.0.0"], "1.0.0");
    for (const entry of Object.values(await bundlesOf(repo))) {
      assert.equal(entry.state, "Indexed", entry.lastError ?? "");
      const bundle = await readFile(entry.bundlePath!, "utf8");
      assert.ok(!bundle.includes("FX_LIB_MARKER"), "the npm package is not inlined");
      assert.ok(bundle.includes(`file://${join(repo, ".swamp", "deps")}`) || bundle.includes(join(repo, ".swamp", "deps")), "it is imported from the dependency cache");
    }

    // Cached: later commands (and a changed extension) never ask the registry again.
    const asked = registry.requests.length;
    await appendFile(join(repo, "extensions/models/pinned.ts"), "\n// edited\n");
    await runAndRead(repo, "@test/pinned", "pinned", pinnedId, env).catch(() => undefined);
    assert.equal(registry.requests.length, asked);
  });
});

test("an exact npm: version swamp ships is swamp's own copy (no install); another version of that package comes from the registry", async () => {
  await withRepo(async (repo) => {
    const shipped = JSON.parse(await readFile(join(swampRootDir, "node_modules", "yaml", "package.json"), "utf8")).version as string;
    const env = registry.env;
    await writeSource(repo, "extensions/models/own.ts", seeingModel("@test/own", `import { parse } from "npm:yaml@${shipped}";`, 'seen.parsed = parse("a: 1");'));
    const ownId = await defineModel(repo, "@test/own", "own");
    const asked = registry.requests.length;
    assert.deepEqual(await runAndRead(repo, "@test/own", "own", ownId, env), { parsed: { a: 1 } });
    assert.equal(registry.requests.length, asked, "nothing was asked of the registry");
    assert.equal(existsSync(join(repo, ".swamp", "deps")), false);
    const bundle = await readFile(Object.values(await bundlesOf(repo))[0]!.bundlePath!, "utf8");
    assert.ok(bundle.includes(pathToFileURL(join(swampRootDir, "node_modules", "yaml")).href), "imported from swamp's node_modules");

    await writeSource(repo, "extensions/models/other.ts", seeingModel("@test/other-yaml", 'import { parse } from "npm:yaml@1.0.0";', 'seen.parsed = parse("a: 1");'));
    const otherId = await defineModel(repo, "@test/other-yaml", "other");
    assert.deepEqual(await runAndRead(repo, "@test/other-yaml", "other", otherId, env), { parsed: "FROM_THE_REGISTRY" });
    const index = JSON.parse(await readFile(join(repo, ".swamp", "deps", "index.json"), "utf8"));
    assert.equal(index.pins["yaml@1.0.0"], "1.0.0");
    assert.equal(index.pins[`yaml@${shipped}`], undefined);
  });
});

test("an unreachable registry fails the build once, naming every missing package", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/a.ts", seeingModel("@test/a", 'import x from "npm:fx-gone-a@1.0.0";', "seen.x = x;"));
    await writeSource(repo, "extensions/models/b.ts", seeingModel("@test/b", 'import y from "npm:@fx/gone-b@^2";', "seen.y = y;"));
    const env = { ...registry.env, npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_timeout: "2000" };
    const list = await swamp(["extension", "list", "--json", "--repo-dir", repo], { env, timeoutMs: 120_000 });
    const entries = Object.values(await bundlesOf(repo));
    assert.equal(entries.length, 2, list.stderr);
    for (const entry of entries) {
      assert.equal(entry.state, "BundleBuildFailed");
      assert.match(entry.lastError ?? "", /could not install the npm packages npm:fx-gone-a@1\.0\.0, npm:@fx\/gone-b@\^2 into /);
      assert.doesNotMatch(entry.lastError ?? "", /\n/, "one line");
    }
    assert.deepEqual(await generations(repo), [], "nothing half-installed is left");
    assert.equal(existsSync(join(repo, ".swamp", "deps", ".install.lock")), false);
  });
});

test("16 extensions importing a big npm package all load and run at the default worker memory limit, with small bundles", async () => {
  await withRepo(async (repo) => {
    const count = 16;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      await writeSource(repo, `extensions/models/big${i}.ts`, seeingModel(`@test/big${i}`, 'import { size, call } from "npm:fx-big@1.0.0";', `seen.size = size; seen.call = call(${i}, 2);`));
      ids.push(await defineModel(repo, `@test/big${i}`, `big${i}`));
    }
    const list = await swamp(["extension", "list", "--json", "--repo-dir", repo], { env: registry.env, timeoutMs: 180_000 });
    assert.equal(list.code, 0, list.stderr);
    const entries = Object.values(await bundlesOf(repo));
    assert.equal(entries.filter((e) => e.state === "Indexed").length, count, entries.map((e) => e.lastError).filter(Boolean).join("\n"));
    for (const e of entries) assert.ok((await stat(e.bundlePath!)).size < 200_000, `${e.bundlePath} is small`);
    for (let i = 0; i < count; i++) {
      const seen = await runAndRead(repo, `@test/big${i}`, `big${i}`, ids[i]!, registry.env);
      assert.equal(seen.size, BIG_FUNCTIONS);
      assert.match(String(seen.call), new RegExp(`^entry-${i}-`));
    }
  });
});

test("a worker that runs out of memory while loading a bundle is replaced and the bundle tried once more; twice is a clear failure", async () => {
  await withRepo(async (repo) => {
    const hog = "const hog: number[][] = []; for (;;) hog.push(new Array(1_000_000).fill(1));";
    const marker = join(repo, "oom-once.marker");
    await writeSource(
      repo,
      "extensions/models/oom-once.ts",
      seeingModel("@test/oom-once", `import { existsSync, writeFileSync } from "node:fs";\nif (!existsSync(${JSON.stringify(marker)})) { writeFileSync(${JSON.stringify(marker)}, "1"); ${hog} }`, "seen.ok = true;"),
    );
    await writeSource(repo, "extensions/models/oom-always.ts", seeingModel("@test/oom-always", hog, "seen.ok = true;"));
    const list = await swamp(["extension", "list", "--json", "--repo-dir", repo], { env: { SWAMP_EXTENSION_MAX_MEMORY_MB: "64" }, timeoutMs: 120_000 });
    const entries = Object.entries(await bundlesOf(repo));
    const once = entries.find(([source]) => source.endsWith("oom-once.ts"))?.[1];
    const always = entries.find(([source]) => source.endsWith("oom-always.ts"))?.[1];
    assert.ok(existsSync(marker), list.stderr);
    assert.equal(once?.state, "Indexed", once?.lastError ?? "");
    assert.equal(always?.state, "ValidationFailed");
    assert.match(always?.lastError ?? "", /ran out of memory while loading, also when retried in a fresh worker \(limit 64 MB\)/);
  });
});

test("under sandbox isolation an extension imports its npm packages from the dependency cache", async () => {
  await withRepo(async (repo) => {
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    await writeSource(repo, "extensions/models/boxed.ts", seeingModel("@test/boxed", 'import one from "npm:fx-lib@1.0.0";\nimport { basename } from "jsr:@std/path@1";', 'seen.one = one.version; seen.base = basename("/a/b.ts", ".ts");'));
    const id = await defineModel(repo, "@test/boxed", "boxed");
    assert.deepEqual(await runAndRead(repo, "@test/boxed", "boxed", id, registry.env), { one: "1.0.0", base: "b" });
  });
});

test("concurrent swamp processes installing the same npm packages share one intact cache; a bare npm:pkg is pinned to the latest", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/latest.ts", seeingModel("@test/latest", 'import { version } from "npm:fx-lib";\nimport { scoped } from "npm:@fx/scoped@^3";', "seen.version = version; seen.scoped = scoped;"));
    const runs = await Promise.all([1, 2, 3].map(() => swamp(["extension", "list", "--json", "--repo-dir", repo], { env: registry.env, timeoutMs: 120_000 })));
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(parseJson(r.stdout).catalog.map((e: { state: string }) => e.state), ["Indexed"]);
    }
    assert.equal((await generations(repo)).length, 1, "one install, the others waited for it");
    assert.deepEqual((await readdir(join(repo, ".swamp", "deps"))).filter((n) => n.startsWith(".tmp-") || n === ".install.lock"), []);
    const index = JSON.parse(await readFile(join(repo, ".swamp", "deps", "index.json"), "utf8"));
    assert.equal(index.pins["fx-lib"], "2.0.0");
    const id = await defineModel(repo, "@test/latest", "latest");
    assert.deepEqual(await runAndRead(repo, "@test/latest", "latest", id, registry.env), { version: "2.0.0", scoped: "3.1.0" });
  });
});
