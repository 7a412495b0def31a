/**
 * One definition of "latest": the highest committed version (at or above the `latest` pointer).
 * A process killed after committing version N (its metadata.yaml written) but before moving
 * the pointer, or before its index journal line, must not leave readers disagreeing:
 * `data get`, `data list`, `data versions`, `data query` and CEL `data.latest()` all say N.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

async function run(repo: string, model: string, command: string): Promise<any> {
  const r = await swamp(["model", "method", "run", model, "execute", "--input", `run=${command}`, "--skip-reports", "--json", "--repo-dir", repo]);
  assert.equal(r.code, 0, r.stderr);
  return parseJson(r.stdout);
}

async function assertReadersAgree(repo: string, expected: number): Promise<void> {
  const got = parseJson((await swamp(["data", "get", "m", "result", "--json", "--repo-dir", repo])).stdout);
  assert.equal(got.version, expected, "data get");
  const list = parseJson((await swamp(["data", "list", "m", "--json", "--repo-dir", repo])).stdout);
  const item = list.groups.flatMap((g: { items: Array<{ name: string; version: number }> }) => g.items).find((x: { name: string }) => x.name === "result");
  assert.equal(item.version, expected, "data list");
  const versions = parseJson((await swamp(["data", "versions", "m", "result", "--json", "--repo-dir", repo])).stdout);
  assert.equal(versions.versions[0].version, expected, "data versions");
  assert.equal(versions.versions.filter((v: { isLatest: boolean }) => v.isLatest).map((v: { version: number }) => v.version)[0], expected);
  const query = parseJson((await swamp(["data", "query", 'modelName == "m" && name == "result"', "--json", "--repo-dir", repo])).stdout);
  assert.deepEqual(query.results.map((r: { version: number }) => r.version), [expected], "data query");
  const r = await swamp(["model", "method", "run", "reader", "execute", "--skip-reports", "--json", "--repo-dir", repo]);
  assert.equal(r.code, 0, r.stderr);
  const cel = parseJson(r.stdout);
  assert.equal(cel.dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, `${expected} v${expected}`, "CEL data.latest()");
}

test("latest after a kill between commit and pointer/journal update: every reader says the committed version", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "m", "--json", "--repo-dir", repo])).stdout);
    const reader = parseJson((await swamp(["model", "create", "command/shell", "reader", "--json", "--repo-dir", repo])).stdout);
    // A definition that reads m's latest result through CEL.
    const definition = join(repo, "models", "command", "shell", `${reader.id}.yaml`);
    const yaml = (await readFile(definition, "utf8")).replace(/^methods: \{\}\n?/m, "");
    await writeFile(
      definition,
      `${yaml}methods:\n  execute:\n    arguments:\n      run: echo \${{ data.latest("m", "result").version }} \${{ data.latest("m", "result").attributes.stdout }}\n`,
    );
    const modelDir = join(repo, ".swamp", "data", "command", "shell", created.id);
    const pointer = join(modelDir, "result", "latest");
    const journal = join(modelDir, ".index.jsonl");
    for (const v of [1, 2]) await run(repo, "m", `echo v${v}`);

    // Killed after the journal line, before `latest` moved: the pointer still names 2.
    await run(repo, "m", "echo v3");
    await writeFile(pointer, "2");
    await assertReadersAgree(repo, 3);

    // Killed right after metadata.yaml: neither the journal's `put` line nor the pointer.
    // `result` is the run's last commit (reports skipped), so its put line ends the journal.
    await run(repo, "m", "echo v4");
    const text = await readFile(journal, "utf8");
    const at = text.lastIndexOf("\n", text.length - 2) + 1;
    const last = JSON.parse(text.slice(at));
    assert.deepEqual([last.op, last.name, last.version], ["put", "result", 4]);
    await writeFile(journal, text.slice(0, at));
    await writeFile(pointer, "3");
    await assertReadersAgree(repo, 4);
  });
});
