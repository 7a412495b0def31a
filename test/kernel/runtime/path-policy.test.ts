/**
 * The datastore path policy: what each trust level refuses, symlinks judged by their real
 * path, and the host's decision of a datastore extension's directories.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostDatastoreDirs } from "../../../kernel/runtime/datastore-config.js";
import { checkPath, judgePath, realPathOf, requireDatastorePath, type PathAnchors } from "../../../kernel/runtime/path-policy.js";

const anchors: PathAnchors = { repoDir: "/work/repo", home: "/home/u", swampHome: "/home/u/.swamp" };

const refusedAtBoth: Array<[string, RegExp]> = [
  ["/", /filesystem root/],
  ["/proc/123", /system directory \(\/proc\)/],
  ["/proc", /system directory/],
  ["/sys/kernel", /system directory/],
  ["/dev/shm/x", /system directory/],
  ["/etc", /system directory \(\/etc\)/],
  ["/work/repo", /repository root/],
  ["/work", /contains the repository/],
  ["/home", /contains the home directory/],
  ["/home/u", /is the home directory/],
  ["/home/u/.swamp", /swamp's home folder/],
  ["/work/repo/models", /source tree \(models\)/],
  ["/work/repo/models/x", /source tree \(models\)/],
  ["/work/repo/workflows", /source tree/],
  ["/work/repo/extensions/datastores", /source tree/],
  ["/work/repo/.git", /source tree/],
  ["/work/repo/vaults", /source tree/],
  ["/work/repo/.swamp.yaml", /source tree/],
  ["/work/repo/.swamp/secrets", /secrets/],
  ["/work/repo/.swamp/secrets/local_encryption", /secrets/],
  ["/work/repo/.swamp/bundles", /bundles/],
  ["/home/u/.ssh", /hidden folder of the home directory \(~\/\.ssh\)|home directory outside swamp's own folders/],
  ["relative/dir", /absolute/],
];

for (const [path, reason] of refusedAtBoth) {
  test(`${path} is refused at both trust levels`, () => {
    for (const trust of ["user", "extension"] as const) {
      const verdict = judgePath(path, anchors, trust);
      assert.equal(verdict.ok, false, `${trust}: ${path}`);
      if (!verdict.ok) assert.match(verdict.reason, reason);
    }
  });
}

test("swamp's own folders and paths outside repo and home are allowed at both levels", () => {
  for (const path of ["/work/repo/.swamp", "/work/repo/.swamp/data", "/home/u/.swamp/repos/abc", "/srv/swamp-data", "/tmp/store", "/work/other"]) {
    for (const trust of ["user", "extension"] as const) assert.deepEqual(judgePath(path, anchors, trust), { ok: true }, `${trust}: ${path}`);
  }
});

test("a user-configured path may also be elsewhere in the repo or in a non-hidden home folder", () => {
  for (const path of ["/work/repo/.fs-store", "/home/u/swamp-data", "/home/u/.swamp/elsewhere"]) {
    assert.deepEqual(judgePath(path, anchors, "user"), { ok: true }, path);
    assert.equal(judgePath(path, anchors, "extension").ok, false, path);
  }
  const verdict = judgePath("/home/u/swamp-data", anchors, "extension");
  assert.ok(!verdict.ok && /home directory outside swamp's own folders/.test(verdict.reason));
});

test("the repo's .swamp is allowed when the repo is under the home directory", () => {
  const inHome: PathAnchors = { repoDir: "/home/u/code/repo", home: "/home/u", swampHome: "/home/u/.swamp" };
  assert.deepEqual(judgePath("/home/u/code/repo/.swamp", inHome, "extension"), { ok: true });
  assert.equal(judgePath("/home/u/code/repo/.swamp/secrets", inHome, "extension").ok, false);
  assert.equal(judgePath("/home/u/code/other", inHome, "extension").ok, false);
});

test("symlinks are judged by their real path; a missing path by its nearest existing ancestor", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-policy-"));
  try {
    const real = realPathOf(dir);
    const home = join(real, "home");
    const repo = join(real, "repo");
    await mkdir(join(home, ".ssh"), { recursive: true });
    await mkdir(join(repo, "models"), { recursive: true });
    await symlink(join(home, ".ssh"), join(real, "to-ssh"));
    await symlink(join(repo, "models"), join(real, "to-models"));
    const a: PathAnchors = { repoDir: repo, home, swampHome: join(home, ".swamp") };
    assert.equal(realPathOf(join(real, "to-ssh", "not", "yet")), join(home, ".ssh", "not", "yet"));
    for (const link of ["to-ssh", "to-ssh/sub", "to-models"]) {
      const verdict = checkPath(join(real, link), a, "user");
      assert.equal(verdict.ok, false, link);
      if (!verdict.ok) assert.match(verdict.reason, /^resolves to /);
    }
    assert.deepEqual(checkPath(join(real, "plain", "new"), a, "extension"), { ok: true });
    assert.throws(() => requireDatastorePath(join(real, "to-ssh"), a, "user", "The datastore path"), {
      code: "datastore_path_refused",
      message: /The datastore path .*to-ssh resolves to .*\.ssh, which is inside a hidden folder of the home directory/,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the host decides a datastore extension's directories from its config, else swamp's defaults", () => {
  const env = { HOME: "/home/u", DATA: "/srv/d" };
  assert.deepEqual(hostDatastoreDirs({}, "/work/repo", env, "/home/u/.swamp/repos/r1"), { data: "/work/repo/.swamp", cache: "/home/u/.swamp/repos/r1" });
  assert.deepEqual(hostDatastoreDirs({ path: "$DATA/x/", cachePath: "~/c" }, "/work/repo", env, "/unused"), { data: "/srv/d/x", cache: "/home/u/c" });
  assert.throws(() => hostDatastoreDirs({ path: "rel" }, "/work/repo", env, "/c"), { code: "datastore_config_invalid" });
  assert.throws(() => hostDatastoreDirs({ path: 3 }, "/work/repo", env, "/c"), { code: "datastore_config_invalid" });
});
