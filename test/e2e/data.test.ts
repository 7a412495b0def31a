/**
 * The data-outputs walkthrough of seed 001 through the real CLI: create hello-world, run it
 * twice, then list, versions, get, query, search, gc --dry-run and rename. One repo is shared
 * by the read-only assertions; the rename comes last.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJson, swamp, type RunResult } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

const HELLO = 'run=echo "Hello from the swamp!"';

let dir = "";
let repo = "";
let modelId = "";

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

const cli = (...args: string[]) => swamp(args, { cwd: repo });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "swamp-data-"));
  repo = join(dir, "repo");
  ok(await swamp(["repo", "init", repo, "--json"]), "repo init");
  modelId = parseJson(ok(await cli("model", "create", "command/shell", "hello-world", "--json"), "model create").stdout).id;
  for (let i = 0; i < 2; i++) ok(await cli("model", "method", "run", "hello-world", "execute", "--input", HELLO), "method run");
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("data list prints the seed's grouped text: file, resource, report", async () => {
  const r = ok(await cli("data", "list", "hello-world"), "data list");
  const lines = r.stdout.replace(/\n$/, "").split("\n");
  const size = "\\d+(?:\\.\\d)?(?:B|KB)";
  const date = "\\d{4}-\\d{2}-\\d{2}";
  assert.equal(lines[0], "Data for hello-world (command/shell)");
  assert.equal(lines[1], "");
  assert.equal(lines[2], "file (1 item):");
  assert.match(lines[3] ?? "", new RegExp(`^  log  v2  text/plain  ${size}  ${date}$`));
  assert.equal(lines[4], "");
  assert.equal(lines[5], "resource (1 item):");
  assert.match(lines[6] ?? "", new RegExp(`^  result  v2  application/json  ${size}  ${date}$`));
  assert.equal(lines[7], "");
  assert.equal(lines[8], "report (2 items):");
  assert.match(lines[9] ?? "", new RegExp(`^  report-swamp-method-summary {7}v2  text/markdown {5}${size} +${date}$`));
  assert.match(lines[10] ?? "", new RegExp(`^  report-swamp-method-summary-json  v2  application/json  ${size} +${date}$`));
  assert.equal(lines.length, 11);
  // The same item columns start at the same offset within a group.
  assert.equal(lines[9]?.indexOf(" v2"), lines[10]?.indexOf(" v2"));
});

test("data list --json groups items by type tag with sizes and the total", async () => {
  const out = parseJson(ok(await cli("data", "list", "hello-world", "--json"), "data list --json").stdout);
  assert.deepEqual(Object.keys(out), ["modelId", "modelName", "modelType", "groups", "total"]);
  assert.equal(out.modelId, modelId);
  assert.equal(out.modelName, "hello-world");
  assert.equal(out.modelType, "command/shell");
  assert.deepEqual(out.groups.map((g: any) => g.type), ["file", "resource", "report"]);
  assert.equal(out.total, 4);
  const log = out.groups[0].items[0];
  assert.deepEqual(Object.keys(log), ["id", "name", "version", "contentType", "type", "streaming", "size", "createdAt"]);
  assert.equal(log.name, "log");
  assert.equal(log.streaming, true);
  assert.equal(log.version, 2);
  const filtered = parseJson(ok(await cli("data", "list", "--model", "hello-world", "--type", "report", "--json"), "list --type").stdout);
  assert.deepEqual(filtered.groups.map((g: any) => g.type), ["report"]);
  assert.equal(filtered.total, 2);
});

test("data versions lists 2 then 1, isLatest on the highest; text mode prints the same JSON", async () => {
  const r = ok(await cli("data", "versions", "hello-world", "result", "--json"), "versions");
  const out = parseJson(r.stdout);
  assert.equal(out.dataName, "result");
  assert.equal(out.modelName, "hello-world");
  assert.equal(out.modelType, "command/shell");
  assert.equal(out.total, 2);
  assert.deepEqual(out.versions.map((v: any) => [v.version, v.isLatest]), [[2, true], [1, false]]);
  for (const v of out.versions) {
    assert.match(v.checksum, /^[0-9a-f]{64}$/);
    assert.equal(typeof v.size, "number");
    assert.ok(!Number.isNaN(Date.parse(v.createdAt)));
  }
  const text = ok(await cli("data", "versions", "--model", "hello-world", "--name", "result"), "versions text");
  assert.deepEqual(parseJson(text.stdout), out);
});

test("data get returns the latest version with parsed content, checksum and a repo-relative contentPath", async () => {
  const out = parseJson(ok(await cli("data", "get", "hello-world", "result", "--json"), "get").stdout);
  assert.equal(out.name, "result");
  assert.equal(out.version, 2);
  assert.equal(out.modelName, "hello-world");
  assert.equal(out.modelType, "command/shell");
  assert.equal(out.contentType, "application/json");
  assert.equal(out.lifetime, "infinite");
  assert.equal(out.garbageCollection, 10);
  assert.deepEqual(out.tags, { type: "resource", specName: "result", modelName: "hello-world" });
  assert.deepEqual(out.ownerDefinition, { ownerType: "model-method", ownerRef: modelId });
  assert.equal(out.contentPath, `.swamp/data/command/shell/${modelId}/result/2/raw`);
  assert.equal(out.content.stdout, "Hello from the swamp!");
  assert.equal(out.content.exitCode, 0);
  const raw = await readFile(join(repo, out.contentPath));
  assert.equal(out.checksum, createHash("sha256").update(raw).digest("hex"));
  assert.equal(out.size, raw.byteLength);

  const v1 = parseJson(ok(await cli("data", "get", "hello-world", "result", "--version", "1", "--no-content", "--json"), "get v1").stdout);
  assert.equal(v1.version, 1);
  assert.equal("content" in v1, false);

  const text = ok(await cli("data", "get", "hello-world", "log"), "get text").stdout;
  assert.match(text, /^Data: log \(v2\)\nModel: hello-world \(command\/shell\)\nContent: text\/plain, \d+B\nLifetime: infinite \| GC: \d+\n/);
  assert.match(text, /\nOwner: model-method \(/);
  assert.match(text, new RegExp(`\\nPath: \\.swamp/data/command/shell/${modelId}/log/2/raw\\n\\n[\\s\\S]*Hello from the swamp!`));
});

test("data query: latest records, --select projection, text table", async () => {
  const out = parseJson(ok(await cli("data", "query", 'tags.type == "resource"', "--json"), "query").stdout);
  assert.equal(out.predicate, 'tags.type == "resource"');
  assert.equal(out.total, 1);
  assert.equal(out.limited, false);
  const rec = out.results[0];
  assert.equal(rec.name, "result");
  assert.equal(rec.version, 2);
  assert.equal(rec.modelName, "hello-world");
  assert.equal(rec.modelType, "command/shell");
  assert.equal(rec.dataType, "resource");
  assert.equal(rec.content.stdout, "Hello from the swamp!");
  assert.equal("attributes" in rec, false);

  const sel = parseJson(ok(await cli("data", "query", 'tags.type == "resource"', "--select", "name", "--json"), "select").stdout);
  assert.deepEqual(sel, { results: ["result"], total: 1, limited: false });

  const history = parseJson(ok(await cli("data", "query", 'name == "result" && version >= 0', "--select", "version", "--json"), "history").stdout);
  assert.deepEqual(history.results, [2, 1]);

  const limited = parseJson(ok(await cli("data", "query", 'modelName == "hello-world"', "--limit", "1", "--json"), "limit").stdout);
  assert.equal(limited.total, 1);
  assert.equal(limited.limited, true);

  const text = ok(await cli("data", "query", 'specName == "result"'), "query text").stdout;
  assert.match(text, /^name +modelName +specName +dataType +version +size\n-+/);
  assert.match(text, /\nresult +hello-world +result +resource +2 +\d+B\n/);
  assert.match(text, /\n1 result\(s\)\n$/);
  const none = ok(await cli("data", "query", 'name == "nothing-here"'), "query none").stdout;
  assert.equal(none, "No matching data found.\n");
});

test("data search: filters, JSON shape, text table", async () => {
  const out = parseJson(ok(await cli("data", "search", "--type", "resource", "--json"), "search").stdout);
  assert.deepEqual(Object.keys(out), ["query", "filters", "results", "total", "limited"]);
  assert.equal(out.query, "");
  assert.deepEqual(out.filters, { type: "resource" });
  assert.equal(out.total, 1);
  assert.equal(out.limited, false);
  const item = out.results[0];
  assert.equal(item.name, "result");
  assert.equal(item.modelName, "hello-world");
  assert.equal(item.modelId, modelId);
  assert.equal(item.ownerType, "model-method");
  assert.deepEqual(item.tags, { type: "resource", specName: "result", modelName: "hello-world" });

  const [byModel, streaming, tagged, recent, text, limited, none] = await Promise.all([
    cli("data", "search", "--model", "hello-world", "--content-type", "text/plain", "--json"),
    cli("data", "search", "--streaming", "--json"),
    cli("data", "search", "--tag", "specName=result", "--tag", "type=resource", "--json"),
    cli("data", "search", "report", "--since", "1h", "--json"),
    cli("data", "search", "--model", "hello-world"),
    cli("data", "search", "--limit", "2", "--json"),
    cli("data", "search", "--lifetime", "7d", "--owner-type", "manual", "--json"),
  ]);
  const names = (r: RunResult) => parseJson(ok(r, "search").stdout).results.map((x: any) => x.name).sort();
  assert.deepEqual(names(byModel), ["log"]);
  assert.deepEqual(parseJson(byModel.stdout).filters, { model: "hello-world", contentType: "text/plain" });
  assert.deepEqual(names(streaming), ["log"]);
  assert.deepEqual(parseJson(streaming.stdout).filters, { streaming: "true" });
  assert.deepEqual(names(tagged), ["result"]);
  assert.deepEqual(parseJson(tagged.stdout).filters, { "tag:specName": "result", "tag:type": "resource" });
  assert.deepEqual(names(recent), ["report-swamp-method-summary", "report-swamp-method-summary-json"]);
  assert.equal(parseJson(recent.stdout).query, "report");
  const lim = parseJson(ok(limited, "limit").stdout);
  assert.equal(lim.results.length, 2);
  assert.equal(lim.total, 4);
  assert.equal(lim.limited, true);
  assert.equal(parseJson(ok(none, "none").stdout).total, 0);
  const textOut = ok(text, "search text").stdout;
  assert.match(textOut, /^NAME +VERSION +TYPE +MODEL +CONTENT TYPE +SIZE +CREATED\n/);
  assert.match(textOut, /\nresult +v2 +resource +hello-world +application\/json +\d+B +\d{4}-\d{2}-\d{2}\n/);
  assert.match(textOut, /\n4 result\(s\)\n$/);
});

test("data gc --dry-run on fresh data: all zeros, nothing changed", async () => {
  const before = await snapshotTree(repo);
  const out = parseJson(ok(await cli("data", "gc", "--dry-run", "--json"), "gc dry").stdout);
  assert.deepEqual(out, { dataEntriesExpired: 0, versionsDeleted: 0, bytesReclaimed: 0, dryRun: true, expiredEntries: [] });
  assert.equal(ok(await cli("data", "gc", "--dry-run"), "gc dry text").stdout, "Nothing to clean up.\n");
  assert.deepEqual(await snapshotTree(repo), before);
});

test("data rename copies the latest version, leaves a forward reference, and get follows it", async () => {
  const r = ok(await cli("data", "rename", "hello-world", "result", "execution-result", "--json"), "rename");
  const out = parseJson(r.stdout);
  assert.deepEqual(out, {
    oldName: "result",
    newName: "execution-result",
    modelId,
    modelName: "hello-world",
    modelType: "command/shell",
    copiedVersion: 2,
    newVersion: 1,
    warning:
      'Any workflows or models that produce data under "result" will overwrite the forward reference. Update them to use "execution-result" instead.',
  });

  const followed = parseJson(ok(await cli("data", "get", "hello-world", "result", "--json"), "get old").stdout);
  assert.equal(followed.name, "execution-result");
  assert.equal(followed.version, 1);
  assert.equal(followed.content.stdout, "Hello from the swamp!");

  // The old name keeps its history plus the tombstone; an explicit version is never forwarded.
  const versions = parseJson(ok(await cli("data", "versions", "hello-world", "result", "--json"), "versions old").stdout);
  assert.deepEqual(versions.versions.map((v: any) => v.version), [3, 2, 1]);
  const tomb = parseJson(ok(await cli("data", "get", "hello-world", "result", "--version", "3", "--json"), "tombstone").stdout);
  assert.equal(tomb.lifecycle, "deleted");
  assert.equal(tomb.renamedTo, "execution-result");

  const list = parseJson(ok(await cli("data", "list", "hello-world", "--json"), "list").stdout);
  assert.deepEqual(list.groups.find((g: any) => g.type === "resource").items.map((i: any) => i.name), ["execution-result"]);

  const sel = parseJson(ok(await cli("data", "query", 'tags.type == "resource"', "--select", "name", "--json"), "select").stdout);
  assert.deepEqual(sel, { results: ["execution-result"], total: 1, limited: false });
  const search = parseJson(ok(await cli("data", "search", "--type", "resource", "--json"), "search").stdout);
  assert.deepEqual(search.results.map((x: any) => [x.name, x.version]), [["execution-result", 1]]);

  // Text mode: the four lines.
  const again = ok(await cli("data", "rename", "hello-world", "execution-result", "final-result"), "rename text").stdout;
  assert.equal(
    again,
    [
      "Renamed execution-result -> final-result for hello-world (command/shell)",
      "Version 1 copied as v1 under new name",
      "Old name execution-result now forwards to final-result",
      'Any workflows or models that produce data under "execution-result" will overwrite the forward reference. Update them to use "final-result" instead.',
      "",
    ].join("\n"),
  );
  // Two hops: result -> execution-result -> final-result.
  assert.equal(parseJson(ok(await cli("data", "get", "hello-world", "result", "--json"), "two hops").stdout).name, "final-result");
});
