import { test } from "node:test";
import assert from "node:assert/strict";
import { LineBlockSplitter, LineSplitter } from "../../../kernel/runtime/child-process.js";

/** The lines a block splitter yields, each block split back into its lines. */
function viaBlocks(chunks: Buffer[], maxLineChars?: number): string[] {
  const s = new LineBlockSplitter(maxLineChars === undefined ? {} : { maxLineChars });
  const out: string[] = [];
  for (const c of chunks) {
    const block = s.push(c);
    if (block !== null) out.push(...block.split("\n"));
  }
  const rest = s.end();
  if (rest !== null) out.push(...rest.split("\n"));
  return out;
}

function viaLines(chunks: Buffer[], maxLineChars?: number): string[] {
  const s = new LineSplitter(maxLineChars === undefined ? {} : { maxLineChars });
  const out: string[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.end());
  return out;
}

function chop(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

test("line blocks: the same lines as the line splitter, however the output is chunked", () => {
  const text = [
    "plain",
    "",
    "crlf\r",
    "two cr\r\r",
    "inner\rcr",
    "ünïcødé ✓ 𝄞",
    "",
    "",
    "x".repeat(300),
    "last without newline\r",
  ].join("\n");
  const bytes = Buffer.from(text, "utf8");
  for (const sizes of [[1], [2, 3], [7], [64], [1000], [5, 1, 13]]) {
    assert.deepEqual(viaBlocks(chop(bytes, sizes)), viaLines(chop(bytes, sizes)), `chunks of ${sizes.join(",")}`);
    assert.deepEqual(viaBlocks(chop(bytes, sizes), 50), viaLines(chop(bytes, sizes), 50), `long lines cut, chunks of ${sizes.join(",")}`);
  }
  assert.deepEqual(viaBlocks([Buffer.from("a\nb\n")]), ["a", "b"]);
});

test("line blocks: null until a line is complete; one empty line is an empty block", () => {
  const s = new LineBlockSplitter();
  assert.equal(s.push(Buffer.from("par")), null);
  assert.equal(s.push(Buffer.from("tial\r\nnext")), "partial");
  assert.equal(s.push(Buffer.from("\n")), "next");
  assert.equal(s.push(Buffer.from("\n")), "");
  assert.equal(s.push(Buffer.from("\n\n")), "\n");
  assert.equal(s.end(), null);
  const t = new LineBlockSplitter();
  t.push(Buffer.from("tail\r"));
  assert.equal(t.end(), "tail");
});
