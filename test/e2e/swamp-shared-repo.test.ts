/**
 * A repo swamp also writes into. The files "swamp" writes here follow the formats in
 * shared/spec (data.md §1, models.md §5.8), written directly as another program would: our
 * index, caches and journals never hear of them, and every reading command must still see them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

const U1 = "11111111-2222-4333-8444-555555555555";
const U2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

async function define(repo: string, type: string, id: string, name: string, body: string[] = []): Promise<void> {
  const dir = join(repo, "models", ...type.split("/"));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${id}.yaml`), [`id: ${id}`, `name: ${name}`, `type: ${type}`, "tags: {}", ...body, ""].join("\n"));
}

interface SwampVersion {
  type: string;
  modelId: string;
  modelName: string;
  name: string;
  version: number;
  content: string;
  /** swamp quotes createdAt; older files and other tools may not. */
  quoted?: boolean;
  extra?: string[];
  id?: string;
}

/** Writes one version the way swamp lays it out: raw, metadata.yaml, then `latest`. */
async function swampWrites(repo: string, v: SwampVersion): Promise<void> {
  const nameDir = join(repo, ".swamp", "data", ...v.type.split("/"), v.modelId, v.name);
  const dir = join(nameDir, String(v.version));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "raw"), v.content);
  const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, v.version)).toISOString();
  const meta = [
    `id: ${v.id ?? randomUUID()}`,
    `name: ${v.name}`,
    `version: ${v.version}`,
    "contentType: application/json",
    "lifetime: infinite",
    "garbageCollection: 10",
    "streaming: false",
    "tags:",
    "  type: resource",
    "  specName: state",
    `  modelName: ${v.modelName}`,
    "ownerDefinition:",
    "  ownerType: model-method",
    `  ownerRef: ${v.modelId}`,
    `createdAt: ${v.quoted === false ? createdAt : JSON.stringify(createdAt)}`,
    ...(v.extra ?? [`size: ${Buffer.byteLength(v.content)}`]),
    "",
  ];
  await writeFile(join(dir, "metadata.yaml"), meta.join("\n"));
  await writeFile(join(nameDir, "latest"), String(v.version));
}

/** Moves every directory's mtime an hour back, so the index's stamps of them are trustworthy. */
async function ageDirs(root: string): Promise<void> {
  const past = new Date(Date.now() - 3600_000);
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isDirectory()) await utimes(join(e.parentPath, e.name), past, past);
  }
  await utimes(root, past, past);
}

function names(queryJson: { results: Array<{ name: string }> }): string[] {
  return queryJson.results.map((r) => r.name).sort();
}

function listed(listJson: { groups: Array<{ items: Array<{ name: string; version: number }> }> }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of listJson.groups) for (const item of g.items) out[item.name] = item.version;
  return out;
}

test("versions, names, models and renames swamp wrote are seen by data query, search, list and versions", async () => {
  await withRepo(async (repo) => {
    const run = async (args: string[]) => {
      const r = await swamp([...args, "--repo-dir", repo, "--json"]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return parseJson(r.stdout);
    };
    await define(repo, "command/shell", U1, "m1");
    await define(repo, "aws/ec2/vpc", U2, "m2");
    await swampWrites(repo, { type: "command/shell", modelId: U1, modelName: "m1", name: "result", version: 1, content: '{"n":1}' });

    // Our index, journals and query cache exist and are trusted before swamp writes again.
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["result"]);
    await ageDirs(join(repo, ".swamp", "data"));
    assert.deepEqual(listed(await run(["data", "list", "m1"])), { result: 1 });
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["result"]);

    // swamp adds a version (unquoted timestamp), a new name, and a new model of a new type.
    await swampWrites(repo, { type: "command/shell", modelId: U1, modelName: "m1", name: "result", version: 2, content: '{"n":2}', quoted: false });
    await swampWrites(repo, { type: "command/shell", modelId: U1, modelName: "m1", name: "note", version: 1, content: '{"note":true}' });
    await swampWrites(repo, { type: "aws/ec2/vpc", modelId: U2, modelName: "m2", name: "vpc", version: 1, content: '{"cidr":"10.0.0.0/16"}' });

    const q1 = await run(["data", "query", 'modelName == "m1"']);
    assert.deepEqual(names(q1), ["note", "result"], "data query sees the new name");
    assert.equal(q1.results.find((r: { name: string }) => r.name === "result").version, 2, "data query sees the new version");
    assert.deepEqual(q1.results.find((r: { name: string }) => r.name === "result").content, { n: 2 });
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m2"'])), ["vpc"], "data query sees the new model");
    const history = await run(["data", "query", 'name == "result" && version >= 0', "--select", "version"]);
    assert.deepEqual(history.results, [2, 1]);
    const search = await run(["data", "search", "--model", "m2"]);
    assert.deepEqual(search.results.map((r: { name: string }) => r.name), ["vpc"], "data search sees the new model");

    // Per-model reads, with no global read in between.
    await swampWrites(repo, { type: "command/shell", modelId: U1, modelName: "m1", name: "result", version: 3, content: '{"n":3}' });
    assert.deepEqual(listed(await run(["data", "list", "m1"])), { note: 1, result: 3 });
    await swampWrites(repo, { type: "command/shell", modelId: U1, modelName: "m1", name: "result", version: 4, content: '{"n":4}' });
    const versions = await run(["data", "versions", "m1", "result"]);
    assert.deepEqual(versions.versions.map((v: { version: number }) => v.version), [4, 3, 2, 1]);

    // swamp renames note → memo: a fresh copy under the new name, a tombstone under the old one.
    await swampWrites(repo, { type: "command/shell", modelId: U1, modelName: "m1", name: "memo", version: 1, content: '{"note":true}' });
    await swampWrites(repo, {
      type: "command/shell",
      modelId: U1,
      modelName: "m1",
      name: "note",
      version: 2,
      content: JSON.stringify({ renamedTo: "memo", renamedAt: "2026-01-01T00:00:09.000Z" }),
      extra: ["lifecycle: deleted", "renamedTo: memo"],
    });
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["memo", "result"], "the renamed-away name and its tombstone are left out");
    assert.deepEqual(
      (await run(["data", "search", "--model", "m1"])).results.map((r: { name: string }) => r.name).sort(),
      ["memo", "result"],
    );
    assert.deepEqual(listed(await run(["data", "list", "m1"])), { memo: 1, result: 4 });
    const old = await run(["data", "versions", "m1", "note"]);
    assert.deepEqual(
      old.versions.map((v: { version: number; isLatest: boolean }) => [v.version, v.isLatest]),
      [
        [2, true],
        [1, false],
      ],
      "data versions of the old name shows its history and the tombstone",
    );
    const forwarded = await run(["data", "get", "m1", "note"]);
    assert.equal(forwarded.name, "memo", "data get follows the forward reference");

    // Our own rename is left out the same way.
    await run(["data", "rename", "m1", "result", "outcome"]);
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["memo", "outcome"]);
  });
});
