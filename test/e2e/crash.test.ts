/**
 * A `swamp model method run` killed with SIGKILL in the middle of writing its streamed log:
 * the next run takes the dead holder's lock at once, nothing half-written is visible, and the
 * version numbers carry on past the abandoned one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("kill -9 mid-write: the next run proceeds, no torn version is visible, versions carry on", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "crashy", "--json", "--repo-dir", repo])).stdout);
    const logDir = join(repo, ".swamp", "data", "command", "shell", created.id, "log");
    const run = spawn(
      process.execPath,
      [SWAMP_BIN, "model", "method", "run", "crashy", "execute", "--input", "run=i=0; while [ $i -lt 200000 ]; do echo line $i; i=$((i+1)); done; sleep 5", "--repo-dir", repo],
      { env: cleanEnv(), stdio: "ignore" },
    );
    // Wait until the streamed log is being written into its claimed (uncommitted) version.
    let writing = false;
    for (let i = 0; i < 200 && !writing; i++) {
      await sleep(50);
      try {
        writing = (await stat(join(logDir, "1", "raw"))).size > 10_000;
      } catch {
        // not claimed yet
      }
    }
    assert.ok(writing, "the run started streaming its log");
    run.kill("SIGKILL");
    await new Promise((r) => run.on("exit", r));

    // The abandoned version has content but no metadata: it does not exist for readers.
    assert.deepEqual((await readdir(join(logDir, "1"))).sort(), ["raw"]);
    const empty = await swamp(["data", "list", "crashy", "--json", "--repo-dir", repo]);
    const names = empty.code === 0 ? parseJson(empty.stdout).groups.flatMap((g: { items: Array<{ name: string }> }) => g.items.map((x) => x.name)) : [];
    assert.ok(!names.includes("log"), `an uncommitted log is listed: ${names}`);
    const query = parseJson((await swamp(["data", "query", 'name == "log"', "--json", "--repo-dir", repo])).stdout);
    assert.equal(query.total, 0);

    // The dead process's model lock is taken over at once (same host, dead pid).
    const started = Date.now();
    const again = await swamp(["model", "method", "run", "crashy", "execute", "--input", "run=echo recovered", "--json", "--repo-dir", repo]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(Date.now() - started < 20_000, "no wait for the TTL");
    const view = parseJson(again.stdout);
    assert.equal(view.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "recovered");
    assert.equal(view.dataArtifacts.find((a: { name: string }) => a.name === "log").version, 2, "the abandoned version number is not reused");

    const versions = parseJson((await swamp(["data", "versions", "crashy", "log", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(versions.versions.map((v: { version: number }) => v.version), [2]);
    const got = parseJson((await swamp(["data", "get", "crashy", "log", "--json", "--repo-dir", repo])).stdout);
    assert.equal(got.content, "[stdout]\nrecovered");
    const lock = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(lock.models, []);
  });
});
