/**
 * A full disk while a method streams its output. The repo (and so its datastore, `.swamp/`)
 * lives on a small tmpfs mounted by the test (the suite runs as root); the method prints more
 * than fits. The run must fail with `disk_full` as one line, release its model lock, leave no
 * torn version, and the next run after freeing space must work.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";

/** A directory on its own tmpfs of `size` bytes, unmounted and removed afterwards. */
async function withSmallDisk<T>(size: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "swamp-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  try {
    return await fn(dir);
  } finally {
    execFileSync("umount", ["-l", dir]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every numeric version directory under the data root that lacks its metadata.yaml. */
function uncommittedVersions(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (!statSync(p).isDirectory()) continue;
    if (/^[1-9][0-9]*$/.test(entry) && !existsSync(join(p, "metadata.yaml"))) out.push(p);
    else uncommittedVersions(p, out);
  }
  return out;
}

test("a full disk while streaming a method's output: disk_full, one line, lock released, next run works", async () => {
  await withSmallDisk(4 * 1024 * 1024, async (disk) => {
    const repo = join(disk, "repo");
    assert.equal((await swamp(["repo", "init", repo, "--json"])).code, 0);
    assert.equal((await swamp(["model", "create", "command/shell", "big", "--json", "--repo-dir", repo])).code, 0);
    // Something to free afterwards.
    const filler = join(disk, "filler");
    await writeFile(filler, Buffer.alloc(512 * 1024));

    const run = await swamp(
      ["model", "method", "run", "big", "execute", "--input", "run=yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 12000000", "--json", "--repo-dir", repo],
      { timeoutMs: 120_000 },
    );
    assert.notEqual(run.code, 0);
    assert.doesNotMatch(run.stderr, /\n\s+at |node:events|Unhandled/, `a stack trace: ${run.stderr}`);
    const body = parseJson(run.stderr);
    assert.equal(body.error.code, "disk_full", run.stderr);
    assert.equal(body.error.stack, undefined);
    assert.match(body.error.message, /No space left/);

    // Text mode says the same in one line.
    const text = await swamp(["model", "method", "run", "big", "execute", "--input", "run=yes 0123456789 | head -c 12000000", "--repo-dir", repo], { timeoutMs: 120_000 });
    assert.notEqual(text.code, 0);
    const errorLines = text.stderr.split("\n").filter((l) => l.startsWith("Error:"));
    assert.equal(errorLines.length, 1, text.stderr);
    assert.match(errorLines[0] as string, /No space left on the device/);
    assert.doesNotMatch(text.stderr, /\n\s+at /);

    const locks = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(locks.models, [], "the model lock was released");
    assert.deepEqual(uncommittedVersions(join(repo, ".swamp", "data")), [], "no torn version left behind");
    const list = await swamp(["data", "versions", "big", "log", "--json", "--repo-dir", repo]);
    assert.notEqual(list.code, 0, "no log version was committed");

    await rm(filler);
    const again = await swamp(["model", "method", "run", "big", "execute", "--input", "run=echo recovered", "--json", "--repo-dir", repo]);
    assert.equal(again.code, 0, again.stderr);
    const view = parseJson(again.stdout);
    assert.equal(view.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "recovered");
    const got = parseJson((await swamp(["data", "get", "big", "log", "--json", "--repo-dir", repo])).stdout);
    assert.equal(got.content, "[stdout]\nrecovered");
  });
});

test("stdout closed by its reader (EPIPE): no crash, the run completes and releases its lock", async () => {
  await withRepo(async (repo) => {
    assert.equal((await swamp(["model", "create", "command/shell", "chatty", "--json", "--repo-dir", repo])).code, 0);
    const child = spawn(process.execPath, [SWAMP_BIN, "model", "method", "run", "chatty", "execute", "--input", "run=seq 1 200000", "--repo-dir", repo], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // Read the first chunk, then hang up like `| head -1` does.
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at |Unhandled/, stderr);
    assert.equal(code, 0, stderr);
    const locks = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(locks.models, []);
    const versions = parseJson((await swamp(["data", "versions", "chatty", "log", "--json", "--repo-dir", repo])).stdout);
    assert.equal(versions.versions.length, 1, "the run committed its log");
  });
});

test("stdout redirected onto a full device: one disk_full line on stderr, non-zero exit", async () => {
  await withRepo(async (repo) => {
    const full = openSync("/dev/full", "w");
    try {
      const r = spawnSync(process.execPath, [SWAMP_BIN, "model", "type", "search", "--json", "--repo-dir", repo], {
        env: cleanEnv(),
        stdio: ["ignore", full, "pipe"],
        encoding: "utf8",
      });
      assert.equal(r.status, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at |Unhandled/);
      assert.equal(parseJson(r.stderr).error.code, "disk_full");
    } finally {
      closeSync(full);
    }
  });
});
