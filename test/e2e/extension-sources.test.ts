/**
 * `swamp extension source add|list|rm` through the real CLI: a directory outside the repo
 * whose extensions load as if local (run by `model method run`), `--only`, removal, the
 * flat layout, a source path that went away, and the refusals.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withTempDir } from "../helpers/cli.js";
import { GREETER_ID, GREETER_MODEL, greeterDefinition, MEMORY_VAULT, writeSource } from "../plugins/fixtures.js";

const DEFINITION = greeterDefinition();

/** A repo with a greeter definition, and `shared/` next to it holding a model and a vault. */
async function withRepoAndSource(fn: (repo: string, shared: string) => Promise<void>, layout: "standard" | "flat" = "standard"): Promise<void> {
  await withTempDir(async (dir) => {
    const repo = join(dir, "repo");
    const init = await swamp(["repo", "init", repo, "--json"]);
    assert.equal(init.code, 0, init.stderr);
    await writeSource(repo, `models/@test/greeter/${GREETER_ID}.yaml`, DEFINITION);
    const shared = join(dir, "shared");
    if (layout === "standard") {
      await writeSource(shared, "extensions/models/greeter.ts", GREETER_MODEL);
      await writeSource(shared, "extensions/vaults/memory.ts", MEMORY_VAULT);
    } else {
      await writeSource(shared, "greeter.ts", GREETER_MODEL);
    }
    await fn(repo, shared);
  });
}

async function extensionTypes(repo: string): Promise<Array<{ kind: string; type: string; source: string; state: string; fingerprint: string; bundlePath: string }>> {
  const r = await swamp(["extension", "list", "--json", "--repo-dir", repo]);
  assert.equal(r.code, 0, r.stderr);
  return parseJson(r.stdout).catalog;
}

