/**
 * swamp's own @std/path and @std/fs (what `jsr:@std/path@1` / `jsr:@std/fs@1` resolve to), and
 * the deno.json(c) / package.json import maps the bundler reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readlink, rm, writeFile, mkdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as pjoin } from "node:path";
import * as path from "../../../plugins/compat/std/path.js";
import * as fs from "../../../plugins/compat/std/fs.js";
import { loadImportMaps, stripJsonc } from "../../../plugins/compat/import-map.js";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(pjoin(tmpdir(), "swamp-std-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("@std/path: the functions extensions use", () => {
  assert.equal(path.basename("/a/b/mod.ts", ".ts"), "mod");
  assert.equal(path.basename("/a/b/.ts", ".ts"), ".ts", "a suffix equal to the whole name stays");
  assert.equal(path.basename(new URL("file:///a/b/c.json")), "c.json");
  assert.deepEqual(path.parse("/home/u/file.txt"), { root: "/", dir: "/home/u", base: "file.txt", ext: ".txt", name: "file" });
  assert.equal(path.format({ dir: "/x", base: "y.ts" }), "/x/y.ts");
  assert.equal(path.common(["/a/b/c", "/a/b/d", "/a/e"]), "/a/");
  assert.equal(path.common(["/x/y", "/z"]), "/");
  assert.throws(() => path.toFileUrl("relative/path"), TypeError);
  assert.throws(() => path.fromFileUrl("https://example.com/x"), TypeError);
  assert.equal(path.toFileUrl("/a b/c").href, "file:///a%20b/c");
  assert.ok(path.SEPARATOR_PATTERN.test("a//b"));
  assert.equal(path.DELIMITER, ":");
});

test("@std/path: globToRegExp", () => {
  const re = path.globToRegExp("src/**/*.{ts,js}");
  assert.ok(re.test("src/a.ts"));
  assert.ok(re.test("src/x/y/z.js"));
  assert.ok(!re.test("src/a.json"));
  assert.ok(!re.test("lib/a.ts"));
  assert.ok(path.globToRegExp("a/?.[!x]s").test("a/b.ts"));
  assert.ok(!path.globToRegExp("a/?.[!x]s").test("a/b.xs"));
  assert.ok(!path.globToRegExp("*.ts").test("a/b.ts"), "* stays within a segment");
});

test("@std/fs: ensure*, exists, copy, move, emptyDir, ensureSymlink", async () => {
  await withDir(async (dir) => {
    await fs.ensureDir(pjoin(dir, "a/b"));
    await fs.ensureDir(pjoin(dir, "a/b"));
    fs.ensureFileSync(pjoin(dir, "a/b/f.txt"));
    await writeFile(pjoin(dir, "a/b/f.txt"), "one");
    await fs.ensureFile(pjoin(dir, "a/b/f.txt"));
    assert.equal(await readFile(pjoin(dir, "a/b/f.txt"), "utf8"), "one", "ensureFile keeps content");
    await assert.rejects(fs.ensureDir(pjoin(dir, "a/b/f.txt")), (e: Error & { code?: string }) => e.code === "EEXIST" && /expected 'dir', got 'file'/.test(e.message));
    assert.equal(await fs.exists(pjoin(dir, "a"), { isDirectory: true }), true);
    assert.equal(fs.existsSync(pjoin(dir, "a"), { isFile: true }), false);
    assert.equal(await fs.exists(pjoin(dir, "missing")), false);

    await fs.copy(pjoin(dir, "a"), pjoin(dir, "c"));
    await assert.rejects(fs.copy(pjoin(dir, "a"), pjoin(dir, "c")), (e: Error & { code?: string; name: string }) => e.code === "EEXIST" && e.name === "AlreadyExists");
    await writeFile(pjoin(dir, "a/b/f.txt"), "two");
    fs.copySync(pjoin(dir, "a"), pjoin(dir, "c"), { overwrite: true });
    assert.equal(await readFile(pjoin(dir, "c/b/f.txt"), "utf8"), "two");
    assert.throws(() => fs.copySync(pjoin(dir, "a"), pjoin(dir, "a/b/inner")), /subdirectory of itself/);

    await fs.move(pjoin(dir, "c"), pjoin(dir, "d"));
    assert.equal(fs.existsSync(pjoin(dir, "c")), false);
    await fs.ensureDir(pjoin(dir, "e"));
    await assert.rejects(fs.move(pjoin(dir, "d"), pjoin(dir, "e")), /already exists/);
    fs.moveSync(pjoin(dir, "d"), pjoin(dir, "e"), { overwrite: true });
    assert.equal(await readFile(pjoin(dir, "e/b/f.txt"), "utf8"), "two");

    await fs.ensureSymlink(pjoin(dir, "e"), pjoin(dir, "links/e"));
    await fs.ensureSymlink(pjoin(dir, "e"), pjoin(dir, "links/e"));
    assert.equal(await readlink(pjoin(dir, "links/e")), pjoin(dir, "e"));
    await assert.rejects(fs.ensureSymlink(pjoin(dir, "a"), pjoin(dir, "links/e")), /already exists/);

    await fs.emptyDir(pjoin(dir, "e"));
    assert.deepEqual([...fs.walkSync(pjoin(dir, "e"))].map((w) => w.name), ["e"]);
    await fs.emptyDir(pjoin(dir, "fresh"));
    assert.equal(fs.existsSync(pjoin(dir, "fresh"), { isDirectory: true }), true);
    await assert.rejects(fs.copy(pjoin(dir, "nope"), pjoin(dir, "x")), (e: Error & { name: string }) => e.name === "NotFound");
  });
});

