import { test } from "node:test";
import assert from "node:assert/strict";
import { SwampError } from "../../../kernel/contract/errors.js";
import { dataQueryJson, dataListJson, dataGetJson, dataRenameJson, dataVersionsJson } from "../../../kernel/data/json.js";
import { compileQueryExpression, listForMessage, queryData, rootIdentifiers, searchData } from "../../../kernel/data/query.js";
import { MODEL_ID, MODEL_TYPE, fileSpec, resourceSpec, steppingClock, tempRepo } from "./helpers.js";

async function seeded() {
  const t = await tempRepo({ now: steppingClock("2026-04-07T00:00:00.000Z", 60_000) });
  const r = t.repo;
  await r.saveResource(resourceSpec("vpc"), { cidr: "10.0.0.0/16", count: 3, nested: { ok: true } });
  await r.saveResource(resourceSpec("vpc"), { cidr: "10.1.0.0/16", count: 5, nested: { ok: false } });
  await r.save(fileSpec("log"), "line one\nline two\n");
  await r.save(fileSpec("bin", { contentType: "application/octet-stream", streaming: false }), Buffer.from([0, 1, 2]));
  await r.saveResource(
    resourceSpec("scan", {
      modelType: "my/scanner",
      modelId: "scanner-id",
      tags: { type: "resource", specName: "host", modelName: "scanner", "team-name": "blue", workflow: "nightly" },
      ownerDefinition: { ownerType: "workflow-step", ownerRef: "wf-1:step-a", workflowRunId: "run-9", workflowName: "nightly", jobName: "j", stepName: "s", source: "step-output" },
      lifetime: "7d",
    }),
    { os: "linux" },
  );
  await r.saveResource(resourceSpec("gone"), { x: 1 });
  await r.writeDeletionMarker(MODEL_TYPE, MODEL_ID, "gone", { deletedByMethod: "delete" });
  await r.saveResource(resourceSpec("before"), { y: 1 });
  await r.rename(MODEL_TYPE, MODEL_ID, "before", "after");
  return t;
}

test("latest-only by default; tombstoned names excluded; history via version", async () => {
  const t = await seeded();
  try {
    const latest = await queryData(t.repo, 'dataType == "resource"');
    assert.deepEqual(latest.records.map((r) => `${r.name}@${r.version}`), ["after@1", "scan@1", "vpc@2"]);
    assert.ok(latest.records.every((r) => r.isLatest));
    const withDeleted = await queryData(t.repo, 'dataType == "resource"', { includeDeleted: true });
    assert.deepEqual(withDeleted.records.map((r) => `${r.name}@${r.version}`).sort(), ["after@1", "before@2", "gone@2", "scan@1", "vpc@2"]);
    const history = await queryData(t.repo, 'name == "vpc" && version >= 0');
    assert.deepEqual(history.records.map((r) => [r.version, r.isLatest]), [[2, true], [1, false]]);
    const tombstones = await queryData(t.repo, 'name == "before" && version > 0');
    assert.deepEqual(tombstones.records.map((r) => r.version), [2, 1], "renamed history stays queryable");
    const explicitLatest = await queryData(t.repo, 'isLatest == false && name == "vpc"');
    assert.deepEqual(explicitLatest.records.map((r) => r.version), [1]);
    const literal = await queryData(t.repo, 'name == "version"');
    assert.equal(literal.total, 0, '"version" inside a string literal does not widen the query');
  } finally {
    await t.cleanup();
  }
});

test("workflowRunId scopes a query to one run's data: the owner's id, or the tag of that name", async () => {
  const t = await seeded();
  try {
    await t.repo.saveResource(resourceSpec("tagged", { tags: { type: "resource", specName: "result", modelName: "hello-world", workflowRunId: "run-9" } }), { z: 1 });
    const scoped = await queryData(t.repo, 'dataType == "resource"', { workflowRunId: "run-9" });
    assert.deepEqual(scoped.records.map((r) => r.name).sort(), ["scan", "tagged"]);
    const projected = await queryData(t.repo, "true", { workflowRunId: "run-9", select: "name" });
    assert.deepEqual([...(projected.results ?? [])].sort(), ["scan", "tagged"]);
    assert.equal((await queryData(t.repo, "true", { workflowRunId: "run-0" })).total, 0);
  } finally {
    await t.cleanup();
  }
});