test("a model extension in a source directory runs via `model method run`, from the bundle cache the second time; rm stops loading it", async () => {
  await withRepoAndSource(async (repo, shared) => {
    const before = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.notEqual(before.code, 0, "not loadable before the source is added");

    const add = await swamp(["extension", "source", "add", "../shared", "--json", "--repo-dir", repo]);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(parseJson(add.stdout), { action: "added", path: "../shared", totalSources: 1 });
    assert.equal(await readFile(join(repo, ".swamp-sources.yaml"), "utf8"), "sources:\n  - path: ../shared\n", "stored as given");

    const run = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseJson(run.stdout).status, "succeeded");

    const list = await swamp(["extension", "source", "list", "--json", "--repo-dir", repo]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(parseJson(list.stdout), { sources: [{ path: "../shared", expandedPaths: [shared], status: "valid", resolvedKinds: ["models", "vaults"] }] });

    const first = await extensionTypes(repo);
    const greeter = first.find((e) => e.type === "@test/greeter");
    assert.equal(greeter?.state, "Indexed");
    assert.equal(greeter?.source, join(shared, "extensions", "models", "greeter.ts"));
    assert.ok(first.some((e) => e.type === "@test/memory-vault"));
    const again = (await extensionTypes(repo)).find((e) => e.type === "@test/greeter");
    assert.equal(again?.fingerprint, greeter?.fingerprint, "unchanged source: same cached bundle");
    assert.equal(again?.bundlePath, greeter?.bundlePath);
    assert.ok(greeter && existsSync(greeter.bundlePath) && greeter.bundlePath.startsWith(join(repo, ".swamp")), "bundles live in the repo's cache");

    const rm = await swamp(["extension", "source", "rm", "../shared", "--json", "--repo-dir", repo]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(parseJson(rm.stdout), { action: "removed", path: "../shared", totalSources: 0 });
    assert.equal(existsSync(join(repo, ".swamp-sources.yaml")), false, "the last rm deletes the file");
    const after = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.notEqual(after.code, 0, "no longer loaded");
    assert.deepEqual(await extensionTypes(repo), []);
  });
});

test("--only limits the kinds loaded from a source", async () => {
  await withRepoAndSource(async (repo, shared) => {
    const add = await swamp(["extension", "source", "add", shared, "--only", "vaults", "--json", "--repo-dir", repo]);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(parseJson(add.stdout), { action: "added", path: shared, only: ["vaults"], totalSources: 1 });
    assert.deepEqual(
      (await extensionTypes(repo)).map((e) => e.type),
      ["@test/memory-vault"],
    );
    const list = parseJson((await swamp(["extension", "source", "list", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(list.sources[0].only, ["vaults"]);
    assert.deepEqual(list.sources[0].resolvedKinds, ["vaults"]);
    const run = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.notEqual(run.code, 0, "the model kind is not loaded");

    const bad = await swamp(["extension", "source", "add", "../elsewhere", "--only", "models,bogus", "--json", "--repo-dir", repo]);
    assert.equal(bad.code, 2);
    assert.equal(parseJson(bad.stderr).error.code, "usage");
  });
});

test("a directory without extensions/<kind>s serves each kind its files export", async () => {
  await withRepoAndSource(async (repo) => {
    const add = await swamp(["extension", "source", "add", "../shared", "--repo-dir", repo]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Added extension source: \.\.\/shared \(models\)/);
    const run = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(run.code, 0, run.stderr);
  }, "flat");
});

test("a source path that went away is a warning, not a failure; list says path_not_found", async () => {
  await withRepoAndSource(async (repo) => {
    await writeFile(join(repo, ".swamp-sources.yaml"), "sources:\n  - path: ../gone\n  - path: ../shared\n");
    const search = await swamp(["model", "search", "--json", "--repo-dir", repo]);
    assert.equal(search.code, 0, search.stderr);
    parseJson(search.stdout);
    assert.match(search.stderr, /warning: Source path does not exist: \.\.\/gone/);
    const run = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(run.code, 0, `the other source still loads: ${run.stderr}`);
    const list = parseJson((await swamp(["extension", "source", "list", "--json", "--repo-dir", repo])).stdout);
    assert.equal(list.sources[0].status, "path_not_found");
    assert.deepEqual(list.sources[0].expandedPaths, []);
    assert.equal(list.sources[1].status, "valid");
  });
});

test("source add and rm refuse bad input with one line and a stable code", async () => {
  await withRepoAndSource(async (repo, shared) => {
    const codeOf = async (args: string[]) => {
      const r = await swamp([...args, "--json", "--repo-dir", repo]);
      assert.notEqual(r.code, 0, r.stdout);
      return parseJson(r.stderr).error.code;
    };
    assert.equal(await codeOf(["extension", "source", "rm", "../shared"]), "not_found", "no sources yet");
    assert.equal(await codeOf(["extension", "source", "add", "../missing"]), "not_found");
    await mkdir(join(shared, "..", "empty"));
    await writeFile(join(shared, "..", "empty", "notes.ts"), "export const x = 1;\n");
    assert.equal(await codeOf(["extension", "source", "add", "../empty"]), "source_no_extensions");
    assert.equal(await codeOf(["extension", "source", "add", "extensions/models"]), "conflict");
    assert.equal((await swamp(["extension", "source", "add", "../shared", "--repo-dir", repo])).code, 0);
    assert.equal(await codeOf(["extension", "source", "add", "../shared"]), "already_exists");
    assert.equal(await codeOf(["extension", "source", "rm", "../other"]), "not_found");
    const text = await swamp(["extension", "source", "add", "../missing", "--repo-dir", repo]);
    assert.equal(text.stderr.trim().split("\n").length, 1, text.stderr);
    // A glob that matches nothing yet is accepted.
    assert.equal((await swamp(["extension", "source", "add", "../later-*", "--repo-dir", repo])).code, 0);
    assert.equal(await readFile(join(repo, ".swamp-sources.yaml"), "utf8"), "sources:\n  - path: ../shared\n  - path: ../later-*\n");
  });
});

test("workflow sources are recorded and listed; ** and {a,b} globs expand", async () => {
  await withRepoAndSource(async (repo, shared) => {
    const flows = join(shared, "..", "flows");
    await writeSource(flows, "ci/release.yaml", "name: release\njobs:\n  - name: build\n");
    const added = await swamp(["extension", "source", "add", "../flows", "--only", "workflows", "--json", "--repo-dir", repo]);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(parseJson(added.stdout), { action: "added", path: "../flows", only: ["workflows"], totalSources: 1 });
    await writeSource(shared, "more/deep/extensions/vaults/memory.ts", MEMORY_VAULT);
    assert.equal((await swamp(["extension", "source", "add", "../{shared,nothing}/**/deep", "--repo-dir", repo])).code, 0);
    const list = await swamp(["extension", "source", "list", "--json", "--repo-dir", repo]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(parseJson(list.stdout).sources, [
      { path: "../flows", only: ["workflows"], expandedPaths: [flows], status: "valid", resolvedKinds: ["workflows"] },
      { path: "../{shared,nothing}/**/deep", expandedPaths: [join(shared, "more", "deep")], status: "valid", resolvedKinds: ["vaults"] },
    ]);
  });
});

/** A workflow that greets through the greeter definition. */
function greetWorkflow(id: string, name: string, description: string): string {
  return [
    `id: ${id}`,
    `name: ${name}`,
    `description: ${description}`,
    "jobs:",
    "  - name: main",
    "    steps:",
    "      - name: hello",
    "        task: { type: model_method, modelIdOrName: greeter, methodName: greet }",
    "",
  ].join("\n");
}

test("a source's workflows are found by search and get, run with run records, and are read-only; the repo's own file of the same name wins", async () => {
  await withRepoAndSource(async (repo, shared) => {
    const flowId = "7a0c1e2d-3b4f-4a5b-8c6d-7e8f90a1b2c3";
    await writeSource(shared, "workflows/greet-all.yaml", greetWorkflow(flowId, "greet-all", "Greets from a source"));
    await writeSource(shared, "workflows/clash.yaml", greetWorkflow("7a0c1e2d-3b4f-4a5b-8c6d-000000000001", "clash", "The source's clash"));
    const cli = (...args: string[]) => swamp([...args, "--repo-dir", repo]);
    assert.equal((await cli("extension", "source", "add", "../shared", "--json")).code, 0);

    const search = await cli("workflow", "search", "greet", "--json");
    assert.equal(search.code, 0, search.stderr);
    assert.deepEqual(parseJson(search.stdout).results, [
      { id: flowId, name: "greet-all", description: "Greets from a source", jobCount: 1, hasInputs: false, origin: { type: "source", source: "../shared" } },
    ]);
    const get = await cli("workflow", "get", "greet-all", "--json");
    assert.equal(get.code, 0, get.stderr);
    const shown = parseJson(get.stdout);
    assert.deepEqual([shown.path, shown.origin, shown.readOnly], [join(shared, "workflows", "greet-all.yaml"), { type: "source", source: "../shared" }, true]);
    assert.match((await cli("workflow", "get", "greet-all")).stdout, /^Origin: +extension source \.\.\/shared \(read-only\)$/m);

    const ran = await cli("workflow", "run", "greet-all", "--json");
    assert.equal(ran.code, 0, ran.stderr);
    const view = parseJson(ran.stdout);
    assert.deepEqual([view.status, view.workflowName], ["succeeded", "greet-all"]);
    assert.match(view.path, new RegExp(`^\\.swamp/workflow-runs/${flowId}/workflow-run-`), "run records are keyed by the workflow's id");
    const history = await cli("workflow", "history", "greet-all", "--json");
    assert.equal(history.code, 0, history.stderr);
    assert.equal(parseJson(history.stdout).id, view.id);

    // Read-only: one line, a stable code, the file untouched.
    const before = await readFile(join(shared, "workflows", "greet-all.yaml"), "utf8");
    const del = await cli("workflow", "delete", "greet-all", "--yes");
    assert.equal(del.code, 1);
    assert.equal(
      del.stderr.trim(),
      "Error: Cannot delete extension workflow 'greet-all'. Extension workflows are read-only. To remove it, delete the source file directly.",
    );
    assert.equal(parseJson((await cli("workflow", "delete", "greet-all", "--yes", "--json")).stderr).error.code, "workflow_read_only");
    const edit = await swamp(["workflow", "edit", "greet-all", "--json", "--repo-dir", repo], { input: greetWorkflow(flowId, "greet-all", "changed") });
    assert.equal(edit.code, 1);
    assert.equal(parseJson(edit.stderr).error.code, "workflow_read_only");
    assert.equal(await readFile(join(shared, "workflows", "greet-all.yaml"), "utf8"), before);

    // The repo's own workflow of the same name wins; validate warns about the shadowing.
    await writeSource(repo, "workflows/workflow-clash.yaml", greetWorkflow("7a0c1e2d-3b4f-4a5b-8c6d-000000000002", "clash", "The repo's clash"));
    assert.equal(parseJson((await cli("workflow", "get", "clash", "--json")).stdout).description, "The repo's clash");
    const validate = await cli("workflow", "validate", "--json");
    assert.equal(validate.code, 0, validate.stdout);
    const results = parseJson(validate.stdout).workflows;
    assert.deepEqual(results.map((r: { workflowName: string }) => r.workflowName).sort(), ["clash", "greet-all"]);
    const clash = results.find((r: { workflowName: string }) => r.workflowName === "clash");
    assert.match(clash.validations.find((c: { name: string }) => c.name === "Shadowed extension workflows").warning, /shadows the extension workflow 'clash' from extension source \.\.\/shared/);
  });
});
