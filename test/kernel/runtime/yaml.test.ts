import { test } from "node:test";
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { plainDataYaml, toYaml } from "../../../kernel/runtime/yaml.js";

const library = (value: unknown): string => stringify(value, { version: "1.1", lineWidth: 0 });

const outputRecord = {
  id: "a95edf10-243a-4ca2-b3b1-32b32001f6a1",
  definitionId: "6fc16b82-a6d6-4a7e-af16-66407585487f",
  modelName: "tiny",
  type: "command/shell",
  methodName: "execute",
  status: "succeeded",
  startedAt: "2026-12-03T15:54:28.397Z",
  durationMs: 129,
  retryCount: 0,
  provenance: { definitionHash: "69eaccde6ffdcbaefac52d8b51f8f02b5b0d74ee158889328495eecb710e5c4a", modelVersion: 1, triggeredBy: "manual", driver: "raw" },
  artifacts: {
    dataArtifacts: [
      { dataId: "f0b1f7e2-fa49-42a9-ab0f-bec60d8521dc", name: "log", version: 40, tags: { type: "file", specName: "log", modelName: "tiny" } },
      { dataId: "10c75687-43cb-437d-ab32-7faf665567d2", name: "result", version: 40, tags: {} },
    ],
  },
  error: null,
  logFile: ".swamp/outputs/command/shell/execute/6fc16b82-a6d6-4a7e-af16-66407585487f-2026-12-03T15-54-28-397Z.log",
  pid: 12487,
};

const evaluatedDefinition = {
  type: "command/shell",
  typeVersion: "2026.02.09.1",
  id: "6fc16b82-a6d6-4a7e-af16-66407585487f",
  name: "tiny",
  version: 1,
  tags: {},
  globalArguments: { region: "eu-west-1", retries: 3, ratio: 0.25, dryRun: false, zones: ["a", "b"], nested: [[1, [2]], [], {}], owner: null },
  methods: {
    execute: {
      arguments: {
        run: "ls -la | grep \"x\" > out.txt && curl https://example.com/a?b=c&d=e",
        expression: "${{ inputs.region }}-${{ data.latest('vpc', 'state').attributes.id }}",
        timeout: 30,
        flags: ["--force", "-v", "a, b", "[x]", "key=value", "$HOME/x", "~/y", "100%", "it's", "?x", ":x", "x::y", "v1.2.3"],
      },
    },
  },
};

test("plain data is written exactly as the yaml library writes it", () => {
  for (const doc of [outputRecord, evaluatedDefinition, [1, { a: 1 }, [2, [3]]], {}, []]) {
    assert.ok(plainDataYaml(doc) !== undefined, "the fast path takes it");
    assert.equal(toYaml(doc), library(doc));
  }
});

test("what the fast path does not write goes through the library", () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const declined: unknown[] = [
    { script: "line one\nline two" },
    { at: new Date(0) },
    { p: new Point() },
    { n: -0 },
    { n: 1e21 },
    { n: 1e-7 },
    { n: NaN },
    { n: Infinity },
    { list: [1, undefined] },
    { big: 10n },
    { [`k${"x".repeat(1001)}`]: 1 },
    "top-level scalar",
    cyclic,
  ];
  for (const doc of declined) {
    assert.equal(plainDataYaml(doc), undefined, JSON.stringify(doc, (_k, v) => (typeof v === "bigint" ? `${v}n` : v === cyclic ? "[cycle]" : v)));
  }
  assert.match(toYaml({ script: "line one\nline two" }), /script: \|-\n  line one\n  line two\n/);
  assert.equal(toYaml({ n: -0 }), '"n": -0\n');
});

const trickyStrings = [
  "plain", "with space", "a:b", "a: b", "x #y", "x#y", "x, y", "trailing ", " leading", "end:", "", "~", "null", "Null", "NULL",
  "yes", "No", "ON", "off", "y", "N", "true", "False", "1", "-1", "+1", "1.5", ".5", "1e5", "1_000", "0x1F", "0o17", "0b101", "017",
  "1:20", "190:20:30.5", "2026-12-03", "2026-12-03T15:54:28.397Z", ".inf", ".NaN", "-", "- x", "? q", "[x", "{x", "*a", "&a", "!t",
  "|p", ">p", "%p", ".hidden/x", ".", "..", "...", "... x", ".inf", "-.inf", ".Inf", ".nan", ".5.", "@at", "`bt", "'single'", "\"double\"", "back\\slash", "tab\there", "cr\rhere", "héllo", "日本語", "emoji 🐸",
  "nel\u0085here", "ls\u2028here", "ps\u2029here", "del\u007fhere", "c1\u0090here", "bom\ufeffhere", "lone \ud800 surrogate", "bell\u0007",
  "=", "<<", "_", "__proto__", "-x", "--flag", "?x", ":x", "x::y", "[1,2]", "{a}", "a, b", "it's", "echo \"hi\"", "${{ inputs.x }}",
  "a | b", "a > b", "x!", "~/x", "$HOME", "nbsp\u00a0", "\u00a0nbsp", "100%", "x\u3000", "ünï ok", "a/b.c@d+e=f", "x".repeat(300),
];

/** A deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function tree(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.45) {
    const leaf = next();
    if (leaf < 0.6) return trickyStrings[Math.floor(next() * trickyStrings.length)];
    if (leaf < 0.75) return Math.floor(next() * 2e6) - 1e6;
    if (leaf < 0.85) return Math.round((next() - 0.5) * 1e6) / 1e3;
    if (leaf < 0.95) return next() < 0.5;
    return null;
  }
  const size = Math.floor(next() * 4);
  if (pick < 0.7) return Array.from({ length: size }, () => tree(next, depth + 1));
  const map: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) {
    const key = trickyStrings[Math.floor(next() * trickyStrings.length)] as string;
    Object.defineProperty(map, key, { value: tree(next, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return map;
}

test("whatever the fast path writes reads back the same under YAML 1.1 and 1.2, with nothing raw a reader refuses", () => {
  const next = random(20261203);
  let fast = 0;
  for (let i = 0; i < 3000; i++) {
    const doc = next() < 0.5 ? { root: tree(next, 0) } : tree(next, 1);
    const text = plainDataYaml(doc);
    if (text === undefined) continue;
    fast++;
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/, text);
    for (const version of ["1.1", "1.2"] as const) {
      assert.deepEqual(parse(text, { version }), doc, `${version}:\n${text}`);
    }
  }
  assert.ok(fast > 1500, `the fast path took ${fast} of 3000 documents`);
});
