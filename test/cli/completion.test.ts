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

/** Vault files as `vault search` reads them (one broken), and an extension bundle manifest: no secret is read. */
async function addVaultsAndExtensions(repo: string): Promise<void> {
  const vaults = join(repo, "vaults", "local_encryption");
  await mkdir(vaults, { recursive: true });
  for (const [id, name] of [["v1", "dev-secrets"], ["v2", "prod-keys"]]) {
    await writeFile(join(vaults, `${id}.yaml`), `id: ${id}\nname: ${name}\ntype: local_encryption\nconfig: {}\ncreatedAt: "2026-01-01T00:00:00.000Z"\n`);
  }
  await writeFile(join(vaults, "broken.yaml"), "name: [not a vault\n");
  const model = (type: string, exp: "model" | "extension", methods: string[]) => ({
    state: "Indexed",
    lastType: type,
    descriptor: { kind: "model", export: exp, type, name: type, description: "", methods: Object.fromEntries(methods.map((m) => [m, { description: "", arguments: {} }])) },
  });
  await mkdir(join(repo, ".swamp", "model-bundles"), { recursive: true });
  const entries = { "/src/thing.ts": model("@acme/thing", "model", ["deploy", "destroy"]), "/src/audit.ts": model("command/shell", "extension", ["audit"]) };
  await writeFile(join(repo, ".swamp", "model-bundles", "manifest.json"), JSON.stringify({ version: 1, kind: "model", builder: "x", entries, skipped: {} }));
  const index = { entries: [
    { id: "id-hello", name: "hello-world", type: "command/shell", tags: {}, path: "command/shell/id-hello.yaml", auto: false },
    { id: "id-thing", name: "thing-one", type: "@acme/thing", tags: {}, path: "@acme/thing/id-thing.yaml", auto: false },
  ], broken: [] };
  await writeFile(join(repo, ".swamp", "definitions-index.json"), JSON.stringify(index));
}

test("completes vault names from the vault files, and method names from the model's type, also type-first", async () => {
  await withIndexedRepo(async (repo) => {
    await addVaultsAndExtensions(repo);
    assert.deepEqual(await complete(["vault", "get", ""], env(repo)), ["dev-secrets", "prod-keys"]);
    assert.deepEqual(await complete(["vault", "put", "d"], env(repo)), ["dev-secrets"]);
    assert.deepEqual(await complete(["vault", "list-keys", ""], env(repo)), ["dev-secrets", "prod-keys"]);
    assert.deepEqual(await complete(["vault", "audit-trail", "--vault", "p"], env(repo)), ["prod-keys"]);
    assert.deepEqual(await complete(["vault", "create", "local_encryption", ""], env(repo)), [], "a new vault's name is not completed");

    // Built-in methods plus those an extension adds to the type; an extension type's from its manifest.
    assert.deepEqual(await complete(["model", "method", "run", "hello-world", ""], env(repo)), ["audit", "execute"]);
    assert.deepEqual(await complete(["model", "method", "describe", "hello-world", "e"], env(repo)), ["execute"]);
    assert.deepEqual(await complete(["model", "method", "run", "thing-one", "de"], env(repo)), ["deploy", "destroy"]);
    assert.deepEqual(await complete(["model", "method", "run", "nobody", ""], env(repo)), []);

    // `swamp model @<type> method run <method> <name>`
    assert.deepEqual(await complete(["model", "@comm"], env(repo)), ["@command/shell"]);
    assert.deepEqual(await complete(["model", "@command/shell", ""], env(repo)), ["method"]);
    assert.deepEqual(await complete(["model", "@command/shell", "method", ""], env(repo)), ["run"]);
    assert.deepEqual(await complete(["model", "@command/shell", "method", "run", ""], env(repo)), ["audit", "execute"]);
    assert.deepEqual(await complete(["model", "@acme/thing", "method", "run", "d"], env(repo)), ["deploy", "destroy"]);
    assert.deepEqual(await complete(["model", "@command/shell", "method", "run", "execute", ""], env(repo)), [], "the new model's name");
    assert.deepEqual(await complete(["model", "@command/shell", "method", "run", "execute", "--input-f"], env(repo)), ["--input-file"]);
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
