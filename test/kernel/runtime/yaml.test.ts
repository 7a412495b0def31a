import { test } from "node:test";
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { fromYaml, parsePlainDataYaml, plainDataYaml, toYaml } from "../../../kernel/runtime/yaml.js";

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

/** 3000 random documents (the same for a seed) with what the fast path writes for each, if it takes it. */
function emittedDocuments(seed: number): Array<{ doc: unknown; text: string | undefined }> {
  const next = random(seed);
  return Array.from({ length: 3000 }, () => {
    const doc = next() < 0.5 ? { root: tree(next, 0) } : tree(next, 1);
    return { doc, text: plainDataYaml(doc) };
  });
}

test("whatever the fast path writes reads back the same under YAML 1.1 and 1.2, with nothing raw a reader refuses", () => {
  let fast = 0;
  for (const { doc, text } of emittedDocuments(20261203)) {
    if (text === undefined) continue;
    fast++;
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/, text);
    for (const version of ["1.1", "1.2"] as const) {
      assert.deepEqual(parse(text, { version }), doc, `${version}:\n${text}`);
    }
  }
  assert.ok(fast > 1500, `the fast path took ${fast} of 3000 documents`);
});

/** What the library makes of `text`: its value, or the error it throws. */
function libraryRead(text: string): { value: unknown } | { error: unknown } {
  try {
    return { value: parse(text) };
  } catch (error) {
    return { error };
  }
}

/** The fast reader either declines `text` or returns exactly what the library returns. */
function agreesWithLibrary(text: string): boolean {
  const fast = parsePlainDataYaml(text);
  if (fast === undefined) return true;
  const lib = libraryRead(text);
  assert.ok("value" in lib, `the fast reader took text the library refuses:\n${text}`);
  assert.deepEqual(fast, lib.value, text);
  return false;
}

test("what the fast path writes is read back directly, as the library reads it", () => {
  let read = 0;
  let written = 0;
  for (const { doc, text } of emittedDocuments(7)) {
    if (text === undefined) continue;
    written++;
    const fast = parsePlainDataYaml(text);
    if (fast === undefined) continue;
    read++;
    assert.deepEqual(fast, doc, text);
    assert.deepEqual(parse(text), doc, text);
  }
  for (const doc of [outputRecord, evaluatedDefinition]) assert.deepEqual(parsePlainDataYaml(toYaml(doc)), doc);
  // Declined: the keys the emitter quotes with escapes JSON lacks; everything else is read.
  assert.ok(read > written * 0.9, `read ${read} of ${written}`);
});

test("changed text is either declined by the fast reader or read exactly as the library reads it", () => {
  const next = random(99);
  const edits = [" ", "  ", "#", " #x", "- ", ":", ": ", '"', "'", "&a ", "*a", "!t ", "|", ">", "\n", "\t", "{", "}", "[", "]", "?", "---\n", "...\n", "~", "0", "-0", "1e3", ".", ",", "\\x41", "\r", "\ufeff", "<<: ", "__proto__: 1\n", "y", "Yes", "2026-01-01", "0x1F", "+1", "007", "\u0085", "\u2028", "\u007f"];
  let declined = 0;
  let total = 0;
  for (let i = 0; i < 4000; i++) {
    const doc = next() < 0.7 ? { root: tree(next, 0), other: tree(next, 1) } : tree(next, 1);
    const written = plainDataYaml(doc);
    if (written === undefined) continue;
    let text = written;
    for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
      const at = Math.floor(next() * text.length);
      const kind = next();
      if (kind < 0.6) text = text.slice(0, at) + edits[Math.floor(next() * edits.length)] + text.slice(at);
      else if (kind < 0.8) text = text.slice(0, at) + text.slice(at + 1);
      else {
        const lines: string[] = text.split("\n");
        const line = Math.floor(next() * (lines.length - 1));
        lines.splice(line, 0, lines[line] as string);
        text = lines.join("\n");
      }
    }
    total++;
    if (agreesWithLibrary(text)) declined++;
  }
  assert.ok(declined < total, "some changed texts are still plain data");
});

test("hand-written YAML is declined by the fast reader or read exactly as the library reads it", () => {
  const texts = [
    "a: 1 # comment\n", "# comment\na: 1\n", "a: &x 1\nb: *x\n", "a: |\n  text\n", "a: >-\n  folded\n  text\n", "a: {b: 1}\n", "a: [1, 2]\n",
    "a: 2026-01-01\n", "a: Yes\n", "a: ~\n", "a: 1e3\n", "a: 0x1F\n", "a: +1\n", "a: 007\n", "a: -0\n", "a: .5\n", "a: 1.\n", "a: True\n", "a: NULL\n",
    "a:\n- 1\n- 2\n", "a:\n    b: 1\n", "a:\n  b: 1\n   c: 2\n", "a: b\n  c\n", "- a\n  b\n", "a:\n", "a:\nb: 1\n", "a: 1\na: 2\n", "---\na: 1\n", "a: 1\n...\n",
    "a: 'single'\n", 'a: "x\\x41"\n', 'a: "tab\there"\n', '"a": 1\n', '"a\\u0041": 1\n', "? a\n: 1\n", "a : 1\n", "a:  1\n", "a: 1 \n", "\ufeffa: 1\n", "a: 1\r\n",
    "__proto__: 1\n", "<<: {b: 1}\n", "a: !!str 1\n", "a: 9007199254740993\n", "- - 1\n  - 2\n- 3\n", "- a: 1\n  b: 2\n", "-\n", "- \n", "a: b: c\n", "a: x:y\n", "a: https://x.y/z?a=b#c\n",
    "{}\n", "[]\n", "\n", "", "text\n", "a: 1", "a: [\n", 'a: "unterminated\n',
  ];
  for (const text of texts) agreesWithLibrary(text);
  const deep = Array.from({ length: 2000 }, (_, i) => `${"  ".repeat(i)}k:`).join("\n") + ` 1\n`;
  assert.equal(parsePlainDataYaml(deep), undefined, "nesting deeper than the emitter writes is left to the library");
  assert.deepEqual(fromYaml("a: x:y\nb:\n  - 1\n  - c: d\n"), { a: "x:y", b: [1, { c: "d" }] });
  assert.deepEqual(fromYaml("a: |\n  text\n"), { a: "text\n" });
});
