/**
 * Definition-expression evaluation cost vs repository size.
 *
 *   node dist/bench/expressions.bench.js
 *
 * Evaluates a definition holding 20 expressions (self, inputs, data.latest,
 * model.<x>.definition) with a fresh context per evaluation (as a method run does), against
 * in-memory repositories of different sizes: empty, only what the expressions name, and 1,000
 * models / 20,000 data names (60,000 versions). The context is lazy, so the large/minimal
 * ratio should stay near 1. Also prints raw evaluations/s of one cached simple expression.
 * Figures only; no assertions.
 */
import { performance } from "node:perf_hooks";
import { ExpressionContext } from "../kernel/expressions/context.js";
import type { DataAccess, DataRecord, DefinitionLookup, DefinitionSummary } from "../kernel/expressions/context.js";
import { compileExpression, expressionCacheStats } from "../kernel/expressions/engine.js";
import { evaluateDefinition } from "../kernel/expressions/evaluate.js";

function makeRecord(model: string, name: string, version: number, i: number): DataRecord {
  const attributes = { i, version, ip: `10.0.${i % 250}.${version}`, ready: true };
  return {
    id: `${model}-${name}-${version}`,
    name,
    version,
    isLatest: version === 3,
    createdAt: "2026-01-01T00:00:00.000Z",
    namespace: "",
    attributes,
    tags: { modelName: model, specName: "state", type: "resource" },
    modelName: model,
    modelId: `id-${model}`,
    modelType: "bench/type",
    specName: "state",
    dataType: "resource",
    contentType: "application/json",
    lifetime: "infinite",
    ownerType: "model-method",
    streaming: false,
    size: 64,
    content: attributes,
    ownerRef: "",
    workflowRunId: "",
    workflowName: "",
    jobName: "",
    stepName: "",
    source: "",
  };
}

interface Repo {
  definitions: DefinitionLookup;
  data: DataAccess;
}

/** A Map-backed repository; `filter` keeps only some models/data (for the "minimal" case). */
function makeRepo(models: number, items: number, keepModel: (name: string) => boolean = () => true): Repo {
  const defs = new Map<string, DefinitionSummary>();
  for (let i = 0; i < models; i++) {
    const name = `m${i}`;
    if (!keepModel(name)) continue;
    const d: DefinitionSummary = { id: `id-${name}`, name, version: 1, tags: {}, globalArguments: { url: `https://${name}.example`, port: 8000 + i } };
    defs.set(name, d);
    defs.set(d.id, d);
  }
  const versions = new Map<string, DataRecord[]>();
  for (let i = 0; i < items; i++) {
    const model = `m${i % Math.max(models, 1)}`;
    if (!keepModel(model)) continue;
    const name = `d${Math.floor(i / Math.max(models, 1))}`;
    versions.set(`${model}/${name}`, [1, 2, 3].map((v) => makeRecord(model, name, v, i)));
  }
  const latestOf = (model: string, name: string): DataRecord | null => versions.get(`${model}/${name}`)?.at(-1) ?? null;
  return {
    definitions: { find: async (ref) => defs.get(ref) ?? null },
    data: {
      latest: async (m, n) => latestOf(m, n),
      version: async (m, n, v) => versions.get(`${m}/${n}`)?.find((r) => r.version === v) ?? null,
      listVersions: async (m, n) => (versions.get(`${m}/${n}`) ?? []).map((r) => r.version),
      findByTag: async () => [],
      findBySpec: async () => [],
      query: async () => [],
      fileContents: async () => null,
    },
  };
}

const EXPRESSION_MODELS = ["m3", "m17", "m250", "m512", "m999"];

function definition(): Record<string, unknown> {
  const g: Record<string, unknown> = {};
  // 5 × self
  g.s1 = "${{ self.name }}";
  g.s2 = "${{ self.version + 1 }}";
  g.s3 = "${{ self.tags.env }}";
  g.s4 = "${{ self.name }}-${{ self.version }}";
  g.s5 = "${{ self.globalArguments.prefix + '!' }}";
  // 5 × inputs
  g.i1 = "${{ inputs.region }}";
  g.i2 = "${{ inputs.count * 2 }}";
  g.i3 = "${{ inputs.tags.map(t, t + '-x') }}";
  g.i4 = "${{ inputs.?missing.orValue('dflt') }}";
  g.i5 = "${{ inputs.count > 1 ? 'many' : 'one' }}";
  // 5 × data.latest
  EXPRESSION_MODELS.forEach((m, k) => {
    g[`d${k + 1}`] = `\${{ data.latest('${m}', 'd${k}').attributes.ip }}`;
  });
  // 5 × model.<x>.definition
  EXPRESSION_MODELS.forEach((m, k) => {
    g[`m${k + 1}`] = `\${{ model.${m}.definition.globalArguments.url }}`;
  });
  return { id: "id-bench", name: "bench", version: 1, tags: { env: "dev" }, globalArguments: g };
}

