/**
 * The definitions index: search answers from it, and files changed by other programs are
 * noticed by their stat signature, so only those files are read and parsed again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefinitionRepository } from "../../../kernel/models/repository.js";

const TYPE = "command/shell";

function yaml(name: string, id = randomUUID(), tags: Record<string, string> = {}): string {
  const tagLines = Object.entries(tags).map(([k, v]) => `  ${k}: "${v}"`);
  return [`type: ${TYPE}`, `id: ${id}`, `name: ${name}`, "version: 1", tagLines.length ? "tags:" : "tags: {}", ...tagLines, "globalArguments: {}", "methods: {}", ""].join("\n");
}

/**
 * A repo with `count` definitions, and a repository whose clock runs ahead, so files written
 * a moment ago already count as settled (the index distrusts files changed within 2 s of
 * being read). `parsed` lists every file the repository read and parsed.
 */
async function fixture(count: number) {
  const root = await mkdtemp(join(tmpdir(), "swamp-defs-"));
  const modelsDir = join(root, "models");
  await mkdir(join(modelsDir, ...TYPE.split("/")), { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(modelsDir, ...TYPE.split("/"), `m${i}.yaml`), yaml(`m${i}`, randomUUID(), { n: String(i) }));
  const indexPath = join(root, ".swamp", "definitions-index.json");
  await mkdir(join(root, ".swamp"), { recursive: true });
  const parsed: string[] = [];
  const open = () => {
    const repo = new DefinitionRepository({ modelsDir, autoDir: join(root, ".swamp", "auto-definitions"), indexPath, now: () => Date.now() + 60_000 });
    const spied = repo as unknown as { load(path: string, root: string): Promise<unknown> };
    const load = spied.load.bind(repo);
    spied.load = (path, r) => {
      parsed.push(path.slice(modelsDir.length + 1));
      return load(path, r);
    };
    return repo;
  };
  return { root, modelsDir, indexPath, parsed, open, file: (name: string) => join(modelsDir, ...TYPE.split("/"), `${name}.yaml`) };
}

test("search answers name, type and tags from the index and re-reads only files changed since", async () => {
  const f = await fixture(20);
  try {
    const first = await f.open().summaries();
    assert.equal(first.definitions.length, 20);
    assert.equal(f.parsed.length, 20, "the first search builds the index");
    const m3 = first.definitions.find((d) => d.name === "m3");
    assert.deepEqual({ type: m3?.type, tags: m3?.tags }, { type: TYPE, tags: { n: "3" } });

    // A later process: nothing changed, nothing parsed.
    f.parsed.length = 0;
    const again = await f.open().summaries();
    assert.deepEqual(again.definitions.map((d) => d.name), first.definitions.map((d) => d.name));
    assert.deepEqual(f.parsed, []);

    // Another program adds one file, rewrites one, deletes one, breaks one.
    await writeFile(f.file("added"), yaml("added"));
    await writeFile(f.file("m1"), yaml("renamed-one", randomUUID(), { team: "x" }));
    await rm(f.file("m2"));
    await writeFile(f.file("m4"), "name: [unclosed\n");
    f.parsed.length = 0;
    const after = await f.open().summaries();
    assert.deepEqual(f.parsed.sort(), ["command/shell/added.yaml", "command/shell/m1.yaml", "command/shell/m4.yaml"]);
    const names = after.definitions.map((d) => d.name);
    assert.ok(names.includes("added") && names.includes("renamed-one"));
    assert.ok(!names.includes("m1") && !names.includes("m2") && !names.includes("m4"));
    assert.equal(after.definitions.find((d) => d.name === "renamed-one")?.tags.team, "x");
    assert.equal(after.broken.length, 1);
    assert.match(after.broken[0]!.error, /m4\.yaml: invalid YAML/);

    // The broken file is remembered with its signature: still reported, not parsed again.
    f.parsed.length = 0;
    const cached = await f.open().summaries();
    assert.deepEqual(f.parsed, []);
    assert.equal(cached.broken.length, 1);
    assert.match(cached.broken[0]!.error, /m4\.yaml: invalid YAML/);
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test("a lookup of a name that arrived outside the CLI parses the new file, not every file", async () => {
  const f = await fixture(30);
  try {
    assert.equal((await f.open().find("m7"))?.definition.name, "m7");
    await f.open().summaries();
    const id = randomUUID();
    await writeFile(f.file("newcomer"), yaml("newcomer", id));
    f.parsed.length = 0;
    const repo = f.open();
    const found = await repo.find("newcomer");
    assert.equal(found?.definition.id, id);
    assert.ok(f.parsed.length <= 2, `parsed ${f.parsed.length} files: ${f.parsed.join(", ")}`);
    assert.ok(f.parsed.every((p) => p.endsWith("newcomer.yaml")), f.parsed.join(", "));
    assert.equal(await repo.nameTaken("newcomer"), true);
    assert.equal(await repo.nameTaken("nobody"), false);
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test("a file changed within the timestamp granularity is not trusted by its signature", async () => {
  const root = await mkdtemp(join(tmpdir(), "swamp-defs-"));
  try {
    const modelsDir = join(root, "models");
    const dir = join(modelsDir, ...TYPE.split("/"));
    await mkdir(dir, { recursive: true });
    await mkdir(join(root, ".swamp"), { recursive: true });
    const file = join(dir, "a.yaml");
    const id = randomUUID();
    await writeFile(file, yaml("aaaa", id));
    const open = () => new DefinitionRepository({ modelsDir, autoDir: join(root, "auto"), indexPath: join(root, ".swamp", "definitions-index.json") });
    assert.deepEqual((await open().summaries()).definitions.map((d) => d.name), ["aaaa"]);
    // Same size, written right after being indexed: the stat signature may not change.
    await writeFile(file, yaml("bbbb", id));
    assert.deepEqual((await open().summaries()).definitions.map((d) => d.name), ["bbbb"]);
    const onDisk = JSON.parse(await readFile(join(root, ".swamp", "definitions-index.json"), "utf8")) as { entries: Array<{ path: string }> };
    assert.deepEqual(onDisk.entries.map((e) => e.path), ["command/shell/a.yaml"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("requireSummary answers id, name and type from the index without parsing; a changed, broken or duplicated file is read as require does", async () => {
  const f = await fixture(5);
  try {
    await f.open().summaries();
    f.parsed.length = 0;
    const m2 = await f.open().requireSummary("m2");
    assert.deepEqual({ name: m2.name, type: m2.type, tags: m2.tags }, { name: "m2", type: TYPE, tags: { n: "2" } });
    assert.equal((await f.open().requireSummary(m2.id)).name, "m2");
    assert.deepEqual(f.parsed, [], "unchanged files are not parsed");

    // Rewritten by another program: read again, and the new content wins.
    const id = randomUUID();
    await writeFile(f.file("m2"), yaml("m2", id, { team: "y" }));
    const rewritten = await f.open().requireSummary("m2");
    assert.deepEqual({ id: rewritten.id, tags: rewritten.tags }, { id, tags: { team: "y" } });
    assert.deepEqual(f.parsed, ["command/shell/m2.yaml"]);

    // A file broken since it was indexed is reported as require reports it.
    await f.open().summaries();
    await writeFile(f.file("m3"), "name: m3\nid: [unclosed\n");
    await assert.rejects(f.open().requireSummary("m3"), (e: { code?: string }) => e.code === "definition_invalid");

    // Two files claiming one name: the same conflict as require.
    await writeFile(f.file("copy"), yaml("m4"));
    await f.open().summaries();
    await assert.rejects(f.open().requireSummary("m4"), (e: { code?: string }) => e.code === "conflict");
    await assert.rejects(f.open().requireSummary("nobody"), (e: { code?: string }) => e.code === "model_not_found");
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test("requireSummary reads a file indexed before it had settled once, then trusts it", async () => {
  const f = await fixture(2);
  try {
    // Indexed by a process whose clock says the files changed just now: not trusted yet.
    await new DefinitionRepository({ modelsDir: f.modelsDir, autoDir: join(f.root, ".swamp", "auto-definitions"), indexPath: f.indexPath }).summaries();
    f.parsed.length = 0;
    assert.equal((await f.open().requireSummary("m1")).name, "m1");
    assert.deepEqual(f.parsed, ["command/shell/m1.yaml"]);
    f.parsed.length = 0;
    assert.equal((await f.open().requireSummary("m1")).name, "m1");
    assert.deepEqual(f.parsed, [], "settled now: served from the index");
  } finally {
    await rm(f.root, { recursive: true, force: true });
  }
});

test("require twice: an unchanged file gives an equal, independent definition; an edit in between is seen", async () => {
  const { root, open, file } = await fixture(1);
  try {
    const repo = open();
    const first = await repo.require("m0");
    first.definition.globalArguments.touched = true;
    first.definition.tags.n = "changed in memory";
    const second = await repo.require("m0");
    assert.deepEqual(second.definition.globalArguments, {});
    assert.equal(second.definition.tags.n, "0");
    assert.notEqual(second.definition, first.definition);
    const text = await readFile(file("m0"), "utf8");
    await writeFile(file("m0"), text.replace('n: "0"', 'n: "edited"'));
    assert.equal((await repo.require(second.definition.id)).definition.tags.n, "edited");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
