import { test } from "node:test";
import assert from "node:assert/strict";
import { table, truncate, visibleWidth } from "../../cli/table.js";

/** A stream that is not a terminal: no width limit, no colour. */
const piped = { isTTY: false } as unknown as NodeJS.WritableStream;
/** A terminal `columns` wide (colour off via NO_COLOR is not needed: headers are checked without escapes only where asked). */
const terminal = (columns: number) => ({ isTTY: true, columns }) as unknown as NodeJS.WritableStream;

test("columns are aligned, two spaces apart, the last one unpadded", () => {
  const out = table([["a", "bb", "c"], ["ccc", "d", "eeee"]], { stream: piped });
  assert.equal(out, "a    bb  c\nccc  d   eeee");
});

test("a header with a rule, and an indent on every line", () => {
  const out = table([["x", "1"]], { header: ["NAME", "N"], rule: true, indent: "  ", stream: piped });
  assert.equal(out, "  NAME  N\n  ----  -\n  x     1");
});

test("piped output is never cut, however long", () => {
  const long = "d".repeat(500);
  const out = table([["name", long]], { stream: piped });
  assert.ok(out.endsWith(long));
});

test("on a terminal the widest column is cut to fit, ending in …", () => {
  const prev = process.env.NO_COLOR;
  process.env.NO_COLOR = "1";
  try {
    const rows = [["short", "a free-text description that is far too long for this terminal", "v1"]];
    const out = table(rows, { stream: terminal(40) });
    assert.equal(visibleWidth(out), 40);
    assert.match(out, /^short  a free-text description that…  v1$/);
    // Rows that fit stay whole.
    assert.equal(table([["a", "b"]], { stream: terminal(40) }), "a  b");
  } finally {
    if (prev === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = prev;
  }
});

test("the flex column gives way even when another column is wider", () => {
  const out = table([["x".repeat(30), "y".repeat(20)]], { width: 40, flex: 1, stream: piped });
  assert.equal(out, `${"x".repeat(30)}  yyyyyyy…`);
  assert.equal(visibleWidth(out), 40);
});

test("a cut column keeps a few characters on a very narrow terminal", () => {
  const out = table([["id", "description text here"]], { width: 5, stream: piped });
  assert.equal(out, "id  descrip…");
});

test("escape codes take no width: coloured cells align", () => {
  const red = "\u001b[31mfailed\u001b[39m";
  const out = table([[red, "x"], ["ok", "y"]], { stream: piped });
  assert.equal(out.split("\n")[1], "ok      y");
  assert.equal(visibleWidth(out.split("\n")[0]!), visibleWidth("failed  x"));
});

test("truncate counts characters, not bytes", () => {
  assert.equal(truncate("héllo wörld", 6), "héllo…");
  assert.equal(truncate("short", 10), "short");
});

test("fit: false never cuts, even on a terminal", () => {
  const long = "d".repeat(100);
  assert.equal(table([["a", long]], { stream: terminal(20), fit: false }), `a  ${long}`);
});
