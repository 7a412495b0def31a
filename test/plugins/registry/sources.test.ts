import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withTempDir } from "../../helpers/cli.js";
import { execFileSync } from "node:child_process";
import { detectKinds, detectWorkflowDirs, expandSourcePath, expandVariables, parseOnly, readSources, resolveSource, resolveSourceDirs, sourceBase, writeSources } from "../../../plugins/registry/sources.js";

async function touch(path: string, text = ""): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
}

test("paths expand ~, $VAR and ${VAR}, relative to the repo", () => {
  const env = { HOME: "/home/u", EXT: "/opt/ext" };
  assert.equal(expandVariables("~/x", "/repo", env), "/home/u/x");
  assert.equal(expandVariables("$EXT/a", "/repo", env), "/opt/ext/a");
  assert.equal(expandVariables("${EXT}/b", "/repo", env), "/opt/ext/b");
  assert.equal(expandVariables("../shared", "/work/repo", env), "/work/shared");
});

test("globs match one segment at a time and only directories", async () => {
  await withTempDir(async (dir) => {
    await mkdir(join(dir, "ext", "model", "aws"), { recursive: true });
    await mkdir(join(dir, "ext", "model", "gcp"), { recursive: true });
    await touch(join(dir, "ext", "model", "notes.txt"));
    assert.deepEqual(await expandSourcePath("ext/model/*", dir, {}), [join(dir, "ext", "model", "aws"), join(dir, "ext", "model", "gcp")]);
    assert.deepEqual(await expandSourcePath("ext/*/a?s", dir, {}), [join(dir, "ext", "model", "aws")]);
    assert.deepEqual(await expandSourcePath("nothing-*", dir, {}), []);
    assert.deepEqual(await expandSourcePath("ext/model/notes.txt", dir, {}), [], "a file is not a source");
  });
});

test("layout: the source's own .swamp.yaml dirs, else extensions/<kind>s, else the dir for what its files export", async () => {
  await withTempDir(async (dir) => {
    const own = join(dir, "own");
    await touch(join(own, ".swamp.yaml"), "modelsDir: src/models\n");
    await touch(join(own, "src", "models", "m.ts"), "export const model = {};\n");
    assert.deepEqual(await detectKinds(own, undefined), { model: [join(own, "src", "models")] });

    const std = join(dir, "std");
    await mkdir(join(std, "extensions", "models"), { recursive: true });
    await mkdir(join(std, "extensions", "vaults"), { recursive: true });
    assert.deepEqual(await detectKinds(std, undefined), { model: [join(std, "extensions", "models")], vault: [join(std, "extensions", "vaults")] });
    assert.deepEqual(await detectKinds(std, ["vaults"]), { vault: [join(std, "extensions", "vaults")] });

    const flat = join(dir, "flat");
    await touch(join(flat, "store.ts"), "export const datastore = {};\n");
    await touch(join(flat, "_lib", "helper.ts"), "export const vault = {};\n");
    await touch(join(flat, "x_test.ts"), "export const driver = {};\n");
    assert.deepEqual(await detectKinds(flat, undefined), { datastore: [flat] });
    assert.deepEqual(await detectKinds(flat, ["models"]), {});
  });
});

test("the file round-trips, --only is checked, and resolveSourceDirs warns about a missing path", async () => {
  await withTempDir(async (repo) => {
    assert.deepEqual(await readSources(repo), []);
    const ok = join(repo, "ok");
    await mkdir(join(ok, "extensions", "models"), { recursive: true });
    await writeSources(repo, [{ path: "./gone" }, { path: "ok", only: parseOnly("models") }]);
    assert.deepEqual(await readSources(repo), [{ path: "./gone" }, { path: "ok", only: ["models"] }]);
    const resolved = await resolveSourceDirs(repo, {}, {});
    assert.deepEqual(resolved.dirs, { model: [join(ok, "extensions", "models")] });
    assert.equal(resolved.warnings.length, 1);
    assert.match(resolved.warnings[0]!, /^Source path does not exist: \.\/gone/);
    assert.throws(() => parseOnly("models,nope"), (err: { code?: string }) => err.code === "usage");

    await writeFile(join(repo, ".swamp-sources.yaml"), "sources:\n  - only: [models]\n");
    await assert.rejects(readSources(repo), (err: { code?: string }) => err.code === "config_invalid");
    const broken = await resolveSourceDirs(repo, {}, {});
    assert.deepEqual(broken.dirs, {});
    assert.match(broken.warnings[0]!, /extension sources ignored/);
  });
});

