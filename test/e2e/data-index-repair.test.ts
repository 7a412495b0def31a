/**
 * A damaged per-model index journal (`.index.jsonl`) is rebuilt from the data files, never
 * trusted: an empty file, a file whose last line was torn, and a file that lost its header.
 * `data list`, `data versions` and `data query` all still see every committed version.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

interface Expected {
  journal: string;
  names: string[];
  versions: Record<string, number[]>;
}

async function repoWithHistory(repo: string): Promise<Expected> {
  const created = parseJson((await swamp(["model", "create", "command/shell", "m", "--json", "--repo-dir", repo])).stdout);
  for (let i = 0; i < 2; i++) {
    const r = await swamp(["model", "method", "run", "m", "execute", "--input", `run=echo run ${i}`, "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
  }
  const journal = join(repo, ".swamp", "data", "command", "shell", created.id, ".index.jsonl");
  const list = parseJson((await swamp(["data", "list", "m", "--json", "--repo-dir", repo])).stdout);
  const names: string[] = list.groups.flatMap((g: { items: Array<{ name: string }> }) => g.items.map((x) => x.name)).sort();
  assert.ok(names.includes("result") && names.includes("log"));
  const versions: Record<string, number[]> = {};
  for (const name of names) versions[name] = await versionsOf(repo, name);
  assert.deepEqual(versions.result, [2, 1]);
  // Warm the query cache, so a damaged journal behind an up-to-date cache is covered too.
  await swamp(["data", "query", 'modelName == "m"', "--json", "--repo-dir", repo]);
  return { journal, names, versions };
}

async function versionsOf(repo: string, name: string): Promise<number[]> {
  const r = await swamp(["data", "versions", "m", name, "--json", "--repo-dir", repo]);
  assert.equal(r.code, 0, `data versions m ${name}: ${r.stderr}`);
  return parseJson(r.stdout).versions.map((v: { version: number }) => v.version);
}

async function assertAllReadersSeeEverything(repo: string, expected: Expected): Promise<void> {
  const query = parseJson((await swamp(["data", "query", 'modelName == "m"', "--json", "--repo-dir", repo])).stdout);
  assert.deepEqual(query.results?.map((r: { name: string }) => r.name).sort() ?? query.records.map((r: { name: string }) => r.name).sort(), expected.names, "data query");
  const list = await swamp(["data", "list", "m", "--json", "--repo-dir", repo]);
  assert.equal(list.code, 0, list.stderr);
  const names = parseJson(list.stdout).groups.flatMap((g: { items: Array<{ name: string }> }) => g.items.map((x) => x.name)).sort();
  assert.deepEqual(names, expected.names, "data list");
  for (const name of expected.names) assert.deepEqual(await versionsOf(repo, name), expected.versions[name], `data versions ${name}`);
  const text = await swamp(["data", "list", "m", "--repo-dir", repo]);
  assert.doesNotMatch(text.stdout, /No data\./);
}

async function assertJournalHealthy(path: string): Promise<void> {
  const text = await readFile(path, "utf8");
  assert.ok(text.endsWith("\n"), "the rebuilt journal ends with a complete line");
  assert.equal(JSON.parse(text.split("\n")[0] as string).op, "init", "the rebuilt journal has its header");
}

test("an empty .index.jsonl is rebuilt: list, versions and query see every version", async () => {
  await withRepo(async (repo) => {
    const expected = await repoWithHistory(repo);
    await writeFile(expected.journal, "");
    await assertAllReadersSeeEverything(repo, expected);
    await assertJournalHealthy(expected.journal);
  });
});

test("a .index.jsonl whose last line is torn is rebuilt: the version it described is not lost", async () => {
  await withRepo(async (repo) => {
    const expected = await repoWithHistory(repo);
    const text = await readFile(expected.journal, "utf8");
    const lastStart = text.lastIndexOf("\n", text.length - 2) + 1;
    const last = JSON.parse(text.slice(lastStart)) as { op: string; name: string; version: number };
    assert.equal(last.op, "put");
    await writeFile(expected.journal, text.slice(0, lastStart + Math.floor((text.length - lastStart) / 2)));
    await assertAllReadersSeeEverything(repo, expected);
    assert.equal((await versionsOf(repo, last.name))[0], last.version);
    await assertJournalHealthy(expected.journal);
  });
});

test("a .index.jsonl without its header line is rebuilt from the data files", async () => {
  await withRepo(async (repo) => {
    const expected = await repoWithHistory(repo);
    const lines = (await readFile(expected.journal, "utf8")).split("\n").filter(Boolean);
    // Only the last record survived: no header, and every earlier record lost.
    await writeFile(expected.journal, `${lines[lines.length - 1]}\n`);
    await assertAllReadersSeeEverything(repo, expected);
    await assertJournalHealthy(expected.journal);
  });
});
