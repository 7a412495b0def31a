import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { catchUpTip, parseTip } from "../../../kernel/data/index.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { TIP_FILE, VersionRanges } from "../../../kernel/data/tip.js";
import { MODEL_ID, MODEL_TYPE, resourceSpec, tempRepo } from "./helpers.js";

const modelDir = (dataRoot: string) => join(dataRoot, ...MODEL_TYPE.split("/"), MODEL_ID);
const journalOf = (dataRoot: string) => join(modelDir(dataRoot), ".index.jsonl");
const tipOf = (dataRoot: string) => join(modelDir(dataRoot), TIP_FILE);
const ops = (text: string) => text.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l) as { op: string; name?: string; version?: number });

test("version ranges behave as a set of numbers under any adds and deletes", () => {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n) + 1;
  const ranges = VersionRanges.empty();
  const reference = new Set<number>();
  for (let i = 0; i < 5000; i++) {
    const v = random(200);
    if (random(3) === 1) {
      ranges.delete(v);
      reference.delete(v);
    } else {
      ranges.add(v);
      reference.add(v);
    }
    assert.equal(ranges.size, reference.size);
  }
  assert.deepEqual([...ranges], [...reference].sort((a, b) => a - b));
  for (let v = 0; v <= 201; v++) assert.equal(ranges.has(v), reference.has(v), `has(${v})`);
  const again = VersionRanges.fromBounds(JSON.parse(JSON.stringify(ranges)));
  assert.deepEqual(again && [...again], [...ranges], "round-trips through JSON");
  assert.deepEqual([...VersionRanges.of([5, 3, 4, 1])], [1, 3, 4, 5]);
  assert.deepEqual(VersionRanges.of([1, 2, 3, 7]).toJSON(), [1, 3, 7, 7], "runs are stored as ranges");
});

test("saved bounds that are unsorted, overlapping, adjacent, not versions or too many are refused", () => {
  for (const bad of [[1], [3, 2], [1, 3, 2, 5], [1, 3, 4, 5], [0, 1], [1.5, 2], ["1", "2"], [1, 2 ** 40], [1, 2_000_000], {}]) {
    assert.equal(VersionRanges.fromBounds(bad), null, JSON.stringify(bad));
  }
  assert.ok(VersionRanges.fromBounds([1, 3, 5, 5]));
});

test("a write folds only the journal lines past the model's tip", async () => {
  const t = await tempRepo();
  try {
    for (let i = 0; i < 30; i++) await t.repo.save(resourceSpec("a"), "{}");
    // A tip at the journal's end, where a later process's first write saves it (before its own lines).
    await rm(tipOf(t.dataRoot));
    await new DataRepository({ dataRoot: t.dataRoot }).save(resourceSpec("b"), "{}");
    const tip = JSON.parse(await readFile(tipOf(t.dataRoot), "utf8")) as { offset: number; known: Record<string, number[]> };
    assert.deepEqual(tip.known, { a: [1, 30] });
    // Blank every record before the tip's position (same bytes, line ends kept). A writer that
    // folded the whole journal would find versions 1–30 of "a" unknown and append them again.
    const journal = await readFile(journalOf(t.dataRoot));
    const firstLineEnd = journal.indexOf(10) + 1;
    for (let i = firstLineEnd; i < tip.offset; i++) if (journal[i] !== 10) journal[i] = 32;
    await writeFile(journalOf(t.dataRoot), journal);
    await new DataRepository({ dataRoot: t.dataRoot }).save(resourceSpec("a"), "{}");
    const appended = ops((await readFile(journalOf(t.dataRoot), "utf8")).slice(tip.offset));
    assert.deepEqual(
      appended.map((o) => `${o.op} ${o.name}@${o.version}`),
      ["pending b@1", "put b@1", "pending a@31", "put a@31"],
    );
  } finally {
    await t.cleanup();
  }
});

test("data list serves each item's latest record from the tip, never folding the history", async () => {
  const t = await tempRepo();
  try {
    for (let i = 0; i < 30; i++) await t.repo.save(resourceSpec("a"), `{"i":${i}}`);
    for (let i = 0; i < 3; i++) await t.repo.save(resourceSpec("b"), "{}");
    const expected = (await t.repo.list(MODEL_TYPE, MODEL_ID)).map((m) => `${m.name}@${m.version} ${m.id}`);
    assert.deepEqual(expected.map((e) => e.split(" ")[0]), ["a@30", "b@3"]);
    // A reader without a tip folds the journal once and saves one at its end.
    await rm(tipOf(t.dataRoot));
    await new DataRepository({ dataRoot: t.dataRoot }).list(MODEL_TYPE, MODEL_ID);
    const { offset } = JSON.parse(await readFile(tipOf(t.dataRoot), "utf8")) as { offset: number };
    const journal = await readFile(journalOf(t.dataRoot));
    assert.equal(offset, journal.length);
    // Blank every record (line ends kept): folding them would find both items unknown, and
    // reconciling would append them all again.
    for (let i = journal.indexOf(10) + 1; i < offset; i++) if (journal[i] !== 10) journal[i] = 32;
    await writeFile(journalOf(t.dataRoot), journal);
    const listed = (await new DataRepository({ dataRoot: t.dataRoot }).list(MODEL_TYPE, MODEL_ID)).map((m) => `${m.name}@${m.version} ${m.id}`);
    assert.deepEqual(listed, expected);
    assert.deepEqual(await readFile(journalOf(t.dataRoot)), journal, "nothing appended");
    // The latest version deleted: its record leaves the tip, and the one below is read from its file.
    await t.repo.delete(MODEL_TYPE, MODEL_ID, "a", 30);
    const after = await new DataRepository({ dataRoot: t.dataRoot }).list(MODEL_TYPE, MODEL_ID);
    assert.deepEqual(after.map((m) => `${m.name}@${m.version}`), ["a@29", "b@3"]);
  } finally {
    await t.cleanup();
  }
});

