/**
 * `swamp datastore setup filesystem` re-run after a copy that was killed part way: files already
 * copied with identical bytes count as done, a partial or different one is replaced, and the
 * destination ends complete and correct.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp, readdir, readFile, truncate, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

/** Regular files under `dir`, relative paths, sorted. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

async function repoWithData(repo: string, runs: number): Promise<void> {
  assert.equal((await swamp(["model", "create", "command/shell", "m", "--json", "--repo-dir", repo])).code, 0);
  for (let i = 0; i < runs; i++) {
    const r = await swamp(["model", "method", "run", "m", "execute", "--input", `run=seq 1 ${2000 + i}`, "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
  }
}

test("setup filesystem re-run after a killed copy: identical files kept, a truncated one replaced, destination complete", async () => {
  await withRepo(async (repo) => {
    await repoWithData(repo, 3);
    const source = join(repo, ".swamp");
    const before = { data: await snapshotTree(join(source, "data")), outputs: await snapshotTree(join(source, "outputs")) };
    const dest = join(repo, "..", "store");

    // What a kill mid-copy leaves: part of the tree copied, the last file cut short, one missing.
    await cp(join(source, "data"), join(dest, "data"), { recursive: true });
    const copied = (await filesUnder(join(dest, "data"))).filter((f) => f.endsWith("/raw"));
    assert.ok(copied.length >= 3);
    await truncate(join(dest, "data", copied[0] as string), 7);
    await rm(join(dest, "data", copied[1] as string));
    await writeFile(join(dest, "data", copied[2] as string), "different bytes");
    // A kill between writing a copy's temp file and renaming it into place leaves the temp file.
    const leftover = join(dirname(join(dest, "data", copied[0] as string)), ".raw.0123456789ab.tmp");
    await writeFile(leftover, "partial");

    const r = await swamp(["datastore", "setup", "filesystem", "--path", dest, "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = parseJson(r.stdout);
    assert.deepEqual(out.errors, []);
    assert.deepEqual(await snapshotTree(join(dest, "data")), before.data);
    assert.deepEqual(await snapshotTree(join(dest, "outputs")), before.outputs);
    assert.deepEqual((await readdir(join(dest, "data"), { recursive: true })).filter((f) => String(f).endsWith(".tmp")), [], "no temp file left");

    // The repo now reads its data from the new place.
    const got = parseJson((await swamp(["data", "get", "m", "log", "--json", "--repo-dir", repo])).stdout);
    assert.equal(got.version, 3);
    assert.equal(got.content.split("\n").length, 1 + 2002);
  });
});

test("setup filesystem killed with SIGKILL during the copy, then re-run until it succeeds", async () => {
  await withRepo(async (repo) => {
    await repoWithData(repo, 2);
    // Enough bytes that a copy takes a moment.
    const big = await swamp(["model", "method", "run", "m", "execute", "--input", "run=seq 1 3000000", "--json", "--repo-dir", repo]);
    assert.equal(big.code, 0, big.stderr);
    const source = join(repo, ".swamp");
    const before = await snapshotTree(join(source, "data"));
    const dest = join(repo, "..", "store");

    const markerBefore = await readFile(join(repo, ".swamp.yaml"), "utf8");
    let interrupted = 0;
    for (let attempt = 0; attempt < 5 && interrupted < 3; attempt++) {
      const child = spawn(process.execPath, [SWAMP_BIN, "datastore", "setup", "filesystem", "--path", dest, "--json", "--repo-dir", repo], {
        env: cleanEnv(),
        stdio: "ignore",
      });
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      // Kill as soon as the copy has put something into the destination.
      let started = false;
      for (let i = 0; i < 2000 && !started && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 2));
        started = (await readdir(join(dest, "data"), { recursive: true }).catch(() => [])).some((f) => String(f).endsWith("raw"));
      }
      child.kill("SIGKILL");
      await exited;
      if ((await readFile(join(repo, ".swamp.yaml"), "utf8")) !== markerBefore) break; // it finished first
      interrupted++;
    }
    assert.ok(interrupted >= 1, "at least one setup was killed part way through its copy");
    // Whatever the kills left behind, a plain re-run finishes the job.
    const r = await swamp(["datastore", "setup", "filesystem", "--path", dest, "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(parseJson(r.stdout).errors, []);
    assert.deepEqual(await snapshotTree(join(dest, "data")), before);
    assert.match(await readFile(join(repo, ".swamp.yaml"), "utf8"), /store/);
  });
});