/** One runner per repository: a fresh context and a phase-1 evaluation per call. */
function runner(repo: Repo): () => Promise<number> {
  const def = definition();
  const self = { id: "id-bench", name: "bench", version: 1, tags: { env: "dev" }, globalArguments: { prefix: "hi" } };
  const inputs = { region: "eu-west-1", count: 3, tags: ["a", "b"] };
  return async () => {
    const ctx = new ExpressionContext({ self, inputs, definitions: repo.definitions, data: repo.data });
    const result = await evaluateDefinition(def, ctx);
    return result.unresolved.length;
  };
}

async function timeBatch(run: () => Promise<number>, iterations: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await run();
  return (performance.now() - start) / iterations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function rawRate(): Promise<void> {
  const ctx = new ExpressionContext({ self: { name: "bench" }, inputs: { n: 3 } });
  const source = "self.name + '-' + string(inputs.n * 2)";
  const compiled = compileExpression(source);
  await ctx.evaluate(compiled);
  const durationMs = 1500;

  let count = 0;
  let start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < 1000; i++) await ctx.evaluate(compiled);
    count += 1000;
  }
  const viaContext = count / ((performance.now() - start) / 1000);

  const before = expressionCacheStats().parses;
  count = 0;
  start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < 1000; i++) await ctx.evaluate(source);
    count += 1000;
  }
  const viaText = count / ((performance.now() - start) / 1000);
  const parsed = expressionCacheStats().parses - before;

  const activation = { self: { name: "bench" }, inputs: { n: 3 } };
  count = 0;
  start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < 1000; i++) compiled.run(activation);
    count += 1000;
  }
  const rawRun = count / ((performance.now() - start) / 1000);

  console.log(`\ncached simple expression: ${JSON.stringify(source)}`);
  console.log(`  compiled program, plain activation     ${Math.round(rawRun).toLocaleString("en-US").padStart(12)} evaluations/s`);
  console.log(`  ExpressionContext.evaluate(compiled)   ${Math.round(viaContext).toLocaleString("en-US").padStart(12)} evaluations/s`);
  console.log(`  ExpressionContext.evaluate(text)       ${Math.round(viaText).toLocaleString("en-US").padStart(12)} evaluations/s  (${parsed} re-parses)`);
}

async function main(): Promise<void> {
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 1000);
  const rounds = 7;
  const keep = new Set(EXPRESSION_MODELS);
  const cases = [
    { label: "empty repo", run: runner(makeRepo(0, 0)) },
    { label: "only the named models/data", run: runner(makeRepo(1000, 20000, (m) => keep.has(m))) },
    { label: "1,000 models / 20,000 data names", run: runner(makeRepo(1000, 20000)) },
  ];
  console.log(
    `definition with 20 expressions (5 self, 5 inputs, 5 data.latest, 5 model.<x>.definition); ` +
      `fresh context per evaluation; median of ${rounds} interleaved rounds × ${iterations} evaluations`,
  );
  for (const c of cases) for (let i = 0; i < 300; i++) await c.run(); // warm-up
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [k, c] of cases.entries()) (samples[k] as number[]).push(await timeBatch(c.run, iterations));
  }
  const perEval = samples.map(median);
  for (const [k, c] of cases.entries()) {
    const unresolved = await c.run();
    console.log(`  ${c.label.padEnd(36)} ${((perEval[k] as number) * 1000).toFixed(1).padStart(8)} µs/definition  (${unresolved} unresolved)`);
  }
  const [empty, minimal, large] = perEval as [number, number, number];
  console.log(`  ratio large / empty:   ${(large / empty).toFixed(2)}   (the empty repo leaves 10 expressions unresolved: errors cost more)`);
  console.log(`  ratio large / minimal: ${(large / minimal).toFixed(2)}`);
  await rawRate();
}

await main();
