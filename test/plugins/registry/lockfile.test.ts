import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withTempDir } from "../../helpers/cli.js";
import { formatLockfile, lockfilePath, parseLockfile, readLockfile, updateLockfile, type Lockfile } from "../../../plugins/registry/lockfile.js";

const ENTRY = {
  version: "2026.08.12.1",
  integrity: "sha512-abc",
  files: [".swamp/pulled-extensions/@acme/store/models/z.ts", ".swamp/pulled-extensions/@acme/store/datastores/a.ts"],
  registry: "http://127.0.0.1:4873/",
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

test("lockfile path is <modelsDir>/upstream_extensions.json", () => {
  assert.equal(lockfilePath("/r", {}, {}), "/r/extensions/models/upstream_extensions.json");
  assert.equal(lockfilePath("/r", { modelsDir: "ext/m" }, {}), "/r/ext/m/upstream_extensions.json");
});

test("format: names sorted, keys in a fixed order then unknown keys sorted, files sorted, 2-space indent, final newline", () => {
  const lock: Lockfile = {
    "@zed/x": { files: ["b", "a"], zz: 1, version: "2026.01.01.1", aa: true },
    "@acme/store": { ...ENTRY, pulledAt: "2026-08-20T10:30:00.000Z", include: [] },
  };
  const text = formatLockfile(lock);
  assert.ok(text.endsWith("}\n"));
  const parsed = JSON.parse(text);
  assert.deepEqual(Object.keys(parsed), ["@acme/store", "@zed/x"]);
  assert.deepEqual(Object.keys(parsed["@acme/store"]), ["version", "pulledAt", "files", "integrity", "registry"], "an empty include is left out");
  assert.deepEqual(parsed["@acme/store"].files, [...ENTRY.files].sort());
  assert.deepEqual(Object.keys(parsed["@zed/x"]), ["version", "files", "aa", "zz"], "unknown fields are kept");
  assert.equal(formatLockfile(parseLockfile(text, "f")), text, "round trip is stable");
  assert.match(text, /^\{\n {2}"@acme\/store": \{\n {4}"version"/);
});

test("read is tolerant of old entries (no files, no integrity) and of an empty or missing file", async () => {
  assert.deepEqual(parseLockfile('{"@acme/old": {"version": "2025.01.01.1"}}', "f"), { "@acme/old": { version: "2025.01.01.1" } });
  assert.deepEqual(parseLockfile("", "f"), {});
  await withTempDir(async (dir) => assert.deepEqual(await readLockfile(join(dir, "nope.json")), {}));
});

test("a damaged lockfile is an error with a code, never an empty lockfile", () => {
  for (const text of ["{not json", "[]", '"x"', '{"@acme/a": 3}', '{"@acme/a": {}}', '{"@acme/a": {"version": 1}}', '{"not-a-name": {"version": "1"}}', '{"@acme/a": {"version": "1", "files": "x"}}']) {
    assert.equal(codeOf(() => parseLockfile(text, "f")), "lockfile_invalid", text);
  }
});

test("paths that leave the repo are refused", () => {
  for (const bad of ["../x", "a/../../x", "/etc/passwd", "a\\..\\b", ""]) {
    assert.equal(codeOf(() => parseLockfile(JSON.stringify({ "@acme/a": { version: "1", files: [bad] } }), "f")), "lockfile_invalid", bad);
  }
});

test("updateLockfile re-reads, applies the change, writes atomically and releases its lock", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "extensions", "models", "upstream_extensions.json");
    await updateLockfile(file, (l) => {
      l["@acme/store"] = ENTRY;
    });
    // Another writer's change lands between our writes: it is kept.
    const other = JSON.parse(await readFile(file, "utf8"));
    other["@acme/other"] = { version: "2026.01.02.1" };
    await writeFile(file, JSON.stringify(other));
    const result = await updateLockfile(file, (l) => {
      delete l["@acme/store"];
    });
    assert.deepEqual(Object.keys(result), ["@acme/other"]);
    assert.deepEqual(await readLockfile(file), { "@acme/other": { version: "2026.01.02.1" } });
    assert.equal(existsSync(`${file}.lock`), false);
  });
});

test("updateLockfile refuses to write over a damaged lockfile, and leaves it as it was", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "upstream_extensions.json");
    await writeFile(file, "{ broken");
    await assert.rejects(updateLockfile(file, () => ({})), (err: { code?: string }) => err.code === "lockfile_invalid");
    assert.equal(await readFile(file, "utf8"), "{ broken");
    assert.equal(existsSync(`${file}.lock`), false);
  });
});

test("a lock left by a dead process is broken; a live holder makes the write wait and then fail with lockfile_busy", async () => {
  await withTempDir(async (dir) => {
    await mkdir(dir, { recursive: true });
    const file = join(dir, "upstream_extensions.json");
    const { hostname } = await import("node:os");
    await writeFile(`${file}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), at: new Date().toISOString() }));
    await updateLockfile(file, (l) => {
      l["@acme/a"] = { version: "1" };
    });
    assert.deepEqual(Object.keys(await readLockfile(file)), ["@acme/a"]);

    await writeFile(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
    await assert.rejects(updateLockfile(file, () => ({})), (err: { code?: string }) => err.code === "lockfile_busy");
    assert.deepEqual(Object.keys(await readLockfile(file)), ["@acme/a"], "nothing written");
  });
});
