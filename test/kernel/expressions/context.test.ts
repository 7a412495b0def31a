import { test } from "node:test";
import assert from "node:assert/strict";
import { ExpressionContext, composeDataName } from "../../../kernel/expressions/context.js";
import { evaluateDefinition } from "../../../kernel/expressions/evaluate.js";
import { FakeData, FakeDefinitions, bigRepo, record, summary } from "./fakes.js";

function setup(): { data: FakeData; definitions: FakeDefinitions; ctx: ExpressionContext } {
  const definitions = new FakeDefinitions([
    summary("web", { port: 8080, host: "web.local" }, { tags: { team: "a" }, inputs: { type: "object" } }),
    summary("deploy-vpc", { cidr: "10.0.0.0/16" }, { id: "3f0c1a2b-1111-4222-8333-444455556666" }),
  ]);
  const data = new FakeData();
  data.add(record("web", "state", 1, { ip: "10.0.0.1" }));
  data.add(record("web", "state", 2, { ip: "10.0.0.2" }));
  data.add(record("web", "state", 3, { ip: "10.0.0.3" }));
  data.add(record("web", "result-us-east-1-blue", 1, { region: "us-east-1" }));
  data.add(record("web", "result-us-east-1-blue", 2, { region: "us-east-1", v: 2 }));
  data.add(record("web", "other", 1, { x: 1 }, { tags: { env: "prod", modelName: "web" }, specName: "other" }));
  data.add(record("db", "state", 1, { x: 2 }, { tags: { env: "prod", modelName: "db" } }));
  data.contents.set("web/log", "log text");
  data.files.set("web/log/main", { id: "f1", version: 1, createdAt: "2026-01-01T00:00:00.000Z", path: "/tmp/x.log", size: 8, contentType: "text/plain" });
  const ctx = new ExpressionContext({
    self: { id: "id-me", name: "me", version: 3, tags: { env: "dev" }, globalArguments: { prefix: "p", raw: "${{ inputs.x }}" } },
    inputs: { region: "us-east-1", colour: "blue", model: "web", n: 2 },
    definitions,
    data,
  });
  return { data, definitions, ctx };
}

test("self: id, name, version, tags, raw globalArguments; unknown self.* is null", async () => {
  const { ctx } = setup();
  assert.equal(await ctx.evaluate("self.name"), "me");
  assert.equal(await ctx.evaluate("self.id"), "id-me");
  assert.equal(await ctx.evaluate("self.version"), 3);
  assert.equal(await ctx.evaluate("self.tags.env"), "dev");
  assert.equal(await ctx.evaluate("self.globalArguments.raw"), "${{ inputs.x }}");
  assert.equal(await ctx.evaluate("self.unknown"), null);
  assert.equal(await ctx.evaluate("self.unknown == null"), true);
});

test("data.latest returns the latest record; missing → null (use .?)", async () => {
  const { ctx, data } = setup();
  assert.equal(await ctx.evaluate('data.latest("web", "state").attributes.ip'), "10.0.0.3");
  assert.equal(await ctx.evaluate('data.latest("web", "state").version'), 3);
  assert.equal(await ctx.evaluate('data.latest("web", "state").content.ip'), "10.0.0.3");
  assert.equal(await ctx.evaluate('data.latest("web", "nope")'), null);
  assert.equal(await ctx.evaluate('data.latest("web", "nope").?attributes.ip.orValue("none")'), "none");
  // Memoised per context: the same call is fetched once.
  assert.equal(data.calls.filter((c) => c[0] === "latest" && c[2] === "state").length, 1);
});

test("data.version, with and without vary values; computed version argument", async () => {
  const { ctx } = setup();
  assert.equal(await ctx.evaluate('data.version("web", "state", 1).attributes.ip'), "10.0.0.1");
  assert.equal(await ctx.evaluate('data.version("web", "state", 9)'), null);
  assert.equal(await ctx.evaluate('data.version("web", "result", ["us-east-1", "blue"], 2).attributes.v'), 2);
  assert.equal(await ctx.evaluate('data.version("web", "state", inputs.n).attributes.ip'), "10.0.0.2");
  assert.equal(await ctx.evaluate('data.version("web", "state", data.latest("web", "state").version - 1).attributes.ip'), "10.0.0.2");
});