test("attributes/content load lazily; JSON content is the attributes object", async () => {
  const t2 = await seeded();
  try {
    const q = await queryData(t2.repo, "attributes.count > 4 && content.nested.ok == false");
    assert.deepEqual(q.records.map((r) => r.name), ["vpc"]);
    assert.equal(q.records[0]!.content, q.records[0]!.attributes, "same object");
    const missingKey = await queryData(t2.repo, 'attributes.status == "x"');
    assert.equal(missingKey.total, 0, "evaluation errors are non-matches");
    const text = await queryData(t2.repo, 'content.contains("line two")');
    assert.deepEqual(text.records.map((r) => r.name), ["log"]);
    const bin = await queryData(t2.repo, 'name == "bin"');
    assert.equal(bin.records[0]!.content, "", "binary content is empty");
    assert.deepEqual(bin.records[0]!.attributes, {});
    // hydrated even though the predicate did not need content
    const hydrated = await queryData(t2.repo, 'name == "scan"');
    assert.deepEqual(hydrated.records[0]!.content, { os: "linux" });
    const notHydrated = await queryData(t2.repo, 'name == "scan"', { hydrate: false });
    assert.equal(notHydrated.records[0]!.content, "");
  } finally {
    await t2.cleanup();
  }
});

test("record fields: provenance, tags, sizes, order and limit", async () => {
  const t = await seeded();
  try {
    const scan = (await queryData(t.repo, 'ownerType == "workflow-step"')).records[0]!;
    assert.equal(scan.modelType, "my/scanner");
    assert.equal(scan.modelId, "scanner-id");
    assert.equal(scan.modelName, "scanner");
    assert.equal(scan.specName, "host");
    assert.equal(scan.dataType, "resource");
    assert.equal(scan.workflowRunId, "run-9");
    assert.equal(scan.workflowName, "nightly");
    assert.equal(scan.jobName, "j");
    assert.equal(scan.stepName, "s");
    assert.equal(scan.source, "step-output");
    assert.equal(scan.ownerRef, "wf-1:step-a");
    assert.equal(scan.namespace, "");
    assert.equal(scan.size, Buffer.byteLength('{"os":"linux"}'));
    assert.equal((await queryData(t.repo, 'tags["team-name"] == "blue"')).total, 1);
    assert.equal((await queryData(t.repo, "size > 10 && version == 1 && size < 100")).total >= 1, true);
    assert.equal((await queryData(t.repo, 'ns == "" && lifetime == "7d" && streaming == false')).total, 1);
    assert.equal((await queryData(t.repo, "tags.exists(k, k == \"workflow\")")).total, 1, "macro-bound variables are fine");
    const all = await queryData(t.repo, "true");
    const stamps = all.records.map((r) => r.createdAt);
    assert.deepEqual(stamps, [...stamps].sort().reverse(), "createdAt desc");
    const limited = await queryData(t.repo, "true", { limit: 2 });
    assert.equal(limited.total, 2);
    assert.equal(limited.limited, true);
    assert.deepEqual(limited.records.map((r) => r.id), all.records.slice(0, 2).map((r) => r.id));
    assert.equal((await queryData(t.repo, "true", { limit: 100 })).limited, false);
  } finally {
    await t.cleanup();
  }
});

test("select projections: scalars, maps, lists; BigInt → number; failures → null", async () => {
  const t = await seeded();
  try {
    const names = await queryData(t.repo, 'dataType == "resource"', { select: "name" });
    assert.deepEqual(names.results, ["after", "scan", "vpc"]);
    const maps = await queryData(t.repo, 'name == "vpc"', { select: '{"v": version, "c": attributes.cidr, "s": size}' });
    assert.deepEqual(maps.results, [{ v: 2, c: "10.1.0.0/16", s: maps.records[0]!.size }]);
    const lists = await queryData(t.repo, 'name == "vpc" && version >= 1', { select: "[name, version + 1]" });
    assert.deepEqual(lists.results, [["vpc", 3], ["vpc", 2]]);
    const failing = await queryData(t.repo, 'name == "vpc"', { select: "attributes.nope" });
    assert.deepEqual(failing.results, [null]);
    assert.deepEqual(dataQueryJson(names), { results: ["after", "scan", "vpc"], total: 3, limited: false });
    const json = dataQueryJson(await queryData(t.repo, 'name == "vpc"'));
    const first = (json.results as Array<Record<string, unknown>>)[0]!;
    assert.equal("attributes" in first, false);
    assert.deepEqual(first.content, { cidr: "10.1.0.0/16", count: 5, nested: { ok: false } });
    assert.equal(json.predicate, 'name == "vpc"');
  } finally {
    await t.cleanup();
  }
});

