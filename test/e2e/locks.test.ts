/**
 * Lock behaviour through the real CLI: waiting past the deadline exits 75 naming the holder,
 * lock status shows holders, and the breakglass release only breaks what it inspected.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelLockKey } from "../../kernel/contract/ports/datastore.js";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

const HOLDER = fileURLToPath(new URL("./fixtures/hold-lock.js", import.meta.url));

async function holdLock(datastorePath: string, lockKey: string, holdMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, datastorePath, lockKey, String(holdMs)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => d.includes("acquired") && resolve());
    child.on("exit", (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return child;
}

test("a waiter past maxWait exits 75 naming the holder, and changes nothing", async () => {
  await withRepo(async (repo) => {
    const ds = join(repo, ".swamp");
    const holder = await holdLock(ds, ".datastore.lock", 20_000);
    try {
      const before = await snapshotTree(join(repo, ".."));
      const started = Date.now();
      const r = await swamp(["datastore", "setup", "filesystem", "--path", join(repo, "..", "elsewhere"), "--json", "--repo-dir", repo], {
        env: { SWAMP_LOCK_TIMEOUT_MS: "800" },
      });
      assert.equal(r.code, 75, r.stderr);
      assert.ok(Date.now() - started < 15_000);
      const err = parseJson(r.stderr).error;
      assert.equal(err.code, "lock_timeout");
      assert.match(err.message, new RegExp(`held by .*@.* \\(pid ${holder.pid}\\)`));
      const text = await swamp(["datastore", "setup", "filesystem", "--path", join(repo, "..", "elsewhere"), "--repo-dir", repo], {
        env: { SWAMP_LOCK_TIMEOUT_MS: "300" },
      });
      assert.equal(text.code, 75);
      assert.match(text.stderr, /^Error: Lock ".*\.datastore\.lock" held by .* timed out after \d+ms/);
      const after = await snapshotTree(join(repo, ".."));
      assert.deepEqual(after, before);
    } finally {
      holder.kill("SIGKILL");
    }
  });
});

test("lock status shows the global and per-model holders; release --force breaks them", async () => {
  await withRepo(async (repo) => {
    const ds = join(repo, ".swamp");
    const free = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(free, { held: false, datastoreType: "filesystem", models: [] });

    const globalHolder = await holdLock(ds, ".datastore.lock", 60_000);
    const modelHolder = await holdLock(ds, modelLockKey("@acme/aws/vpc", "1234-abcd"), 60_000);
    try {
      const status = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
      assert.equal(status.held, true);
      assert.equal(status.info.pid, globalHolder.pid);
      assert.equal(status.stale, false);
      assert.equal(status.models.length, 1);
      assert.equal(status.models[0].lockScope, "@acme/aws/vpc/1234-abcd");
      assert.equal(status.models[0].info.pid, modelHolder.pid);

      const wrongNonce = parseJson((await swamp(["datastore", "lock", "release", "--force", "--nonce", "nope", "--json", "--repo-dir", repo])).stdout);
      assert.equal(wrongNonce.released, false);
      assert.match(wrongNonce.reason, /lock holder changed/);

      const released = parseJson((await swamp(["datastore", "lock", "release", "--force", "--nonce", status.info.nonce, "--json", "--repo-dir", repo])).stdout);
      assert.equal(released.released, true);
      assert.equal(released.previousHolder.pid, globalHolder.pid);

      const model = parseJson((await swamp(["datastore", "lock", "release", "--force", "--model", "@acme/aws/vpc/1234-abcd", "--json", "--repo-dir", repo])).stdout);
      assert.equal(model.released, true);
      const after = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
      assert.deepEqual(after, { held: false, datastoreType: "filesystem", models: [] });

      const none = parseJson((await swamp(["datastore", "lock", "release", "--force", "--json", "--repo-dir", repo])).stdout);
      assert.deepEqual(none, { released: false, reason: "no lock held" });
    } finally {
      globalHolder.kill("SIGKILL");
      modelHolder.kill("SIGKILL");
    }
  });
});

test("datastore setup filesystem moves the data and can be re-run", async () => {
  await withRepo(async (repo) => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(join(repo, ".swamp", "data", "x"), { recursive: true });
    await writeFile(join(repo, ".swamp", "data", "x", "f.txt"), "hello");
    const target = join(repo, "..", "store");
    const r = await swamp(["datastore", "setup", "filesystem", "--path", target, "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJson(r.stdout);
    assert.equal(out.filesCopied, 1);
    assert.equal(out.bytesCopied, 5);
    assert.deepEqual(out.errors, []);
    assert.equal(await readFile(join(target, "data", "x", "f.txt"), "utf8"), "hello");
    await assert.rejects(readFile(join(repo, ".swamp", "data", "x", "f.txt")), { code: "ENOENT" });
    assert.match(await readFile(join(repo, ".swamp.yaml"), "utf8"), new RegExp(`type: "filesystem"[\\s\\S]*path: "${target}"`));
    const status = parseJson((await swamp(["datastore", "status", "--json", "--repo-dir", repo])).stdout);
    assert.equal(status.path, target);
    assert.equal(status.healthy, true);
    const again = await swamp(["datastore", "setup", "filesystem", "--path", target, "--json", "--repo-dir", repo]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(parseJson(again.stdout).filesCopied, 0);
  });
});
