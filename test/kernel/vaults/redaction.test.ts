/**
 * The redactor as the vault layer relies on it: whole values, JSON-escaped forms, multi-line
 * values printed line by line, and short values left alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redactor } from "../../../kernel/runtime/redact.js";
import { redactExceptReferences } from "../../../kernel/vaults/references.js";

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

test("structured values: string values are redacted, keys and JSON syntax never", () => {
  const r = new Redactor();
  for (const s of ["stdout", '","', "exitCode", "{"]) r.register(s);
  const value = { stdout: "hello stdout", exitCode: 0, list: ['a","b', { exitCode: "exitCode" }], "{": "{" };
  const out = r.redactValue(value);
  assert.deepEqual(out, { stdout: "hello ***", exitCode: 0, list: ["a***b", { exitCode: "***" }], "{": "{" });
  assert.deepEqual(value.list[1], { exitCode: "exitCode" }, "the input is not modified");
  assert.deepEqual(JSON.parse(JSON.stringify(out)), out);
});

test("vault references are kept whole; other strings are redacted", () => {
  const r = new Redactor();
  r.register("dev");
  const ref = "${{ vault.get('dev', 'api') }}";
  assert.deepEqual(redactExceptReferences(r, { dev: ref, note: "dev box" }), { dev: ref, note: "*** box" });
});
