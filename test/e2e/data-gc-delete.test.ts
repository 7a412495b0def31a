/**
 * Destructive data commands through the real CLI: `data gc` pruning versions beyond the
 * policy (dry run and real run agree), and `data delete` of one version, a whole name and a
 * prefix batch. Without a TTY and without --yes, both refuse instead of waiting for input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { generateDataTree } from "../../bench/support/data-tree.js";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo, type RunResult } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

const HELLO = 'run=echo "Hello from the swamp!"';

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

async function helloWorld(repo: string, runs: number): Promise<void> {
  ok(await swamp(["model", "create", "command/shell", "hello-world", "--json"], { cwd: repo }), "model create");
  for (let i = 0; i < runs; i++) {
    ok(await swamp(["model", "method", "run", "hello-world", "execute", "--input", HELLO], { cwd: repo }), `run ${i + 1}`);
  }
}

const versionsOf = async (repo: string, name: string): Promise<number[]> =>
  parseJson(ok(await swamp(["data", "versions", "hello-world", name, "--json"], { cwd: repo }), "versions").stdout).versions.map(
    (v: any) => v.version,
  );

test("data gc prunes versions beyond the policy; the dry run predicts the real run exactly", async () => {
  await withRepo(async (repo) => {
    await helloWorld(repo, 12);
    const cli = (...args: string[]) => swamp(args, { cwd: repo });
    assert.deepEqual(await versionsOf(repo, "result"), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    const before = await snapshotTree(repo);
    const dry = parseJson(ok(await cli("data", "gc", "--dry-run", "--json"), "gc dry").stdout);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.dataEntriesExpired, 0);
    assert.deepEqual(dry.expiredEntries, []);
    // result and log keep 10 of 12 (gc: 10); the reports keep fewer, so at least 4 go.
    assert.ok(dry.versionsDeleted >= 4, `versionsDeleted ${dry.versionsDeleted}`);
    assert.ok(dry.bytesReclaimed > 0);
    const dryText = ok(await cli("data", "gc", "--dry-run"), "gc dry text").stdout;
    assert.equal(
      dryText,
      `GC dry run: would delete 0 expired items, would reclaim ${dry.versionsDeleted} excess versions (${dry.bytesReclaimed} bytes)\n`,
    );

    // Text mode without a TTY and without --yes refuses instead of prompting.
    const refused = await cli("data", "gc");
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--yes/);
    assert.deepEqual(await snapshotTree(repo), before, "dry runs and refusals change nothing");

    const real = parseJson(ok(await cli("data", "gc", "--json"), "gc").stdout);
    assert.deepEqual(real, { ...dry, dryRun: false });

    assert.deepEqual(await versionsOf(repo, "result"), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    assert.deepEqual(await versionsOf(repo, "log"), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    const v3 = parseJson(ok(await cli("data", "get", "hello-world", "result", "--version", "3", "--json"), "get v3").stdout);
    assert.equal(v3.content.stdout, "Hello from the swamp!");
    const gone = await cli("data", "get", "hello-world", "result", "--version", "2", "--json");
    assert.equal(gone.code, 1);
    assert.equal(parseJson(gone.stderr).error.code, "not_found");
    assert.equal(parseJson(ok(await cli("data", "get", "hello-world", "result", "--json"), "latest").stdout).version, 12);

    assert.equal(ok(await cli("data", "gc", "-y"), "gc again").stdout, "Nothing to clean up.\n");
    const again = parseJson(ok(await cli("data", "gc", "--json"), "gc again json").stdout);
    assert.deepEqual(again, { dataEntriesExpired: 0, versionsDeleted: 0, bytesReclaimed: 0, dryRun: false, expiredEntries: [] });
  });
});

test("data delete: one version, a whole name, a prefix batch (dry run first), and --all", async () => {
  await withRepo(async (repo) => {
    await helloWorld(repo, 3);
    const cli = (...args: string[]) => swamp(args, { cwd: repo });

    // Refuses without --yes when stdin is not a terminal; nothing changes.
    const snap = await snapshotTree(repo);
    const refused = await cli("data", "delete", "hello-world", "result", "--version", "1");
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^Error: .*--yes/);
    assert.deepEqual(await snapshotTree(repo), snap);

    const one = parseJson(ok(await cli("data", "delete", "hello-world", "result", "--version", "1", "--json"), "delete v1").stdout);
    assert.deepEqual(one, {
      modelId: one.modelId,
      modelName: "hello-world",
      modelType: "command/shell",
      dataName: "result",
      version: 1,
      versionsDeleted: 1,
    });
    assert.deepEqual(await versionsOf(repo, "result"), [3, 2]);

    // Deleting the latest version moves `latest` back.
    ok(await cli("data", "delete", "hello-world", "result", "--version", "3", "-y"), "delete v3");
    assert.equal(parseJson(ok(await cli("data", "get", "hello-world", "result", "--json"), "get").stdout).version, 2);

    const missing = await cli("data", "delete", "hello-world", "result", "--version", "7", "-y", "--json");
    assert.equal(missing.code, 1);
    assert.deepEqual(parseJson(missing.stderr).error.message, 'Version 7 does not exist for "result" (available versions: 2)');

    const whole = ok(await cli("data", "delete", "hello-world", "log", "--yes"), "delete log").stdout;
    assert.equal(whole, "Deleted 3 version(s) of log for hello-world (command/shell)\n");
    const getLog = await cli("data", "get", "hello-world", "log", "--json");
    assert.equal(parseJson(getLog.stderr).error.code, "not_found");

    const beforeDry = await snapshotTree(repo);
    const dry = parseJson(ok(await cli("data", "delete", "hello-world", "--prefix", "report-", "--dry-run", "--json"), "dry").stdout);
    assert.equal(dry.totalDeleted, 2);
    assert.equal(dry.totalVersionsDeleted, 6);
    assert.equal(dry.dryRun, true);
    assert.deepEqual(dry.failed, []);
    const dryText = ok(await cli("data", "delete", "hello-world", "--prefix", "report-", "--dry-run"), "dry text").stdout;
    assert.match(dryText, /^Would delete 2 data artifacts \(6 versions\) from hello-world \(command\/shell\):\n/);
    assert.deepEqual(await snapshotTree(repo), beforeDry);

    // JSON mode never prompts.
    const batch = parseJson(ok(await cli("data", "delete", "hello-world", "--prefix", "report-", "--json"), "batch").stdout);
    assert.equal(batch.totalDeleted, 2);
    assert.equal(batch.totalVersionsDeleted, 6);
    assert.equal(batch.dryRun, false);
    const list = parseJson(ok(await cli("data", "list", "hello-world", "--json"), "list").stdout);
    assert.deepEqual(list.groups.map((g: any) => g.type), ["resource"]);

    const noMatch = await cli("data", "delete", "hello-world", "--prefix", "report-", "-y", "--json");
    assert.equal(noMatch.code, 1);
    assert.equal(parseJson(noMatch.stderr).error.message, 'No data matching prefix "report-" found for model hello-world');

    const all = ok(await cli("data", "delete", "hello-world", "--all", "-f"), "delete all").stdout;
    assert.equal(all, "Deleted 1 data artifact(s) (1 version(s)) from hello-world (command/shell)\n");
    const empty = parseJson(ok(await cli("data", "list", "hello-world", "--json"), "list empty").stdout);
    assert.equal(empty.total, 0);
    assert.deepEqual(empty.groups, []);
  });
});

test("kill -9 in the middle of data gc -f: no torn version, the lock is taken over, a second gc finishes exactly the plan", async () => {
  await withRepo(async (repo) => {
    const dataRoot = join(repo, ".swamp", "data");
    const shape = { type: "bench/model", models: 40, names: 10, versions: 10 }; // policy: keep 5
    const { modelIds } = generateDataTree(dataRoot, shape);
    const modelDirs = modelIds.map((id) => join(dataRoot, shape.type, id));
    const dry = parseJson(ok(await swamp(["data", "gc", "--dry-run", "--json", "--repo-dir", repo]), "dry run").stdout);
    assert.equal(dry.versionsDeleted, 40 * 10 * 5);

    const gc = spawn(process.execPath, [SWAMP_BIN, "data", "gc", "-f", "--json", "--repo-dir", repo], { env: cleanEnv(), stdio: "ignore" });
    const exited = new Promise((r) => gc.on("exit", r));
    // Kill it as soon as it has moved a directory aside.
    let seen = false;
    let done = false;
    void exited.then(() => (done = true));
    while (!seen && !done) {
      for (const dir of modelDirs) {
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const name of names.filter((n) => !n.startsWith("."))) {
          if ((await readdir(join(dir, name)).catch(() => [] as string[])).some((e) => e.includes(".deleting-"))) seen = true;
        }
        if (seen) break;
      }
    }
    gc.kill("SIGKILL");
    await exited;
    assert.ok(seen, "gc was caught mid-way");

    // Every version directory is whole: metadata and content, or not there at all.
    for (const dir of modelDirs) {
      for (const name of (await readdir(dir)).filter((n) => !n.startsWith("."))) {
        for (const v of (await readdir(join(dir, name))).filter((e) => /^\d+$/.test(e))) {
          assert.deepEqual((await readdir(join(dir, name, v))).sort(), ["metadata.yaml", "raw"], `${name}/${v}`);
        }
      }
    }

    // The dead holder's global lock is taken over; the second run deletes the rest of the plan.
    const second = parseJson(ok(await swamp(["data", "gc", "-f", "--json", "--repo-dir", repo]), "second gc").stdout);
    assert.ok(second.versionsDeleted < dry.versionsDeleted);
    for (const dir of modelDirs) {
      assert.deepEqual((await readdir(dir)).filter((n) => n.includes(".deleting-")), []);
      for (const name of (await readdir(dir)).filter((n) => !n.startsWith("."))) {
        const entries = await readdir(join(dir, name));
        assert.deepEqual(entries.filter((e) => e.includes(".deleting-")), [], `${name}: no leftovers`);
        assert.deepEqual(entries.filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b), [6, 7, 8, 9, 10], name);
      }
    }
    // The index agrees with the files.
    const all = parseJson(ok(await swamp(["data", "query", "version >= 0", "--select", "version", "--limit", "100000", "--json", "--repo-dir", repo]), "query").stdout);
    assert.equal(all.total, 40 * 10 * 5);
    assert.ok(all.results.every((v: number) => v >= 6));
    const nothing = parseJson(ok(await swamp(["data", "gc", "--dry-run", "--json", "--repo-dir", repo]), "last dry run").stdout);
    assert.equal(nothing.versionsDeleted, 0);
  });
});
