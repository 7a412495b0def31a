/**
 * One staleness rule, through the real CLI: a lock's last sign of life is the newest of its body
 * timestamp and its file's mtime (on the reader's clock, a body dated in the future counting no
 * later than the file's mtime). Legacy, partial and garbage lock bodies never make a waiter
 * spin: each wait sleeps, honours SWAMP_LOCK_TIMEOUT_MS, and a stale lock is taken over.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { modelLockKey } from "../../kernel/contract/lock-keys.js";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

const MINUTE = 60_000;

/** A lock file with `body`, its mtime set `mtimeAgoMs` in the past. */
async function plantLock(path: string, body: string, mtimeAgoMs: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
  const at = new Date(Date.now() - mtimeAgoMs);
  await utimes(path, at, at);
}

function lockBody(fields: Record<string, unknown>): string {
  return JSON.stringify({ holder: "ops@elsewhere", hostname: "elsewhere", pid: 4242, ttlMs: 30_000, ...fields }, null, 2);
}

const FAST = { SWAMP_LOCK_TIMEOUT_MS: "1500" };

async function createShell(repo: string, name: string): Promise<string> {
  const r = await swamp(["model", "create", "command/shell", name, "--json", "--repo-dir", repo]);
  assert.equal(r.code, 0, r.stderr);
  return parseJson(r.stdout).id as string;
}

const staleBodies: Array<[string, string]> = [
  ["a legacy body without nonce or hostname", JSON.stringify({ holder: "old@box", pid: 999_999, acquiredAt: "2020-01-01T00:00:00.000Z", ttlMs: 30_000 })],
  ["a body missing fields", JSON.stringify({ holder: "old@box" })],
  ["a garbage body", "\u0000not json at all{{"],
];

for (const [what, body] of staleBodies) {
  test(`a stale global lock with ${what} neither spins nor blocks a model write or gc`, async () => {
    await withRepo(async (repo) => {
      await createShell(repo, "m");
      const lockPath = join(repo, ".swamp", ".datastore.lock");
      await plantLock(lockPath, body, 10 * MINUTE);
      const run = await swamp(["model", "method", "run", "m", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
      assert.equal(run.code, 0, `model write: ${run.stderr}`);

      await plantLock(lockPath, body, 10 * MINUTE);
      const gc = await swamp(["data", "gc", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
      assert.equal(gc.code, 0, `gc: ${gc.stderr}`);
      await assert.rejects(readFile(lockPath), { code: "ENOENT" }, "gc took the stale lock over and released it");
    });
  });

  test(`a stale model lock with ${what} is taken over by the next run`, async () => {
    await withRepo(async (repo) => {
      const id = await createShell(repo, "m");
      await plantLock(join(repo, ".swamp", modelLockKey("command/shell", id)), body, 10 * MINUTE);
      const run = await swamp(["model", "method", "run", "m", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await readdir(join(repo, ".swamp", ".locks", "models")), []);
    });
  });
}

test("a model write waiting on a live global lock of a host whose clock is 2 minutes behind exits 75 and leaves the lock alone", async () => {
  await withRepo(async (repo) => {
    await createShell(repo, "m");
    const lockPath = join(repo, ".swamp", ".datastore.lock");
    // The holder's clock is behind: its body looks 2 minutes old, but the file was just written.
    const body = lockBody({ acquiredAt: new Date(Date.now() - 2 * MINUTE).toISOString(), nonce: "live-holder" });
    await plantLock(lockPath, body, 0);
    const status = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.equal(status.stale, false, "lock status judges by the same rule");
    const started = Date.now();
    const run = await swamp(["model", "method", "run", "m", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
    assert.equal(run.code, 75, run.stderr);
    assert.ok(Date.now() - started < 15_000);
    assert.match(parseJson(run.stderr).error.message, /held by ops@elsewhere \(pid 4242\)/);
    assert.equal(await readFile(lockPath, "utf8"), body, "the live lock was not deleted");
  });
});

test("gc waits for a live model lock of a host whose clock is 2 minutes behind", async () => {
  await withRepo(async (repo) => {
    const id = await createShell(repo, "m");
    const lockPath = join(repo, ".swamp", modelLockKey("command/shell", id));
    const body = lockBody({ acquiredAt: new Date(Date.now() - 2 * MINUTE).toISOString(), nonce: "live-writer" });
    await plantLock(lockPath, body, 0);
    const gc = await swamp(["data", "gc", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
    assert.equal(gc.code, 75, gc.stderr);
    assert.equal(parseJson(gc.stderr).error.code, "lock_timeout");
    assert.equal(await readFile(lockPath, "utf8"), body);
    await assert.rejects(readFile(join(repo, ".swamp", ".datastore.lock")), { code: "ENOENT" }, "gc released its global lock");
  });
});

test("a lock dated in the future is stale once its file has not been touched for longer than its TTL", async () => {
  await withRepo(async (repo) => {
    await createShell(repo, "m");
    const lockPath = join(repo, ".swamp", ".datastore.lock");
    const body = lockBody({ acquiredAt: new Date(Date.now() + 60 * MINUTE).toISOString(), nonce: "from-the-future" });
    await plantLock(lockPath, body, 5 * MINUTE);
    const status = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.equal(status.stale, true);
    const run = await swamp(["model", "method", "run", "m", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
    assert.equal(run.code, 0, run.stderr);
    await plantLock(lockPath, body, 5 * MINUTE);
    const gc = await swamp(["data", "gc", "--json", "--repo-dir", repo], { env: FAST, timeoutMs: 20_000 });
    assert.equal(gc.code, 0, gc.stderr);
  });
});
