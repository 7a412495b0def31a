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

/** Runs swamp with --json in `repo`; asserts success and returns the parsed output. */
function runner(repo: string) {
  return async (args: string[]) => {
    const r = await swamp([...args, "--repo-dir", repo, "--json"]);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    return parseJson(r.stdout);
  };
}

const m1 = { type: "command/shell", modelId: U1, modelName: "m1" };

test("versions, names and models swamp wrote are seen by data query, search, list and versions", async () => {
  await withRepo(async (repo) => {
    const run = runner(repo);
    await define(repo, "command/shell", U1, "m1");
    await define(repo, "aws/ec2/vpc", U2, "m2");
    await swampWrites(repo, { ...m1, name: "result", version: 1, content: '{"n":1}' });

    // Our index, journals and query cache exist and are trusted before swamp writes again.
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["result"]);
    await ageDirs(join(repo, ".swamp", "data"));
    assert.deepEqual(listed(await run(["data", "list", "m1"])), { result: 1 });
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["result"]);

    // swamp adds a version (unquoted timestamp), a new name, and a new model of a new type.
    await swampWrites(repo, { ...m1, name: "result", version: 2, content: '{"n":2}', quoted: false });
    await swampWrites(repo, { ...m1, name: "note", version: 1, content: '{"note":true}' });
    await swampWrites(repo, { type: "aws/ec2/vpc", modelId: U2, modelName: "m2", name: "vpc", version: 1, content: '{"cidr":"10.0.0.0/16"}' });

    const q1 = await run(["data", "query", 'modelName == "m1"']);
    assert.deepEqual(names(q1), ["note", "result"], "data query sees the new name");
    const result = q1.results.find((r: { name: string }) => r.name === "result");
    assert.equal(result.version, 2, "data query sees the new version");
    assert.deepEqual(result.content, { n: 2 });
    assert.equal(result.createdAt, "2026-01-01T00:00:02.000Z", "an unquoted createdAt reads as the same string");
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m2"'])), ["vpc"], "data query sees the new model");
    const history = await run(["data", "query", 'name == "result" && version >= 0', "--select", "version"]);
    assert.deepEqual(history.results, [2, 1]);
    const search = await run(["data", "search", "--model", "m2"]);
    assert.deepEqual(search.results.map((r: { name: string }) => r.name), ["vpc"], "data search sees the new model");

    // Per-model reads, with no global read in between.
    await swampWrites(repo, { ...m1, name: "result", version: 3, content: '{"n":3}' });
    assert.deepEqual(listed(await run(["data", "list", "m1"])), { note: 1, result: 3 });
    await swampWrites(repo, { ...m1, name: "result", version: 4, content: '{"n":4}' });
    const versions = await run(["data", "versions", "m1", "result"]);
    assert.deepEqual(versions.versions.map((v: { version: number }) => v.version), [4, 3, 2, 1]);
  });
});

test("after a rename, by swamp or by us, latest-only results leave out the old name; versions and get still reach it", async () => {
  await withRepo(async (repo) => {
    const run = runner(repo);
    await define(repo, "command/shell", U1, "m1");
    await swampWrites(repo, { ...m1, name: "note", version: 1, content: '{"note":true}' });
    await swampWrites(repo, { ...m1, name: "result", version: 1, content: '{"n":1}' });
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["note", "result"]);
    await ageDirs(join(repo, ".swamp", "data"));
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["note", "result"]);

    // swamp renames note → memo: a fresh copy under the new name, a tombstone under the old one.
    await swampWrites(repo, { ...m1, name: "memo", version: 1, content: '{"note":true}' });
    await swampWrites(repo, {
      ...m1,
      name: "note",
      version: 2,
      content: JSON.stringify({ renamedTo: "memo", renamedAt: "2026-01-01T00:00:09.000Z" }),
      extra: ["lifecycle: deleted", "renamedTo: memo"],
    });
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["memo", "result"], "data query");
    assert.deepEqual((await run(["data", "search", "--model", "m1"])).results.map((r: { name: string }) => r.name).sort(), ["memo", "result"], "data search");
    assert.deepEqual(listed(await run(["data", "list", "m1"])), { memo: 1, result: 1 }, "data list");
    const old = await run(["data", "versions", "m1", "note"]);
    assert.deepEqual(
      old.versions.map((v: { version: number; isLatest: boolean }) => [v.version, v.isLatest]),
      [
        [2, true],
        [1, false],
      ],
      "data versions of the old name shows its history and the tombstone",
    );
    assert.equal((await run(["data", "get", "m1", "note"])).name, "memo", "data get follows the forward reference");

    // Our own rename is left out the same way.
    await run(["data", "rename", "m1", "result", "outcome"]);
    assert.deepEqual(names(await run(["data", "query", 'modelName == "m1"'])), ["memo", "outcome"]);
  });
});

