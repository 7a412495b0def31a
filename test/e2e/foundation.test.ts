/**
 * The foundation as a new user meets it: init a repo, check the datastore, break things.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo, withTempDir } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

test("swamp --version prints the package version", async () => {
  const r = await swamp(["--version"]);
  assert.equal(r.code, 0);
  const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
  assert.equal(r.stdout.trim(), pkg.version);
});

test("repo init creates the layout, marker and managed .gitignore", async () => {
  await withTempDir(async (dir) => {
    const repo = join(dir, "infra");
    const r = await swamp(["repo", "init", repo, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJson(r.stdout);
    assert.equal(out.path, repo);
    assert.equal(out.gitignoreAction, "created");
    assert.match(out.repoId, /^[0-9a-f-]{36}$/);
    const marker = await readFile(join(repo, ".swamp.yaml"), "utf8");
    assert.match(marker, /repoId: "[0-9a-f-]{36}"/);
    assert.match(marker, /gitignoreManaged: true/);
    const gitignore = await readFile(join(repo, ".gitignore"), "utf8");
    assert.match(gitignore, /# BEGIN swamp managed section - DO NOT EDIT\n[\s\S]*\.swamp\/[\s\S]*# END swamp managed section/);
    for (const d of ["models", "workflows", "vaults", ".swamp/data", ".swamp/outputs", ".swamp/secrets"]) {
      await readFile(join(repo, d)).catch((e: NodeJS.ErrnoException) => assert.equal(e.code, "EISDIR", d));
    }
  });
});

test("repo init refuses an initialised repo without --force, and --force keeps the repo id", async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, ".gitignore"), "node_modules/\n");
    const first = parseJson((await swamp(["repo", "init", dir, "--json"])).stdout);
    const again = await swamp(["repo", "init", dir, "--json"]);
    assert.equal(again.code, 1);
    assert.equal(parseJson(again.stderr).error.code, "already_initialized");
    const forced = await swamp(["repo", "init", dir, "--force", "--json"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(parseJson(forced.stdout).repoId, first.repoId);
    const gitignore = await readFile(join(dir, ".gitignore"), "utf8");
    assert.ok(gitignore.startsWith("node_modules/\n"), "user lines kept");
    assert.equal(gitignore.split("# BEGIN swamp managed section").length, 2, "one managed section");
  });
});

test("datastore status after init reports a healthy filesystem datastore", async () => {
  await withRepo(async (repo) => {
    const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJson(r.stdout);
    assert.equal(out.type, "filesystem");
    assert.equal(out.healthy, true);
    assert.equal(out.path, join(repo, ".swamp"));
    assert.equal(typeof out.latencyMs, "number");
    assert.deepEqual(out.directories, [
      "auto-definitions", "definitions-evaluated", "workflows-evaluated", "data", "outputs",
      "workflow-runs", "audit", "telemetry", "logs", "files",
    ]);
    const text = await swamp(["datastore", "status"], { cwd: repo });
    assert.equal(text.code, 0);
    assert.match(text.stdout, /Type:\s+filesystem/);
    assert.match(text.stdout, /Health:.*healthy/);
  });
});

test("datastore resolution priority: SWAMP_DATASTORE > --datastore > .swamp.yaml > default", async () => {
  await withRepo(async (repo) => {
    const fromYaml = join(repo, "..", "from-yaml");
    const fromFlag = join(repo, "..", "from-flag");
    const fromEnv = join(repo, "..", "from-env");
    for (const d of [fromYaml, fromFlag, fromEnv]) await mkdir(d);
    const marker = await readFile(join(repo, ".swamp.yaml"), "utf8");
    await writeFile(join(repo, ".swamp.yaml"), `${marker}datastore:\n  type: filesystem\n  path: ${fromYaml}\n`);
    const status = async (args: string[], env = {}) =>
      parseJson((await swamp(["datastore", "status", "--json", "--repo-dir", repo, ...args], { env })).stdout).path;
    assert.equal(await status([]), fromYaml);
    assert.equal(await status(["--datastore", `filesystem:${fromFlag}`]), fromFlag);
    assert.equal(await status(["--datastore", `filesystem:${fromFlag}`], { SWAMP_DATASTORE: `filesystem:${fromEnv}` }), fromEnv);
    assert.equal(await status([], { SWAMP_DATASTORE: "filesystem:$STORE_ROOT/from-env", STORE_ROOT: join(repo, "..") }), fromEnv);
  });
});

test("a missing datastore directory is reported unhealthy with the setup hint", async () => {
  await withRepo(async (repo) => {
    const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo], {
      env: { SWAMP_DATASTORE: `filesystem:${join(repo, "nowhere")}` },
    });
    assert.equal(r.code, 1);
    const out = parseJson(r.stdout);
    assert.equal(out.healthy, false);
    assert.match(out.message, /does not exist.*swamp datastore setup filesystem --path/);
  });
});

const badInputs: Array<{ name: string; yaml?: string; env?: Record<string, string>; args?: string[]; code: string; message: RegExp }> = [
  { name: "malformed YAML", yaml: "datastore: [unclosed\n", code: "config_invalid", message: /\.swamp\.yaml: invalid YAML/ },
  { name: "a field of the wrong type", yaml: "autoGc: maybe\n", code: "config_invalid", message: /\.swamp\.yaml: autoGc: / },
  {
    name: "an unknown datastore type in .swamp.yaml",
    yaml: "datastore:\n  type: \"@acme/nope\"\n",
    code: "datastore_unknown_type",
    message: /Unknown datastore type: "@acme\/nope"\. Available types: filesystem/,
  },
  {
    name: "a filesystem datastore without a path",
    yaml: "datastore:\n  type: filesystem\n",
    code: "config_invalid",
    message: /\.swamp\.yaml: datastore\.path: a filesystem datastore requires a 'path' field/,
  },
  {
    name: "a relative datastore path",
    yaml: "datastore:\n  type: filesystem\n  path: relative/store\n",
    code: "datastore_config_invalid",
    message: /datastore path "relative\/store" must be absolute/,
  },
  {
    name: "an unset variable in the datastore path",
    yaml: "datastore:\n  type: filesystem\n  path: $SWAMP_TEST_UNSET_VAR/store\n",
    code: "env_var_unset",
    message: /Environment variable "SWAMP_TEST_UNSET_VAR" is not set or empty/,
  },
  {
    name: "SWAMP_DATASTORE without a type",
    env: { SWAMP_DATASTORE: "/tmp/store" },
    code: "datastore_config_invalid",
    message: /Invalid SWAMP_DATASTORE format: "\/tmp\/store"/,
  },
  {
    name: "SWAMP_DATASTORE with invalid JSON",
    env: { SWAMP_DATASTORE: "@acme/store:{not json" },
    code: "datastore_config_invalid",
    message: /Invalid JSON config for datastore type "@acme\/store"/,
  },
  {
    name: "SWAMP_DATASTORE with a relative path",
    env: { SWAMP_DATASTORE: "filesystem:store" },
    code: "datastore_config_invalid",
    message: /must be absolute/,
  },
  {
    name: "SWAMP_DATASTORE naming an unknown type",
    env: { SWAMP_DATASTORE: "@acme/store:{}" },
    code: "datastore_unknown_type",
    message: /Unknown datastore type: "@acme\/store"/,
  },
  {
    name: "--datastore with an unset variable",
    args: ["--datastore", "filesystem:${SWAMP_TEST_UNSET_VAR}/x"],
    code: "env_var_unset",
    message: /SWAMP_TEST_UNSET_VAR/,
  },
];

for (const bad of badInputs) {
  test(`bad input: ${bad.name} → one clear line, exit 1, nothing written`, async () => {
    await withRepo(async (repo) => {
      await swamp(["datastore", "status", "--repo-dir", repo]);
      if (bad.yaml !== undefined) {
        const marker = await readFile(join(repo, ".swamp.yaml"), "utf8");
        await writeFile(join(repo, ".swamp.yaml"), marker + bad.yaml);
      }
      const before = await snapshotTree(join(repo, ".."));
      for (const args of [["datastore", "status"], ["datastore", "lock", "status"], ["datastore", "setup", "filesystem", "--path", join(repo, "..", "new-store")]]) {
        const text = await swamp([...args, "--repo-dir", repo, ...(bad.args ?? [])], { env: bad.env ?? {} });
        assert.equal(text.code, 1, `${args.join(" ")}: ${text.stderr}`);
        assert.equal(text.stderr.trim().split("\n").length, 1, `one line: ${text.stderr}`);
        assert.match(text.stderr, /^Error: /);
        assert.match(text.stderr, bad.message);
        const json = await swamp([...args, "--json", "--repo-dir", repo, ...(bad.args ?? [])], { env: bad.env ?? {} });
        assert.equal(json.code, 1);
        assert.equal(json.stdout, "");
        const err = parseJson(json.stderr).error;
        assert.equal(err.code, bad.code);
        assert.match(err.message, bad.message);
        assert.equal(err.stack, undefined, "no stack trace without --verbose");
      }
      assert.deepEqual(await snapshotTree(join(repo, "..")), before);
    });
  });
}

test("commands outside a repo say so", async () => {
  await withTempDir(async (dir) => {
    const r = await swamp(["datastore", "status", "--json", "--repo-dir", dir]);
    assert.equal(r.code, 1);
    assert.equal(parseJson(r.stderr).error.code, "not_a_repo");
  });
});

test("usage errors exit 2 with a code under --json", async () => {
  const unknown = await swamp(["datastore", "frobnicate", "--json"]);
  assert.equal(unknown.code, 2);
  assert.equal(parseJson(unknown.stderr).error.code, "usage");
  const noForce = await swamp(["datastore", "lock", "release", "--json"]);
  assert.equal(noForce.code, 2);
  assert.match(parseJson(noForce.stderr).error.message, /--force/);
  const help = await swamp(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^  datastore +Choose where runtime data lives/m);
});

test("--help works on commands and groups list their commands", async () => {
  const help = await swamp(["data", "get", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /swamp data get/);
  assert.doesNotMatch(help.stdout, /\u001b\[/, "no colours when stdout is not a terminal");
  const group = await swamp(["data"]);
  assert.equal(group.code, 2);
  assert.match(group.stdout, /^Usage: swamp data <command> \[options\]\n\nCommands:\n {2}get +Show one version/m);
});