test("globs: ** crosses directories, {a,b} picks alternatives; hidden directories are skipped", async () => {
  await withTempDir(async (dir) => {
    for (const d of ["ext/aws/ec2", "ext/aws/s3", "ext/gcp/gce", "ext/azure/vm", "ext/.hidden/x"]) await mkdir(join(dir, d), { recursive: true });
    assert.deepEqual(await expandSourcePath("ext/{aws,gcp}/*", dir, {}), ["ext/aws/ec2", "ext/aws/s3", "ext/gcp/gce"].map((d) => join(dir, d)));
    assert.deepEqual(await expandSourcePath("ext/**/s3", dir, {}), [join(dir, "ext/aws/s3")]);
    assert.deepEqual(await expandSourcePath(`${dir}/ext/**/v?`, dir, {}), [join(dir, "ext/azure/vm")], "absolute patterns too");
    assert.deepEqual(await expandSourcePath("ext/**/x", dir, {}), []);
  });
});

test("relative paths resolve against the main git worktree's root, so a linked worktree shares its sources", async () => {
  await withTempDir(async (dir) => {
    const main = join(dir, "main");
    const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, stdio: "pipe" });
    await mkdir(join(main, "sub"), { recursive: true });
    git(main, "init", "-q");
    await writeFile(join(main, "README"), "x\n");
    git(main, "add", "README");
    git(main, "commit", "-qm", "init");
    git(main, "worktree", "add", "-q", join(dir, "linked"));
    assert.equal(await sourceBase(join(dir, "linked")), main);
    assert.equal(await sourceBase(join(main, "sub")), main, "a swamp repo in a subdirectory of the checkout");
    assert.equal(await sourceBase(join(dir, "elsewhere")), join(dir, "elsewhere"), "outside git: the repo itself");
    await mkdir(join(main, "vendor", "ext", "extensions", "models"), { recursive: true });
    const resolved = await resolveSource({ path: "vendor/ext" }, join(dir, "linked"), {});
    assert.deepEqual(resolved.expandedPaths, [join(main, "vendor", "ext")]);
    assert.equal(resolved.status, "valid");
  });
});

test("workflows: a source's workflows/ directory, or YAML files with top-level jobs; recorded, listed, and restricted by --only; pulled extensions' workflows/ last", async () => {
  await withTempDir(async (dir) => {
    const std = join(dir, "std");
    await touch(join(std, "workflows", "deploy.yaml"), "name: deploy\njobs: []\n");
    await mkdir(join(std, "extensions", "models"), { recursive: true });
    assert.deepEqual(await detectWorkflowDirs(std, undefined), [join(std, "workflows")]);
    assert.deepEqual(await detectWorkflowDirs(std, ["models"]), []);
    const flat = join(dir, "flat");
    await touch(join(flat, "ci", "release.yml"), "jobs:\n  - name: build\n");
    await touch(join(flat, "notes.yaml"), "title: not a workflow\n");
    assert.deepEqual(await detectWorkflowDirs(flat, ["workflows"]), [flat]);
    assert.deepEqual(await detectWorkflowDirs(join(dir, "std", "extensions"), undefined), []);

    const only = await resolveSource({ path: "flat", only: ["workflows"] }, dir, {});
    assert.equal(only.status, "valid");
    assert.deepEqual(only.workflowDirs, [flat]);
    await writeSources(dir, [{ path: "std" }]);
    // Pulled extensions' workflows/ come after the sources, named by the extension.
    const pulled = join(dir, ".swamp", "pulled-extensions", "@acme", "flows");
    await touch(join(pulled, "manifest.yaml"), "name: '@acme/flows'\n");
    await touch(join(pulled, "workflows", "ship.yaml"), "jobs: []\n");
    await touch(join(dir, ".swamp", "pulled-extensions", "@acme", "models-only", "manifest.yaml"), "name: '@acme/models-only'\n");
    assert.deepEqual((await resolveSourceDirs(dir, {}, {})).workflows, [
      { dir: join(std, "workflows"), origin: { type: "source", source: "std" } },
      { dir: join(pulled, "workflows"), origin: { type: "pulled", extension: "@acme/flows" } },
    ]);
  });
});
