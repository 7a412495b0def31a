/**
 * Definition commands through the real binary: edit (from piped YAML), delete, and the
 * describe commands for types and methods.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

test("model edit replaces a definition from piped YAML, bumps its version, and keeps its id", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "editme", "--json", "--repo-dir", repo])).stdout);
    const yaml = await readFile(join(repo, created.path), "utf8");
    const edited = yaml
      .replace("id: " + created.id, "id: 00000000-0000-4000-8000-000000000000")
      .replace("methods: {}", "methods:\n  execute:\n    arguments:\n      run: echo edited");
    const r = await swamp(["model", "edit", "editme", "--json", "--repo-dir", repo], { input: edited });
    assert.equal(r.code, 0, r.stderr);
    const out = parseJson(r.stdout);
    assert.equal(out.status, "updated");
    assert.equal(out.version, 2);
    const got = parseJson((await swamp(["model", "get", "editme", "--json", "--repo-dir", repo])).stdout);
    assert.equal(got.id, created.id, "the id cannot change");
    assert.equal(got.version, 2);
    assert.equal(got.methods.execute.arguments.run, "echo edited");

    const same = parseJson((await swamp(["model", "edit", "editme", "--json", "--repo-dir", repo], { input: edited })).stdout);
    assert.equal(same.status, "unchanged");
    assert.equal(same.version, 2, "no change, no bump");

    const before = await snapshotTree(repo);
    for (const [bad, pattern] of [
      ["methods: [unclosed", /Invalid YAML/],
      [yaml.replace("methods: {}", "methods:\n  execute:\n    arguments:\n      rnu: x"), /Unknown argument\(s\): rnu/],
      [yaml.replace("type: command/shell", "type: aws/other"), /type cannot change/],
    ] as const) {
      const failed = await swamp(["model", "edit", "editme", "--json", "--repo-dir", repo], { input: bad });
      assert.equal(failed.code, 1);
      assert.match(parseJson(failed.stderr).error.message, pattern);
    }
    assert.deepEqual(await snapshotTree(repo), before, "a rejected edit changes nothing");
  });
});

test("model delete refuses while data exists, then removes definition, data and run records with --force", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "gone", "--json", "--repo-dir", repo])).stdout);
    await swamp(["model", "method", "run", "gone", "execute", "--input", "run=echo x", "--repo-dir", repo]);
    const refused = await swamp(["model", "delete", "gone", "--json", "--repo-dir", repo]);
    assert.equal(refused.code, 1);
    assert.match(parseJson(refused.stderr).error.message, /has \d+ associated data artifact\(s\)\. Delete the data first, or use --force/);
    // Text mode without a terminal asks for --yes; -f/--force does not ask, as -y does not.
    await swamp(["model", "create", "command/shell", "asked", "--repo-dir", repo]);
    assert.equal((await swamp(["model", "delete", "asked", "--repo-dir", repo])).code, 2);
    const forced = await swamp(["model", "delete", "asked", "--force", "--repo-dir", repo]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await swamp(["model", "get", "asked", "--json", "--repo-dir", repo])).code, 1, "deleted");
    const r = await swamp(["model", "delete", "gone", "--force", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJson(r.stdout);
    assert.equal(out.deleted.id, created.id);
    assert.ok(out.dataDeleted >= 2);
    assert.equal(out.outputsDeleted, 1);
    assert.equal((await swamp(["model", "get", "gone", "--json", "--repo-dir", repo])).code, 1);
    await assert.rejects(readFile(join(repo, created.path)), { code: "ENOENT" });
    assert.deepEqual(parseJson((await swamp(["model", "output", "search", "--json", "--repo-dir", repo])).stdout).results, []);
  });
});

test("model type describe and model method describe show arguments and data outputs", async () => {
  await withRepo(async (repo) => {
    const type = parseJson((await swamp(["model", "type", "describe", "command/shell", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(type.type, { raw: "command/shell", normalized: "command/shell" });
    assert.equal(type.version, "2026.02.09.1");
    assert.deepEqual(type.methods.map((m: { name: string }) => m.name), ["execute"]);
    assert.deepEqual(type.methods[0].arguments.required, ["run"]);
    assert.deepEqual(
      type.dataOutputSpecs.map((s: { specName: string; kind: string; streaming?: boolean }) => [s.specName, s.kind, s.streaming ?? false]),
      [["result", "resource", false], ["log", "file", true]],
    );
    const viaAlias = await swamp(["model", "type", "describe", "Command::Shell", "--json", "--repo-dir", repo]);
    assert.equal(parseJson(viaAlias.stdout).type.normalized, "command/shell", "type names are normalised");

    await swamp(["model", "create", "command/shell", "desc", "--repo-dir", repo]);
    const method = parseJson((await swamp(["model", "method", "describe", "desc", "execute", "--json", "--repo-dir", repo])).stdout);
    assert.equal(method.modelName, "desc");
    assert.equal(method.method.name, "execute");
    assert.ok(method.method.arguments.properties.timeout);
    const unknown = await swamp(["model", "method", "describe", "desc", "explode", "--json", "--repo-dir", repo]);
    assert.equal(parseJson(unknown.stderr).error.code, "unknown_method");
  });
});

test("two processes creating the same model name at once: exactly one wins", async () => {
  await withRepo(async (repo) => {
    const attempts = await Promise.all(
      [1, 2, 3, 4].map(() => swamp(["model", "create", "command/shell", "contested", "--json", "--repo-dir", repo])),
    );
    const ok = attempts.filter((r) => r.code === 0);
    assert.equal(ok.length, 1, attempts.map((r) => r.stderr).join("\n"));
    for (const r of attempts.filter((a) => a.code !== 0)) assert.equal(parseJson(r.stderr).error.code, "already_exists");
    const search = parseJson((await swamp(["model", "search", "contested", "--json", "--repo-dir", repo])).stdout);
    assert.equal(search.results.length, 1);
  });
});

test("model edit cannot rename a model onto a name another model holds", async () => {
  await withRepo(async (repo) => {
    const cli = (args: string[], input?: string) => swamp([...args, "--json", "--repo-dir", repo], input === undefined ? {} : { input });
    assert.equal((await cli(["model", "create", "command/shell", "first"])).code, 0);
    const second = parseJson((await cli(["model", "create", "command/shell", "second"])).stdout);
    const yaml = await readFile(join(repo, second.path), "utf8");

    const before = await snapshotTree(repo);
    const taken = await cli(["model", "edit", "second"], yaml.replace("name: second", "name: first"));
    assert.equal(taken.code, 1, taken.stdout);
    assert.equal(parseJson(taken.stderr).error.code, "already_exists");
    assert.match(parseJson(taken.stderr).error.message, /Model already exists: first/);
    assert.deepEqual(await snapshotTree(repo), before, "a refused rename changes nothing");
    for (const name of ["first", "second"]) assert.equal((await cli(["model", "get", name])).code, 0, `${name} still resolves`);

    // A free name is fine, and the old name is free afterwards; an invalid new name is refused.
    const renamed = await cli(["model", "edit", "second"], yaml.replace("name: second", "name: third"));
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal(parseJson((await cli(["model", "get", "third"])).stdout).id, second.id);
    assert.equal((await cli(["model", "create", "command/shell", "second"])).code, 0);
    const invalid = await cli(["model", "edit", "third"], yaml.replace("name: second", "name: Not_Valid!"));
    assert.equal(parseJson(invalid.stderr).error.code, "validation_failed");

    // Create and a rename racing for one name: one wins.
    const raced = await Promise.all([
      cli(["model", "edit", "third"], yaml.replace("name: second", "name: contested")),
      cli(["model", "create", "command/shell", "contested"]),
    ]);
    assert.equal(raced.filter((r) => r.code === 0).length, 1, raced.map((r) => r.stderr).join("\n"));
    assert.equal(parseJson((await cli(["model", "search", "contested"])).stdout).results.length, 1);
  });
});

test("a definition with a YAML error is named with its reason; the other models keep working", async () => {
  await withRepo(async (repo) => {
    const cli = (args: string[]) => swamp([...args, "--repo-dir", repo]);
    const good = parseJson((await cli(["model", "create", "command/shell", "good", "--json"])).stdout);
    const broken = parseJson((await cli(["model", "create", "command/shell", "m", "--json"])).stdout);
    assert.equal((await cli(["model", "get", "m"])).code, 0, "indexed while valid");
    await writeFile(join(repo, broken.path), `type: command/shell\nid: ${broken.id}\nname: m\n  bad: [\n`);

    for (const args of [["model", "get", "m"], ["model", "validate", "m"], ["model", "method", "run", "m", "execute"], ["model", "get", broken.id]]) {
      const json = await cli([...args, "--json"]);
      assert.equal(json.code, 1, `${args.join(" ")}: ${json.stdout}`);
      const err = parseJson(json.stderr).error;
      assert.equal(err.code, "definition_invalid", err.message);
      assert.equal(err.message.split("\n").length, 1, err.message);
      assert.match(err.message, new RegExp(`^${broken.path.replace(/[.]/g, "\\.")}: invalid YAML: .* at line 3, column \\d+$`));
      assert.doesNotMatch(err.message, /ulimit|not found/i);
      const text = await cli(args);
      assert.equal(text.stderr.trim().split("\n").length, 1, text.stderr);
    }

    // The valid model still works; listing shows it and warns about the broken file in one line.
    assert.equal((await cli(["model", "get", "good"])).code, 0);
    assert.equal((await cli(["model", "method", "run", "good", "execute", "--input", "run=echo ok"])).code, 0);
    const search = await cli(["model", "search"]);
    assert.equal(search.code, 0);
    assert.match(search.stdout, /good/);
    assert.equal(search.stderr.trim().split("\n").length, 1, search.stderr);
    assert.match(search.stderr, new RegExp(`^Warning: .*${broken.path.replace(/[.]/g, "\\.")}: invalid YAML: .*line 3`));
    const validateAll = parseJson((await cli(["model", "validate", "--json"])).stdout);
    assert.deepEqual(validateAll.models.map((m: { passed: boolean }) => m.passed).sort(), [false, true]);
    assert.equal(good.name, "good");
  });
});