test("vary overloads compose <name>-<v1>-<v2>, also from computed values", async () => {
  const { ctx, data } = setup();
  assert.equal(await ctx.evaluate('data.latest("web", "result", ["us-east-1", "blue"]).attributes.v'), 2);
  assert.equal(await ctx.evaluate('data.latest("web", "result", [inputs.region, inputs.colour]).attributes.v'), 2);
  assert.deepEqual(await ctx.evaluate('data.listVersions("web", "result", ["us-east-1", "blue"])'), [1, 2]);
  assert.ok(data.calls.some((c) => c[0] === "latest" && c[2] === "result-us-east-1-blue"));
  await assert.rejects(ctx.evaluate('data.latest("web", "result", ["a/b"])'), /must not contain "\/"/);
  await assert.rejects(ctx.evaluate('data.latest("web", "result", [".."])'), /must not be "\." or contain "\.\."/);
  await assert.rejects(ctx.evaluate('data.latest("web", "result", [""])'), /must not be empty/);
  // An object stands for its key (a forEach item over a map), as on the write side.
  assert.equal(await ctx.evaluate('data.latest("web", "result", [{"key": "us-east-1"}, {"name": "blue"}]).attributes.v'), 2);
  await assert.rejects(ctx.evaluate('data.latest("web", "result", [{"other": 1}])'), /an object needs a key, name or id field/);
});

test("composeDataName", () => {
  assert.equal(composeDataName("r", undefined), "r");
  assert.equal(composeDataName("r", []), "r");
  assert.equal(composeDataName("r", ["a", 1, 2n]), "r-a-1-2");
  assert.throws(() => composeDataName("r", ["a\\b"]), /must not contain/);
  assert.throws(() => composeDataName("r", [null]), /Invalid vary value null for data "r": expected a string, number, boolean/);
});

test("data.listVersions returns ascending ints", async () => {
  const { ctx } = setup();
  assert.deepEqual(await ctx.evaluate('data.listVersions("web", "state")'), [1, 2, 3]);
  assert.deepEqual(await ctx.evaluate('data.listVersions("web", "nope")'), []);
  assert.equal(await ctx.evaluate('data.listVersions("web", "state")[2]'), 3);
});

test("data.findByTag / findBySpec / query go through DataAccess", async () => {
  const { ctx, data } = setup();
  assert.deepEqual(await ctx.evaluate('data.findByTag("env", "prod").map(r, r.modelName)'), ["web", "db"]);
  assert.deepEqual(await ctx.evaluate('data.findBySpec("web", "state").map(r, r.name)'), ["state", "result-us-east-1-blue"]);
  assert.equal(await ctx.evaluate('size(data.findBySpec("web", "other"))'), 1);
  data.queryResult = [{ name: "a" }, "b"];
  assert.deepEqual(await ctx.evaluate('data.query("modelName == \\"web\\"", "name")'), [{ name: "a" }, "b"]);
  assert.deepEqual(await ctx.evaluate('data.query("true")'), [{ name: "a" }, "b"]);
  assert.deepEqual(
    data.calls.filter((c) => c[0] === "query"),
    [
      ["query", 'modelName == "web"', "name"],
      ["query", "true", undefined],
    ],
  );
});

test("file.contents and model.<m>.file.<spec>.<instance>", async () => {
  const { ctx } = setup();
  assert.equal(await ctx.evaluate('file.contents("web", "log")'), "log text");
  assert.equal(await ctx.evaluate('file.contents("web", "none")'), null);
  assert.equal(await ctx.evaluate("model.web.file.log.main.path"), "/tmp/x.log");
  assert.equal(await ctx.evaluate("model.web.file.log.main.size"), 8);
  await assert.rejects(ctx.evaluate("model.web.file.log.other.path"), /No file "other" of spec "log" for model "web"/);
});

test("model.<name|id>.definition / .input, hyphenated names, computed names", async () => {
  const { ctx } = setup();
  assert.equal(await ctx.evaluate("model.web.definition.globalArguments.port"), 8080);
  assert.equal(await ctx.evaluate("model.web.input.globalArguments.host"), "web.local");
  assert.deepEqual(await ctx.evaluate("model.web.definition.inputs"), { type: "object" });
  assert.equal(await ctx.evaluate("has(model.web.input.inputs)"), false);
  assert.equal(await ctx.evaluate("model.web.definition.tags.team"), "a");
  assert.equal(await ctx.evaluate("model.deploy-vpc.definition.globalArguments.cidr"), "10.0.0.0/16");
  assert.equal(await ctx.evaluate("model.3f0c1a2b-1111-4222-8333-444455556666.definition.name"), "deploy-vpc");
  assert.equal(await ctx.evaluate('model["deploy-vpc"].definition.version'), 1);
  assert.equal(await ctx.evaluate("model[inputs.model].definition.globalArguments.port"), 8080);
  assert.equal(await ctx.evaluate("has(model.nope)"), false);
  await assert.rejects(ctx.evaluate("model.nope.definition"), /Model "nope" not found/);
});