test("listForMessage: names comma-separated, cut off past the budget with a count", () => {
  assert.equal(listForMessage(["a", "b", "c"]), "a, b, c");
  assert.equal(listForMessage(["alpha", "beta", "gamma", "delta"], 12), "alpha, beta, … (+2 more)");
  assert.equal(listForMessage(["a-very-long-name", "b"], 5), "a-very-long-name, … (+1 more)");
  assert.equal(listForMessage([]), "");
});

test("unknown fields and parse errors fail with query_failed", async () => {
  const t = await seeded();
  try {
    await assert.rejects(
      () => queryData(t.repo, 'foo == "x"'),
      (err: unknown) =>
        err instanceof SwampError &&
        err.code === "query_failed" &&
        !err.message.includes("\n") &&
        err.message.startsWith('Unknown field "foo" in query predicate. Available: attributes, content, contentType, createdAt, dataType, id, isLatest, jobName, lifetime, modelName, modelType, name, ns'),
    );
    await assert.rejects(() => queryData(t.repo, "name == "), (err: unknown) => err instanceof SwampError && err.code === "query_failed");
    await assert.rejects(() => queryData(t.repo, "true", { select: "bogus" }), /Unknown field "bogus" in select expression/);
    assert.deepEqual([...rootIdentifiers(compileQueryExpression("attributes.items.all(i, i.size > 1) && cel.bind(z, name, z == 'a')").ast)].sort(), ["attributes", "name"]);
    assert.equal(compileQueryExpression("name == 'a'"), compileQueryExpression("name == 'a'"), "parsed programs are cached");
  } finally {
    await t.cleanup();
  }
});

test("regexes run on RE2; an invalid regex or a predicate past the budget fails the query instead of not matching", async () => {
  const t = await seeded();
  try {
    const evil = await queryData(t.repo, `name.matches("^(v+)+$") || "${"v".repeat(38)}!".matches("^(v+)+$")`);
    assert.deepEqual(evil.records.map((r) => r.name), [], "linear time, correct answer");
    const cidr = await queryData(t.repo, 'attributes.cidr.matches("^10[.]1[.]")', { select: "attributes.cidr.matches('^10')" });
    assert.deepEqual(cidr.records.map((r) => r.name), ["vpc"]);
    assert.deepEqual(cidr.results, [true]);
    const code = (expected: string) => (err: unknown) => err instanceof SwampError && err.code === expected;
    await assert.rejects(queryData(t.repo, 'name.matches("(?=v)")'), code("invalid_regex"));
    await assert.rejects(queryData(t.repo, "true", { select: 'name.matches("(a)\\\\1")' }), code("invalid_regex"));
    const thousand = `[${Array.from({ length: 1000 }, (_, i) => i).join(",")}]`;
    await assert.rejects(queryData(t.repo, `${thousand}.map(x, ${thousand}.map(y, [0,1,2,3,4,5,6,7,8,9].map(z, z))).size() > 0`), code("expression_budget_exceeded"));
  } finally {
    await t.cleanup();
  }
});

