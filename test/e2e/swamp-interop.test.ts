/**
 * Repos shared with swamp, which reads YAML with 1.1 rules: every file we write must read back
 * there exactly as written (a plain timestamp becomes a date, `yes`/`on` become booleans, and
 * swamp's schemas then reject the file).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

/** Parses as a YAML 1.1 reader does (timestamps → Date, yes/no/on/off → booleans). */
function parse11(text: string): any {
  return parse(text, { version: "1.1" });
}

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(suffix)) out.push(join(e.parentPath, e.name));
  }
  return out;
}

test("vault configs, definitions and method output records read back unchanged under YAML 1.1", async () => {
  await withRepo(async (repo) => {
    const r = (args: string[]) => swamp([...args, "--repo-dir", repo, "--json"]);
    const vault = await r(["vault", "create", "local_encryption", "v1"]);
    assert.equal(vault.code, 0, vault.stderr);
    const [vaultFile] = await filesUnder(join(repo, "vaults"), ".yaml");
    const config = parse11(await readFile(vaultFile as string, "utf8"));
    assert.equal(typeof config.createdAt, "string", "createdAt must stay a string for a YAML 1.1 reader");

    // A definition whose values look like other YAML 1.1 types.
    await writeFile(
      join(repo, "models", "interop.yaml"),
      [
        "id: 6f0c7f5e-5a39-4d0c-9d1b-0d6f3d9e7a11",
        "name: interop",
        "type: command/shell",
        "tags:",
        "  since: '2026-01-02T03:04:05Z'",
        "  flag: 'yes'",
        "methods:",
        "  execute:",
        "    arguments:",
        "      run: echo hi",
        "",
      ].join("\n"),
    );
    const run = await r(["model", "method", "run", "interop", "execute"]);
    assert.equal(run.code, 0, run.stderr);
    const [record] = await filesUnder(join(repo, ".swamp", "outputs"), ".yaml");
    const output = parse11(await readFile(record as string, "utf8"));
    assert.equal(typeof output.startedAt, "string");
    assert.equal(typeof output.completedAt, "string");

    // The evaluated definition keeps its strings.
    const [evaluated] = await filesUnder(join(repo, ".swamp", "definitions-evaluated"), ".yaml");
    const def = parse11(await readFile(evaluated as string, "utf8"));
    assert.deepEqual(def.tags, { since: "2026-01-02T03:04:05Z", flag: "yes" });
    assert.equal(parseJson(run.stdout).status, "succeeded");
  });
});

test("a copied repo reads its own definitions: the definitions index holds no absolute paths", async () => {
  await withRepo(async (repo) => {
    const created = await swamp(["model", "create", "command/shell", "mover", "--repo-dir", repo, "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const got = await swamp(["model", "get", "mover", "--repo-dir", repo, "--json"]);
    assert.equal(got.code, 0, got.stderr);
    const index = await readFile(join(repo, ".swamp", "definitions-index.json"), "utf8");
    assert.ok(!index.includes(repo), `index must not hold absolute paths: ${index}`);

    const copy = `${repo}-copy`;
    await cp(repo, copy, { recursive: true });
    try {
      const [file] = await filesUnder(join(copy, "models"), ".yaml");
      const text = await readFile(file as string, "utf8");
      await writeFile(file as string, text.replace("tags: {}", "tags:\n  moved: copy"));
      await rm(join(repo, "models"), { recursive: true });
      const fromCopy = await swamp(["model", "get", "mover", "--repo-dir", copy, "--json"]);
      assert.equal(fromCopy.code, 0, fromCopy.stderr);
      assert.equal(parseJson(fromCopy.stdout).tags?.moved, "copy");
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