test("model.<m>.resource.<spec>.<instance> is the latest record; enumeration and computed instances", async () => {
  const { ctx, data } = setup();
  assert.equal(await ctx.evaluate("model.web.resource.state.state.attributes.ip"), "10.0.0.3");
  assert.equal(await ctx.evaluate('model.web.resource.state["state"].version'), 3);
  assert.equal(await ctx.evaluate("model.web.resource.state[inputs.model == 'web' ? 'state' : 'x'].version"), 3);
  assert.equal(await ctx.evaluate("size(model.web.resource.state)"), 2);
  assert.equal(await ctx.evaluate("model.web.resource.state.?missing.orValue(0)"), 0);
  // Spec mismatch: the data name exists but belongs to another spec.
  await assert.rejects(ctx.evaluate("model.web.resource.state.other.version"), /No resource "other"/);
  assert.ok(data.count("findBySpec") >= 1);
});

test("a miss read through has()/in/.? re-runs the expression with the fetched value", async () => {
  const { ctx, definitions } = setup();
  assert.equal(await ctx.evaluate("inputs.model in model"), true);
  assert.equal(await ctx.evaluate("'ghost' in model"), false);
  assert.equal(await ctx.evaluate("model[?inputs.model].hasValue()"), true);
  assert.equal(await ctx.evaluate("has(model.web.resource.state.state)"), true);
  assert.deepEqual(definitions.calls.sort(), ["ghost", "web"]);
});

test("computed lookups take rounds; the number of rounds is bounded", async () => {
  const { definitions, data } = setup();
  definitions.add(summary("a", { next: "b" })).add(summary("b", { next: "web" }));
  const expr = "model[model[model.a.definition.globalArguments.next].definition.globalArguments.next].definition.globalArguments.port";
  assert.equal(await new ExpressionContext({ definitions, data }).evaluate(expr), 8080);
  await assert.rejects(
    new ExpressionContext({ definitions, data, maxLookupRounds: 2 }).evaluate(expr),
    (err: unknown) => (err as { code?: string }).code === "expression_failed" && /more than 2 rounds/.test((err as Error).message),
  );
});

test("data.* with computed arguments is awaited natively", async () => {
  const { ctx } = setup();
  assert.equal(await ctx.evaluate('data.latest(inputs.model, "state").attributes.ip'), "10.0.0.3");
  assert.deepEqual(await ctx.evaluate('["state", "other"].map(n, data.latest("web", n).version)'), [3, 1]);
  assert.equal(await ctx.evaluate('data.latest(model.web.definition.name, "state").version'), 3);
});

test("errors from DataAccess surface as evaluation errors", async () => {
  const { definitions } = setup();
  const data = new FakeData();
  data.latest = async () => {
    throw new Error('Ambiguous: "web" exists in namespaces [a, b], qualify with a namespace prefix');
  };
  const ctx = new ExpressionContext({ definitions, data });
  await assert.rejects(ctx.evaluate('data.latest("*:web", "state")'), /Ambiguous/);
  const bare = new ExpressionContext({});
  await assert.rejects(bare.evaluate('data.latest("web", "state")'), /not available in this context/);
});

test("laziness: with 1,000 models and 20,000 data names, evaluation touches only what expressions name", async () => {
  const { definitions, data } = bigRepo(1000, 20000);
  const ctx = new ExpressionContext({
    self: { name: "me", version: 1, globalArguments: {} },
    inputs: { target: "m7" },
    definitions,
    data,
  });
  const result = await evaluateDefinition(
    {
      globalArguments: {
        a: "${{ model.m1.definition.globalArguments.url }}",
        b: "${{ data.latest('m2', 'd3').attributes.i }}",
        c: "${{ model.m3.resource.state.d0.attributes.v }}",
        d: "${{ size(data.findBySpec('m4', 'state')) }}",
        e: "${{ model[inputs.target].definition.globalArguments.index }}",
        f: "${{ data.version('m5', 'd1', 2).attributes.v }}",
        g: "${{ self.name }}-${{ inputs.target }}",
      },
    },
    ctx,
  );
  assert.deepEqual(result.unresolved, []);
  assert.deepEqual(result.definition.globalArguments, {
    a: "https://m1.example",
    b: 3002,
    c: 3,
    d: 20,
    e: 7,
    f: 2,
    g: "me-m7",
  });
  assert.deepEqual([...new Set(definitions.calls)].sort(), ["m1", "m3", "m7"]);
  assert.equal(definitions.calls.length, 3);
  assert.deepEqual(
    data.calls.map((c) => c.join(" ")).sort(),
    ["findBySpec m4 state", "latest m2 d3", "latest m3 d0", "version m5 d1 2"],
  );
});

