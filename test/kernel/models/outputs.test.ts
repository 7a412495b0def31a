/**
 * Reading run records (ours and swamp's, models.md §5.8): normalization and what is skipped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { outputFromYaml } from "../../../kernel/models/outputs.js";

const root = "/repo/.swamp/outputs";
const path = join(root, "aws", "ec2", "vpc", "create", "def-2026-01-01T00-00-00-000Z.yaml");

const swampRecord = [
  "id: 5f1c",
  "definitionId: def",
  "methodName: create",
  "status: running",
  "startedAt: 2026-01-01T00:00:00.000Z",
  "retryCount: 0",
  "provenance:",
  "  triggeredBy: workflow",
  "artifacts:",
  "  dataArtifacts: []",
  "",
].join("\n");

test("a swamp record: type from the path, no model name, timestamps in either YAML form", () => {
  for (const version of ["1.1", "1.2"] as const) {
    const record = outputFromYaml(parse(swampRecord, { version }), path, root);
    assert.ok(typeof record !== "string", String(record));
    assert.equal(record.type, "aws/ec2/vpc");
    assert.equal(record.modelName, "");
    assert.equal(record.status, "running");
    assert.equal(record.startedAt, "2026-01-01T00:00:00.000Z", `read as YAML ${version}`);
    assert.equal(record.durationMs, undefined);
    assert.equal(record.logFile, path.replace(/\.yaml$/, ".log"), "the log beside the record");
  }
});

test("completedAt gives a duration when durationMs is absent; an error string becomes {message}", () => {
  const record = outputFromYaml(
    { id: "x", definitionId: "d", methodName: "m", status: "failed", startedAt: "2026-01-01T00:00:00.000Z", completedAt: new Date("2026-01-01T00:00:02.000Z"), error: "boom" },
    path,
    root,
  );
  assert.ok(typeof record !== "string");
  assert.equal(record.completedAt, "2026-01-01T00:00:02.000Z");
  assert.equal(record.durationMs, 2000);
  assert.deepEqual(record.error, { message: "boom" });
});

test("files of another shape are reported, not read", () => {
  assert.equal(outputFromYaml(["a", "list"], path, root), "not a mapping");
  assert.equal(outputFromYaml({ id: "x", definitionId: "d", methodName: "m", status: "exploded", startedAt: "t" }, path, root), 'unknown status "exploded"');
  assert.equal(outputFromYaml({ id: "x", definitionId: "d", methodName: "m", status: "failed" }, path, root), "startedAt must be a timestamp");
  assert.equal(outputFromYaml({ definitionId: "d" }, path, root), "id must be a non-empty string");
});