const CATALOG = ["_catalog.db", "_catalog.db-wal", "_catalog.db-shm"];

test("a command that writes data makes swamp rebuild its query catalog; reading commands leave it alone", async () => {
  await withRepo(async (repo) => {
    const run = runner(repo);
    await define(repo, "command/shell", U1, "m1", ["methods:", "  execute:", "    arguments:", "      run: echo hi"]);
    const dataDir = join(repo, ".swamp", "data");
    const plant = async () => {
      await mkdir(dataDir, { recursive: true });
      for (const f of CATALOG) await writeFile(join(dataDir, f), "SQLite format 3\0");
    };
    const present = () => CATALOG.filter((f) => existsSync(join(dataDir, f)));

    await plant();
    await run(["model", "method", "run", "m1", "execute"]);
    assert.deepEqual(present(), [], "a method run removes swamp's catalog");
    await plant();
    await run(["data", "query", 'modelName == "m1"']);
    await run(["data", "list", "m1"]);
    assert.deepEqual(present(), CATALOG, "reads keep it");
    await run(["data", "delete", "m1", "result"]);
    assert.deepEqual(present(), [], "data delete removes it");
  });
});

test("run records swamp wrote are found by model name; a record of another shape is skipped with a warning", async () => {
  await withRepo(async (repo) => {
    await define(repo, "command/shell", U1, "m1");
    const dir = join(repo, ".swamp", "outputs", "command", "shell", "execute");
    await mkdir(dir, { recursive: true });
    const id = randomUUID();
    await writeFile(
      join(dir, `${U1}-2026-01-01T00-00-00-000Z.yaml`),
      [
        `id: ${id}`,
        `definitionId: ${U1}`,
        "methodName: execute",
        "status: succeeded",
        "startedAt: 2026-01-01T00:00:00.000Z",
        "completedAt: 2026-01-01T00:00:01.500Z",
        "durationMs: 1500",
        "retryCount: 0",
        "provenance:",
        "  definitionHash: abc",
        "  modelVersion: 1",
        "  triggeredBy: manual",
        "artifacts:",
        "  dataArtifacts:",
        `    - dataId: ${randomUUID()}`,
        "      name: result",
        "      version: 1",
        "      tags:",
        "        type: resource",
        "logFile: /elsewhere/repo/.swamp/outputs/command/shell/execute/x.log",
        "pid: 4242",
        "",
      ].join("\n"),
    );
    await writeFile(join(dir, `${U1}-2026-01-01T00-00-00-000Z.log`), "hello from swamp\n");
    await writeFile(join(dir, "stray.yaml"), "- not\n- a run record\n");
    // A vault config with an unquoted timestamp, as older writers left them.
    await mkdir(join(repo, "vaults", "local_encryption"), { recursive: true });
    await writeFile(
      join(repo, "vaults", "local_encryption", `${randomUUID()}.yaml`),
      [`id: ${randomUUID()}`, "name: old-vault", "type: local_encryption", "config: {}", "createdAt: 2025-06-01T10:00:00Z", ""].join("\n"),
    );

    const get = await swamp(["model", "output", "get", "m1", "--repo-dir", repo, "--json"]);
    assert.equal(get.code, 0, get.stderr);
    const record = parseJson(get.stdout);
    assert.equal(record.id, id);
    assert.equal(record.modelName, "m1", "the model name comes from the definition id");
    assert.equal(record.type, "command/shell", "the type comes from the path");
    assert.equal(record.startedAt, "2026-01-01T00:00:00.000Z");

    const search = await swamp(["model", "output", "search", "m1", "--repo-dir", repo, "--json"]);
    assert.equal(search.code, 0, search.stderr);
    assert.deepEqual(parseJson(search.stdout).results.map((r: { id: string; modelName: string }) => [r.id, r.modelName]), [[id, "m1"]]);
    assert.match(search.stderr, /warning: Skipping run record .*stray\.yaml: not a mapping/);

    const logs = await swamp(["model", "output", "logs", id, "--repo-dir", repo, "--json"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.deepEqual(parseJson(logs.stdout).lines, ["hello from swamp"], "the log beside the record is read");

    const vault = await swamp(["vault", "get", "old-vault", "--repo-dir", repo, "--json"]);
    assert.equal(vault.code, 0, vault.stderr);
    assert.equal(parseJson(vault.stdout).createdAt, "2025-06-01T10:00:00Z");
  });
});