test("literal lookups of different expressions run concurrently", async () => {
  const { definitions, data } = setup();
  data.latency = 5;
  const ctx = new ExpressionContext({ definitions, data });
  const result = await evaluateDefinition(
    {
      a: "${{ data.latest('web', 'state').version }}",
      b: "${{ data.latest('web', 'other').version }}",
      c: "${{ data.listVersions('web', 'state') }}",
      d: "${{ data.findBySpec('web', 'state')[0].name }}",
      e: "${{ file.contents('web', 'log') }}",
    },
    ctx,
  );
  assert.deepEqual(result.definition, { a: 3, b: 1, c: [1, 2, 3], d: "state", e: "log text" });
  assert.equal(data.maxInFlight, 5, "all five reads were in flight at once");
});

test("multi-line expression bodies evaluate", async () => {
  const { ctx } = setup();
  const { definition } = await evaluateDefinition({ v: "${{\n  self.name +\n  '-' +\n  string(inputs.n)\n}}" }, ctx);
  assert.deepEqual(definition, { v: "me-2" });
});

test("invalidateLatest forgets memoised latest reads", async () => {
  const { ctx, data } = setup();
  assert.equal(await ctx.evaluate('data.latest("web", "state").version'), 3);
  data.add(record("web", "state", 4, { ip: "10.0.0.4" }));
  assert.equal(await ctx.evaluate('data.latest("web", "state").version'), 3);
  ctx.invalidateLatest("web", "state");
  assert.equal(await ctx.evaluate('data.latest("web", "state").version'), 4);
});

test("invalidateLatest also forgets versions not there before and catalog-wide reads; it takes every ref of the model", async () => {
  const { ctx, data } = setup();
  assert.equal(await ctx.evaluate('data.version("web", "state", 4)'), null);
  assert.equal(await ctx.evaluate('data.findBySpec("web", "state").size()'), 2);
  assert.equal(await ctx.evaluate('data.latest("web", "state").version'), 3);
  data.add(record("web", "state", 4, { ip: "10.0.0.4" }));
  data.add(record("web", "fresh", 1, {}));
  ctx.invalidateLatest(["id-web", "web"], "state");
  assert.equal(await ctx.evaluate('data.version("web", "state", 4).version'), 4);
  assert.equal(await ctx.evaluate('data.latest("web", "state").version'), 4);
  assert.equal(await ctx.evaluate('data.findBySpec("web", "state").size()'), 3);
});

test("invalidateLatest keeps memoised reads of other names", async () => {
  const { ctx, data } = setup();
  assert.equal(await ctx.evaluate('data.latest("web", "other").version'), 1);
  assert.equal(await ctx.evaluate('data.latest("db", "state").version'), 1);
  const before = data.calls.length;
  ctx.invalidateLatest("web", "state");
  assert.equal(await ctx.evaluate('data.latest("web", "other").version'), 1);
  assert.equal(await ctx.evaluate('data.latest("db", "state").version'), 1);
  assert.equal(data.calls.length, before, "served from the memo");
});

test("runScope: data.findBySpec sees only the run's data; data.latest, findByTag and model.* stay global", async () => {
  const definitions = new FakeDefinitions([summary("scan")]);
  const data = new FakeData();
  data.add(record("scan", "old", 1, { n: 1 }, { workflowRunId: "run-1", tags: { modelName: "scan", specName: "state", type: "resource", source: "step-output" } }));
  data.add(record("scan", "new", 1, { n: 2 }, { workflowRunId: "run-2", tags: { modelName: "scan", specName: "state", type: "resource", source: "step-output" } }));
  const scoped = new ExpressionContext({ definitions, data, runScope: { workflowRunId: "run-2" } });
  assert.deepEqual(await scoped.evaluate('data.findBySpec("scan", "state").map(r, r.name)'), ["new"]);
  assert.equal(await scoped.evaluate('data.latest("scan", "old").attributes.n'), 1);
  assert.equal(await scoped.evaluate('data.findByTag("source", "step-output").size()'), 2);
  assert.deepEqual(data.calls.find((c) => c[0] === "findBySpec"), ["findBySpec", "scan", "state", "run-2"]);
  const global = new ExpressionContext({ definitions, data });
  assert.equal(await global.evaluate('data.findBySpec("scan", "state").size()'), 2);
});

test("extra variables are roots but cannot replace swamp roots", async () => {
  const ctx = new ExpressionContext({ self: { name: "me" }, variables: { run: { id: "r1" }, self: { name: "hijack" } } });
  assert.equal(await ctx.evaluate("run.id"), "r1");
  assert.equal(await ctx.evaluate("self.name"), "me");
});
