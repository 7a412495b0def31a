/**
 * Reading the type a source declares from its text (used when the source cannot be built).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { declaredTypeOf } from "../../plugins/discover.js";

test("declaredTypeOf reads a literal type after the kind's export", () => {
  const text = 'const unrelated = { type: "@a/b" };\nexport const datastore = {\n  name: "S3",\n  type: "@swamp/s3-datastore",\n};';
  assert.equal(declaredTypeOf("datastore", text), "@swamp/s3-datastore");
  assert.equal(declaredTypeOf("vault", "export const vault = { type: '@swamp/aws-sm' }"), "@swamp/aws-sm");
  assert.equal(declaredTypeOf("report", 'export const report = { name: "@x/summary", scope: "method" }'), "@x/summary");
});

test("declaredTypeOf follows a constant holding the type", () => {
  const text = 'const DATASTORE_TYPE = "@swamp/gcs-datastore";\nexport const datastore = { type: DATASTORE_TYPE, name: "GCS" };';
  assert.equal(declaredTypeOf("datastore", text), "@swamp/gcs-datastore");
});

test("declaredTypeOf is undefined when the text does not say", () => {
  assert.equal(declaredTypeOf("datastore", "export const datastore = makeDatastore();"), undefined);
  assert.equal(declaredTypeOf("datastore", 'export const datastore = { type: computeType(), name: "x" }'), undefined);
  assert.equal(declaredTypeOf("model", 'export const datastore = { type: "@a/b" }'), undefined);
});
