/**
 * Safe extraction with archives built in the test, entry by entry, including hostile ones.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { withTempDir } from "../../helpers/cli.js";
import { extractTarball } from "../../../plugins/registry/extract.js";

type Spec = { path: string; body?: string; type?: string; linkpath?: string; mode?: number };

/** A gzip'd tar of the given entries, headers encoded by `tar`'s Header. */
function archive(entries: Spec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const type = e.type ?? "File";
    const header = new Header({ path: e.path, type: type as never, size: type === "File" ? body.length : 0, mode: e.mode ?? (type === "Directory" ? 0o755 : 0o644), linkpath: e.linkpath, mtime: new Date(0), uid: 0, gid: 0 });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === "File" && body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const GOOD: Spec[] = [
  { path: "package/", type: "Directory" },
  { path: "package/package.json", body: '{"name":"@acme/x"}' },
  { path: "package/models/echo.ts", body: "export const model = {};\n" },
  { path: "package/files/bin/tool", body: "#!/bin/sh\n", mode: 0o755 },
  { path: "package/models/alias.ts", type: "SymbolicLink", linkpath: "echo.ts" },
  { path: "package/models/copy.ts", type: "Link", linkpath: "package/models/echo.ts" },
];

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

test("a well-formed package extracts under the destination without its package/ prefix", async () => {
  await withTempDir(async (dir) => {
    const dest = join(dir, "out", "@acme", "x");
    const result = await extractTarball(archive(GOOD), dest);
    assert.deepEqual(result.files, ["files/bin/tool", "models/alias.ts", "models/copy.ts", "models/echo.ts", "package.json"]);
    assert.equal(await readFile(join(dest, "models", "echo.ts"), "utf8"), "export const model = {};\n");
    assert.equal(await readFile(join(dest, "models", "copy.ts"), "utf8"), "export const model = {};\n");
    assert.equal(await readlink(join(dest, "models", "alias.ts")), "echo.ts");
    assert.equal((await lstat(join(dest, "files", "bin", "tool"))).mode & 0o111, 0o111, "executables stay executable");
    assert.deepEqual(await readdir(join(dir, "out", "@acme")), ["x"], "no temp dir left");
  });
});

const HOSTILE: Array<[string, Spec[], string]> = [
  ["a ../ entry", [{ path: "package/../../evil.ts", body: "x" }], "unsafe_archive"],
  ["a ../ in the middle", [{ path: "package/models/../../evil.ts", body: "x" }], "unsafe_archive"],
  ["an absolute path", [{ path: "/tmp/evil.ts", body: "x" }], "unsafe_archive"],
  ["an entry outside package/", [{ path: "other/evil.ts", body: "x" }], "unsafe_archive"],
  ["a symlink to an absolute path", [{ path: "package/l", type: "SymbolicLink", linkpath: "/etc/passwd" }], "unsafe_archive"],
  ["a symlink climbing out", [{ path: "package/l", type: "SymbolicLink", linkpath: "../../.." }], "unsafe_archive"],
  ["a file written through an archive symlink", [{ path: "package/l", type: "SymbolicLink", linkpath: "sub" }, { path: "package/l/x", body: "x" }], "unsafe_archive"],
  ["a hard link to a file outside", [{ path: "package/h", type: "Link", linkpath: "/etc/passwd" }], "unsafe_archive"],
  ["a hard link climbing out", [{ path: "package/h", type: "Link", linkpath: "package/../../secret" }], "unsafe_archive"],
  ["a hard link to nothing extracted", [{ path: "package/h", type: "Link", linkpath: "package/later" }, { path: "package/later", body: "x" }], "unsafe_archive"],
  ["a character device", [{ path: "package/dev", type: "CharacterDevice" }], "unsafe_archive"],
  ["a block device", [{ path: "package/dev", type: "BlockDevice" }], "unsafe_archive"],
  ["a FIFO", [{ path: "package/fifo", type: "FIFO" }], "unsafe_archive"],
  ["a backslash path", [{ path: "package\\..\\evil.ts", body: "x" }], "unsafe_archive"],
];

for (const [what, entries, code] of HOSTILE) {
  test(`refuses ${what}, writing nothing`, async () => {
    await withTempDir(async (dir) => {
      const dest = join(dir, "out", "x");
      // A good file first: a refused archive must not leave it behind either.
      assert.equal(await codeOf(extractTarball(archive([{ path: "package/ok.ts", body: "ok" }, ...entries]), dest)), code);
      assert.deepEqual(await tree(join(dir, "out")), [], "nothing partial");
      assert.deepEqual((await readdir(dir)).sort(), ["out"].filter((d) => existsSync(join(dir, d))));
      assert.equal(existsSync(join(dir, "evil.ts")), false);
    });
  });
}

test("a gzip bomb stops at the size cap with input_too_large, writing nothing", async () => {
  await withTempDir(async (dir) => {
    const big = archive([{ path: "package/big.txt", body: "a".repeat(2 * 1024 * 1024) }]);
    assert.ok(big.length < 64 * 1024, "compresses well");
    assert.equal(await codeOf(extractTarball(big, join(dir, "x"), { maxBytes: 1024 * 1024 })), "input_too_large");
    assert.equal(existsSync(join(dir, "x")), false);
  });
});

test("too many entries is input_too_large", async () => {
  await withTempDir(async (dir) => {
    const many = Array.from({ length: 20 }, (_, i) => ({ path: `package/f${i}.txt`, body: "x" }));
    assert.equal(await codeOf(extractTarball(archive(many), join(dir, "x"), { maxEntries: 10 })), "input_too_large");
  });
});

test("garbage and a truncated archive are archive_invalid", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await codeOf(extractTarball(Buffer.from("not an archive"), join(dir, "x"))), "archive_invalid");
    const good = archive(GOOD);
    const { gunzipSync } = await import("node:zlib");
    const truncated = gzipSync(gunzipSync(good).subarray(0, 700));
    assert.equal(await codeOf(extractTarball(truncated, join(dir, "y"))), "archive_invalid");
    assert.equal(existsSync(join(dir, "y")), false);
    // Cut inside a file body at a block boundary.
    const long = gunzipSync(archive([{ path: "package/a.txt", body: "z".repeat(4000) }]));
    assert.equal(await codeOf(extractTarball(gzipSync(long.subarray(0, 2048)), join(dir, "z"))), "archive_invalid");
  });
});

test("an existing destination is kept unless replace is asked; replace swaps it whole", async () => {
  await withTempDir(async (dir) => {
    const dest = join(dir, "x");
    await mkdir(dest);
    await writeFile(join(dest, "mine.ts"), "local edit");
    assert.equal(await codeOf(extractTarball(archive(GOOD), dest)), "already_exists");
    assert.equal(await readFile(join(dest, "mine.ts"), "utf8"), "local edit");
    // A hostile archive with replace still leaves the old tree alone.
    assert.equal(await codeOf(extractTarball(archive([{ path: "package/../x", body: "" }]), dest, { replace: true })), "unsafe_archive");
    assert.deepEqual(await tree(dest), ["mine.ts"]);
    await extractTarball(archive(GOOD), dest, { replace: true });
    assert.equal(existsSync(join(dest, "mine.ts")), false);
    assert.ok(existsSync(join(dest, "models", "echo.ts")));
    assert.deepEqual(await readdir(dir), ["x"]);
  });
});