test("a tip that claims versions the directory lacks is checked against the journal, which decides", async () => {
  const t = await tempRepo();
  try {
    for (let i = 0; i < 3; i++) await t.repo.save(resourceSpec("a"), "{}");
    const tip = JSON.parse(await readFile(tipOf(t.dataRoot), "utf8")) as Record<string, unknown>;
    const journalSize = (await stat(journalOf(t.dataRoot))).size;
    // Matches the journal (inode, gen, a line's end) but says versions 1–500 are known.
    await writeFile(tipOf(t.dataRoot), JSON.stringify({ ...tip, offset: journalSize, known: { a: [1, 500] }, pending: {} }));
    await new DataRepository({ dataRoot: t.dataRoot }).save(resourceSpec("a"), "{}");
    const lines = ops(await readFile(journalOf(t.dataRoot), "utf8"));
    assert.equal(lines.filter((o) => o.op === "del").length, 0, "no version recorded deleted");
    assert.deepEqual((await new DataRepository({ dataRoot: t.dataRoot }).versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [4, 3, 2, 1]);
    // One that would have a writer loop over billions of versions is not read at all.
    await writeFile(tipOf(t.dataRoot), JSON.stringify({ ...tip, offset: (await stat(journalOf(t.dataRoot))).size, known: { a: [1, 2 ** 31] }, pending: {} }));
    await new DataRepository({ dataRoot: t.dataRoot }).save(resourceSpec("a"), "{}");
    assert.deepEqual((await new DataRepository({ dataRoot: t.dataRoot }).versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [5, 4, 3, 2, 1]);
  } finally {
    await t.cleanup();
  }
});

test("a view catches up only with the journal it was folded from, to a line's end", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("a"), "{}");
    const path = journalOf(t.dataRoot);
    const saved = () => parseTip(readFileSync(tipOf(t.dataRoot), "utf8"))!;
    const fresh = saved();
    assert.ok(catchUpTip(fresh, path), "the tip of this journal");
    assert.deepEqual([...fresh.known.get("a")!], [1]);
    const { ino, gen, offset } = saved().position;
    const cases: Array<[string, { ino: number; gen: string; offset: number }]> = [
      ["another file", { ino: ino + 1, gen, offset }],
      ["another generation", { ino, gen: "0123456789abcdef", offset }],
      ["inside a line", { ino, gen, offset: offset - 3 }],
      ["past the end", { ino, gen, offset: (await stat(path)).size + 10 }],
    ];
    for (const [what, position] of cases) {
      const view = saved();
      view.position = position;
      assert.equal(catchUpTip(view, path), false, what);
    }
    // A torn last line (a crash mid-append) is left to the full fold, which repairs it.
    await writeFile(path, `${await readFile(path, "utf8")}{"op":"put","na`);
    assert.equal(catchUpTip(saved(), path), false, "torn tail");
    await new DataRepository({ dataRoot: t.dataRoot }).save(resourceSpec("a"), "{}");
    assert.deepEqual((await new DataRepository({ dataRoot: t.dataRoot }).versions(MODEL_TYPE, MODEL_ID, "a")).map((m) => m.version), [2, 1]);
  } finally {
    await t.cleanup();
  }
});

test("tips that are not JSON, of another format or with bad fields are refused", () => {
  const record = { id: "x", name: "a", version: 2, createdAt: "2026-01-01T00:00:00.000Z", tags: {}, ownerDefinition: { ownerType: "manual", ownerRef: "me" } };
  const good = { v: 1, ino: 5, gen: "abc", offset: 10, known: { a: [1, 2] }, pending: { b: [3] }, latest: { a: record } };
  assert.ok(parseTip(JSON.stringify(good)));
  assert.ok(parseTip(JSON.stringify({ ...good, latest: {} })), "a name's latest record may be missing");
  for (const bad of ["", "{", "null", "[]", JSON.stringify({ ...good, v: 2 }), JSON.stringify({ ...good, gen: "" }), JSON.stringify({ ...good, offset: -1 }), JSON.stringify({ ...good, known: { a: [2, 1] } }), JSON.stringify({ ...good, known: { a: [] } }), JSON.stringify({ ...good, pending: { b: [0] } }), JSON.stringify({ ...good, pending: { b: "3" } }), JSON.stringify({ ...good, latest: { a: { ...record, version: 1 } } }), JSON.stringify({ ...good, latest: { b: { ...record, name: "b" } } }), JSON.stringify({ ...good, latest: { a: { ...record, tags: null } } }), JSON.stringify({ ...good, latest: undefined })]) {
    assert.equal(parseTip(bad), null, bad);
  }
});