test("@std/fs: walk and expandGlob options", async () => {
  await withDir(async (dir) => {
    for (const f of ["src/a.ts", "src/b.js", "src/deep/c.ts", "src/deep/deeper/d.ts", "node_modules/x/i.ts"]) {
      await mkdir(pjoin(dir, f, ".."), { recursive: true });
      await writeFile(pjoin(dir, f), "");
    }
    const rel = (entries: Array<{ path: string }>) => entries.map((e) => path.relative(dir, e.path) || ".");
    const all: fs.WalkEntry[] = [];
    for await (const e of fs.walk(dir, { exts: ["ts"], skip: [/node_modules/] })) all.push(e);
    assert.deepEqual(rel(all), ["src/a.ts", "src/deep/c.ts", "src/deep/deeper/d.ts"]);
    assert.ok(all.every((e) => e.isFile && !e.isDirectory && !e.isSymlink));
    assert.deepEqual(rel([...fs.walkSync(dir, { maxDepth: 2, includeFiles: false })]), [".", "node_modules", "node_modules/x", "src", "src/deep"]);
    assert.deepEqual(rel([...fs.walkSync(dir, { match: [/deep/], includeDirs: false })]), ["src/deep/c.ts", "src/deep/deeper/d.ts"]);
    const globbed: fs.WalkEntry[] = [];
    for await (const e of fs.expandGlob("src/**/*.ts", { root: dir })) globbed.push(e);
    assert.deepEqual(rel(globbed), ["src/a.ts", "src/deep/c.ts", "src/deep/deeper/d.ts"]);
    assert.deepEqual(rel([...fs.expandGlobSync("src/*.js", { root: dir })]), ["src/b.js"]);
  });
});

test("import maps: nearest deno.jsonc (comments, trailing commas) wins, then package.json dependencies", async () => {
  assert.deepEqual(JSON.parse(stripJsonc('{ "a": "x//y", /* c */ "b": [1, 2,], // tail\n }')), { a: "x//y", b: [1, 2] });
  await withDir(async (repo) => {
    await mkdir(pjoin(repo, "extensions/models/aws/lib"), { recursive: true });
    await writeFile(pjoin(repo, "package.json"), JSON.stringify({ dependencies: { lodash: "^4.17.0", local: "file:../x", zod: "^4" } }));
    await writeFile(pjoin(repo, "extensions/models/aws/deno.jsonc"), '{\n // map\n "imports": { "aws": "npm:@aws-sdk/client-s3@3.1090.0", "@std/path": "jsr:@std/path@^1", "lib/": "./lib/", },\n}\n');
    const maps = loadImportMaps(pjoin(repo, "extensions/models/aws/mod.ts"), repo);
    assert.equal(maps.map("aws"), "npm:@aws-sdk/client-s3@3.1090.0");
    assert.equal(maps.map("@std/path"), "jsr:@std/path@^1");
    assert.equal(maps.map("lib/x.ts"), pjoin(repo, "extensions/models/aws/lib/x.ts"));
    assert.equal(maps.map("lodash/fp"), "npm:lodash@^4.17.0/fp");
    assert.equal(maps.map("local"), null);
    assert.equal(maps.map("unknown"), null);
    assert.deepEqual(maps.files.sort(), [pjoin(repo, "extensions/models/aws/deno.jsonc"), pjoin(repo, "package.json")].sort());
    assert.ok(maps.candidates.includes(pjoin(repo, "deno.json")), "a map file created later is watched");
    assert.ok(!maps.candidates.some((c) => !c.startsWith(repo)), "never above the repo root");
  });
});