test("search: filters, free text, order, limit, filter echo", async () => {
  const t = await seeded();
  try {
    const all = await searchData(t.repo, {});
    assert.deepEqual(all.results.map((r) => r.name), ["after", "scan", "bin", "log", "vpc"]);
    assert.equal(all.limited, false);
    assert.equal(all.query, "");
    const res = await searchData(t.repo, { type: "resource" });
    assert.deepEqual(res.results.map((r) => r.name), ["after", "scan", "vpc"]);
    assert.deepEqual(res.filters, { type: "resource" });
    const item = res.results.find((r) => r.name === "scan")!;
    assert.deepEqual(Object.keys(item), ["id", "name", "version", "contentType", "type", "lifetime", "ownerType", "ownerRef", "modelId", "modelName", "modelType", "streaming", "size", "createdAt", "tags", "workflowTag"]);
    assert.equal((await searchData(t.repo, { query: "SCANN" })).total, 1, "free text on model name/type, case-insensitive");
    assert.equal((await searchData(t.repo, { query: "wf-1" })).total, 1, "free text on ownerRef");
    assert.equal((await searchData(t.repo, { run: "run-9" })).total, 1);
    assert.equal((await searchData(t.repo, { run: "wf-1" })).total, 0, "--run is the owner's workflowRunId, not an ownerRef segment");
    assert.equal((await searchData(t.repo, { output: "step-a" })).total, 1);
    assert.equal((await searchData(t.repo, { tags: { "team-name": "blue" }, workflow: "nightly", ownerType: "workflow-step" })).total, 1);
    assert.equal((await searchData(t.repo, { streaming: true })).results[0]!.name, "log");
    assert.equal((await searchData(t.repo, { contentType: "application/octet-stream" })).total, 1);
    assert.equal((await searchData(t.repo, { lifetime: "7d", model: "scanner" })).total, 1);
    const recent = await searchData(t.repo, { since: "1h", now: new Date("2026-04-07T01:00:00.000Z") });
    assert.ok(recent.total > 0 && recent.total < 5 + 1);
    assert.equal((await searchData(t.repo, { since: "1m", now: new Date("2027-01-01T00:00:00.000Z") })).total, 0);
    await assert.rejects(() => searchData(t.repo, { since: "soon" }), /Invalid duration format: "soon"/);
    const lim = await searchData(t.repo, { limit: 2 });
    assert.deepEqual([lim.results.length, lim.total, lim.limited], [2, 5, true]);
    assert.equal((await searchData(t.repo, { includeDeleted: true })).total, 6, "deletion marker with includeDeleted");
    assert.deepEqual(
      (await searchData(t.repo, { streaming: true, tags: { a: "b" }, since: "1d" })).filters,
      { since: "1d", streaming: "true", "tag:a": "b" },
    );
  } finally {
    await t.cleanup();
  }
});

test("JSON shapes for get, versions, list and rename", async () => {
  const t = await seeded();
  try {
    const model = { modelId: MODEL_ID, modelName: "hello-world", modelType: MODEL_TYPE };
    const meta = (await t.repo.get(MODEL_TYPE, MODEL_ID, "vpc"))!;
    const raw = await t.repo.getContent(MODEL_TYPE, MODEL_ID, "vpc", meta.version);
    const get = dataGetJson(meta, model, ".swamp/data/command/shell/x/vpc/2/raw", raw);
    assert.deepEqual(Object.keys(get), ["id", "name", "modelId", "modelName", "modelType", "version", "contentType", "lifetime", "garbageCollection", "streaming", "tags", "ownerDefinition", "createdAt", "size", "checksum", "contentPath", "content"]);
    assert.deepEqual(get.content, { cidr: "10.1.0.0/16", count: 5, nested: { ok: false } });
    assert.equal("content" in dataGetJson(meta, model, "p", null), false);
    const versions = dataVersionsJson("vpc", model, await t.repo.versionSummaries(MODEL_TYPE, MODEL_ID, "vpc"));
    assert.deepEqual(Object.keys(versions), ["dataName", "modelId", "modelName", "modelType", "versions", "total"]);
    assert.equal(versions.total, 2);
    const list = dataListJson(model, await t.repo.list(MODEL_TYPE, MODEL_ID)) as { groups: Array<{ type: string; items: Array<{ name: string }> }>; total: number };
    assert.deepEqual(list.groups.map((g) => [g.type, g.items.map((i) => i.name)]), [["file", ["bin", "log"]], ["resource", ["after", "gone", "vpc"]]]);
    assert.equal(list.total, 5);
    const ren = dataRenameJson({ oldName: "result", newName: "execution-result", copiedVersion: 2, newVersion: 1 }, model);
    assert.equal(ren.warning, 'Any workflows or models that produce data under "result" will overwrite the forward reference. Update them to use "execution-result" instead.');
  } finally {
    await t.cleanup();
  }
});

test("top-k selection matches a full sort", async () => {
  const { smallest } = await import("../../../kernel/data/query.js");
  for (const [n, k] of [[1000, 5], [1000, 1], [50, 10], [0, 3], [10, 0], [777, 97]] as const) {
    const items = Array.from({ length: n }, () => Math.floor(Math.random() * 300));
    const expected = [...items].sort((a, b) => a - b).slice(0, k);
    assert.deepEqual(smallest([...items], k, (a, b) => a - b), expected, `n=${n} k=${k}`);
  }
});
