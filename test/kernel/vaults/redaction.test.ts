/**
 * The redactor as the vault layer relies on it: whole values, JSON-escaped forms, multi-line
 * values printed line by line, and short values left alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redactor } from "../../../kernel/runtime/redact.js";

test("whole values and their JSON-escaped forms, longest first", () => {
  const r = new Redactor();
  r.register('pa"ss\\word');
  r.register("pa");
  r.register("secret-long");
  r.register("secret");
  assert.equal(r.redact('x pa"ss\\word y'), "x *** y");
  assert.equal(r.redact(JSON.stringify({ v: 'pa"ss\\word' })), '{"v":"***"}');
  assert.equal(r.redact("secret-long secret pa"), "*** *** pa");
});

test("a multi-line secret is redacted when it is printed line by line", () => {
  const r = new Redactor();
  const pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAB==\r\nxyz\n-----END KEY-----\n";
  r.register(pem);
  const lines = pem.split("\n").map((l) => r.redact(l));
  assert.deepEqual(lines, ["***", "***", "***\r", "xyz", "***", ""]); // "xyz" is under 4 characters
  assert.equal(r.redact(JSON.stringify(pem)), '"***"');
});
