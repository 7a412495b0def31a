/**
 * A writer fenced out of its lock must not commit: after `datastore lock release --force`
 * breaks a running method's model lock, the run fails with lock_lost and no new version
 * becomes visible.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a run whose model lock is force-released mid-run fails with lock_lost and commits nothing", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "fenced", "--json", "--repo-dir", repo])).stdout);
    const marker = join(repo, "..", "started");
    const run = spawn(
      process.execPath,
      [SWAMP_BIN, "model", "method", "run", "fenced", "execute", "--input", `run=touch ${marker}; echo working; sleep 3; echo done`, "--json", "--repo-dir", repo],
      { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    run.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    run.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => run.on("exit", (code) => resolve(code)));

    // Wait until the method's command is running (so the run holds its model lock).
    for (let i = 0; i < 400; i++) {
      if (existsSync(marker)) break;
      await sleep(25);
    }
    const released = parseJson(
      (await swamp(["datastore", "lock", "release", "--force", "--model", `command/shell/${created.id}`, "--json", "--repo-dir", repo])).stdout,
    );
    assert.equal(released.released, true, "the run held its model lock");

    const code = await exited;
    assert.notEqual(code, 0, `the fenced-out run must fail: ${stdout}`);
    assert.equal(parseJson(stderr).error.code, "lock_lost", stderr);

    for (const name of ["result", "log"]) {
      const versions = await swamp(["data", "versions", "fenced", name, "--json", "--repo-dir", repo]);
      const list = versions.code === 0 ? parseJson(versions.stdout).versions : [];
      assert.deepEqual(list, [], `no version of ${name} is visible`);
    }
    const dataDir = join(repo, ".swamp", "data", "command", "shell", created.id);
    for (const name of await readdir(dataDir).catch(() => [] as string[])) {
      for (const entry of await readdir(join(dataDir, name)).catch(() => [] as string[])) {
        assert.ok(!/^\d+$/.test(entry), `a version directory was left behind: ${name}/${entry}`);
      }
    }
  });
});
