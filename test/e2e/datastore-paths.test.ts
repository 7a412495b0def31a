/**
 * The datastore path policy through the real CLI: a filesystem datastore at the filesystem
 * root, a system directory, the repo root, the repo's secrets or /proc/self is refused with
 * `datastore_path_refused` before anything is created there (from SWAMP_DATASTORE and from
 * `datastore setup filesystem`), while an ordinary directory outside the repo works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

/** Entries a datastore run would create in its directory. */
const CREATED = ["data", "outputs", ".locks", ".datastore.lock"];

test("dangerous filesystem datastore paths are refused before anything is created", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    await mkdir(join(home, ".ssh"), { recursive: true });
    await symlink(join(home, ".ssh"), join(repo, "..", "innocent"));
    const env = { HOME: home, SWAMP_LOCK_TIMEOUT_MS: "3000" };
    const created = await swamp(["model", "create", "command/shell", "m", "--json", "--repo-dir", repo], { env });
    assert.equal(created.code, 0, created.stderr);
    const cases: Array<[string, RegExp]> = [
      ["/", /is the filesystem root/],
      ["/etc", /system directory \(\/etc\)/],
      ["/proc/self", /system directory \(\/proc\)/],
      [repo, /is the repository root/],
      [join(repo, ".swamp", "secrets"), /repository's secrets/],
      [join(repo, "models"), /source tree \(models\)/],
      [join(home, ".ssh"), /hidden folder of the home directory/],
      [join(repo, "..", "innocent"), /resolves to .*\.ssh/],
    ];
    for (const [path, reason] of cases) {
      const r = await swamp(["model", "method", "run", "m", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], {
        env: { ...env, SWAMP_DATASTORE: `filesystem:${path}` },
      });
      assert.equal(r.code, 1, `${path}: ${r.stdout}`);
      const error = parseJson(r.stderr).error;
      assert.equal(error.code, "datastore_path_refused", `${path}: ${error.message}`);
      assert.match(error.message, reason);
      assert.ok(error.message.includes(path), error.message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      if (!path.startsWith("/proc")) for (const entry of CREATED) assert.equal(existsSync(join(path, entry)), false, `${path}/${entry} was created`);
    }
    for (const entry of CREATED) assert.equal(existsSync(join(home, ".ssh", entry)), false);

    const setup = await swamp(["datastore", "setup", "filesystem", "--path", join(repo, "models", "store"), "--json", "--repo-dir", repo], { env });
    assert.equal(setup.code, 1);
    assert.equal(parseJson(setup.stderr).error.code, "datastore_path_refused");
    assert.equal(existsSync(join(repo, "models", "store")), false);
    assert.doesNotMatch(await readFile(join(repo, ".swamp.yaml"), "utf8"), /datastore/);
  });
});

test("an ordinary directory outside the repo is still a filesystem datastore", async () => {
  await withRepo(async (repo) => {
    const store = join(repo, "..", "store");
    const env = { HOME: join(repo, "..", "home"), SWAMP_DATASTORE: `filesystem:${store}` };
    await mkdir(store);
    assert.equal((await swamp(["model", "create", "command/shell", "m", "--json", "--repo-dir", repo], { env })).code, 0);
    const run = await swamp(["model", "method", "run", "m", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(store, "data")), "the run wrote into the configured store");

    const moved = join(repo, "..", "moved");
    const setup = await swamp(["datastore", "setup", "filesystem", "--path", moved, "--json", "--repo-dir", repo], { env: { HOME: env.HOME } });
    assert.equal(setup.code, 0, setup.stderr);
    assert.equal(parseJson(setup.stdout).path, moved);
  });
});
