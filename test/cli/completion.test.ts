import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { complete, completionScript } from "../../cli/completion.js";

/** A repo as the indexes describe it: two models (one with data), a workflow; no definition files at all. */
async function withIndexedRepo(fn: (repo: string) => Promise<void>): Promise<void> {
  const repo = await mkdtemp(join(tmpdir(), "swamp-complete-"));
  try {
    const entries = [
      { id: "id-hello", name: "hello-world", type: "command/shell", tags: {}, path: "command/shell/id-hello.yaml", auto: false },
      { id: "id-help", name: "helper", type: "command/shell", tags: {}, path: "command/shell/id-help.yaml", auto: false },
    ];
    await mkdir(join(repo, ".swamp"), { recursive: true });
    await writeFile(join(repo, ".swamp", "definitions-index.json"), JSON.stringify({ entries, broken: [] }));
    for (const name of ["result", "log"]) await mkdir(join(repo, ".swamp", "data", "command", "shell", "id-hello", name, "1"), { recursive: true });
    await writeFile(join(repo, ".swamp", "data", "command", "shell", "id-hello", ".index.jsonl"), "");
    await mkdir(join(repo, "workflows"));
    await writeFile(join(repo, "workflows", "workflow-nightly.yaml"), "");
    await writeFile(join(repo, "workflows", "notes.txt"), "");
    await fn(repo);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

const env = (repo: string) => ({ SWAMP_REPO_DIR: repo });

test("completes command words, including after a group and inside 'help'", async () => {
  assert.deepEqual(await complete(["da"], {}), ["data", "datastore"]);
  assert.deepEqual(await complete(["data", "g"], {}), ["gc", "get"]);
  assert.deepEqual(await complete(["model", "type", ""], {}), ["describe", "get", "list", "search"]);
  assert.deepEqual(await complete(["help", "data", "ver"], {}), ["versions"]);
  assert.deepEqual(await complete(["completion", ""], {}), ["bash", "fish", "zsh"]);
  assert.deepEqual(await complete(["nothing", ""], {}), []);
});

test("completes a command's options, and no options for positionals", async () => {
  assert.deepEqual(await complete(["data", "get", "--ver"], {}), ["--verbose", "--version"]);
  assert.ok((await complete(["model", "method", "run", "m", "x", "--"], {})).includes("--input"));
});

test("completes model, data and workflow names and model types from the repo's indexes", async () => {
  await withIndexedRepo(async (repo) => {
    assert.deepEqual(await complete(["model", "get", "hel"], env(repo)), ["hello-world", "helper"]);
    assert.deepEqual(await complete(["model", "get", "hello"], env(repo)), ["hello-world"]);
    assert.deepEqual(await complete(["data", "get", "hello-world", ""], env(repo)), ["log", "result"]);
    assert.deepEqual(await complete(["data", "get", "--model", "hello-world", "--name", "r"], env(repo)), ["result"]);
    assert.deepEqual(await complete(["data", "list", "--model", "h"], env(repo)), ["hello-world", "helper"]);
    assert.deepEqual(await complete(["workflow", "run", "n"], env(repo)), ["nightly"]);
    assert.deepEqual(await complete(["workflow", "run", ""], env(repo)), ["list", "nightly", "search"]);
    assert.deepEqual(await complete(["model", "create", "command/"], env(repo)), ["command/shell"]);
    assert.deepEqual(await complete(["model", "type", "describe", "@comm"], env(repo)), ["@command/shell"]);
    // --repo-dir on the line wins over $SWAMP_REPO_DIR.
    assert.deepEqual(await complete(["model", "get", "--repo-dir", repo, "hel"], { SWAMP_REPO_DIR: join(repo, "nowhere") }), ["hello-world", "helper"]);
    assert.deepEqual(await complete(["model", "get", "hel"], { SWAMP_REPO_DIR: join(repo, "nowhere") }), []);
  });
});

test("completion scripts for bash, zsh and fish call back 'swamp __complete'", async () => {
  for (const shell of ["bash", "zsh", "fish"] as const) assert.match(completionScript(shell), /swamp __complete -- /);
  assert.match(completionScript("bash"), /^complete -o default -F _swamp_complete swamp$/m);
  assert.match(completionScript("zsh"), /^compdef _swamp swamp$/m);
  assert.match(completionScript("fish"), /^complete -c swamp /m);
  // Each script parses in its shell, where that shell is installed (bash always is).
  const dir = await mkdtemp(join(tmpdir(), "swamp-complete-script-"));
  try {
    for (const shell of ["bash", "zsh", "fish"] as const) {
      const file = join(dir, `swamp.${shell}`);
      await writeFile(file, completionScript(shell));
      const check = spawnSync(shell, ["-n", file], { encoding: "utf8" });
      if ((check.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT" && shell !== "bash") continue;
      assert.equal(check.status, 0, `${shell} -n: ${check.stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
