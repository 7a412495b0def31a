import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, symlink, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseMetadata, serializeMetadata } from "../../../kernel/data/metadata.js";
import type { DataMetadata } from "../../../kernel/data/metadata.js";
import { normalizeModelType } from "../../../kernel/data/names.js";
import { MODEL_ID, resourceSpec, tempRepo } from "./helpers.js";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

test("metadata.yaml is byte-compatible with the reference layout", async () => {
  const t = await tempRepo({ now: () => new Date("2026-04-07T18:02:58.146Z") });
  try {
    const attributes = { exitCode: 0, command: 'echo "Hello from the swamp!"', stdout: "Hello from the swamp!", stderr: "" };
    const handle = await t.repo.saveResource(resourceSpec("result", { dataId: "e204ea55-3d64-48a0-aa78-32fea656fdac" }), attributes);
    const dir = join(t.dataRoot, "command", "shell", MODEL_ID, "result");
    const raw = await readFile(join(dir, "1", "raw"));
    assert.equal(raw.toString("utf8"), JSON.stringify(attributes), "raw is compact JSON");
    const yaml = await readFile(join(dir, "1", "metadata.yaml"), "utf8");
    const expected = [
      "id: e204ea55-3d64-48a0-aa78-32fea656fdac",
      "name: result",
      "version: 1",
      "contentType: application/json",
      "lifetime: infinite",
      "garbageCollection: 10",
      "streaming: false",
      "tags:",
      "  type: resource",
      "  specName: result",
      "  modelName: hello-world",
      "ownerDefinition:",
      "  ownerType: model-method",
      `  ownerRef: ${MODEL_ID}`,
      'createdAt: "2026-04-07T18:02:58.146Z"',
      `size: ${raw.byteLength}`,
      `checksum: ${sha(raw)}`,
      "",
    ].join("\n");
    assert.equal(yaml, expected);
    assert.equal(await readFile(join(dir, "latest"), "utf8"), "1", "latest: plain decimal, no newline");
    assert.equal(handle.version, 1);
    assert.equal(handle.kind, "resource");
    assert.equal(handle.size, raw.byteLength);
    assert.deepEqual(handle.attributes, attributes);
    // A generic YAML parser reads it back to the same values (createdAt stays a string).
    const doc = parseYaml(yaml) as Record<string, unknown>;
    assert.equal(typeof doc.createdAt, "string");
    assert.equal(doc.checksum, sha(raw));
    assert.deepEqual(await readdir(dir), ["1", "latest"]);
  } finally {
    await t.cleanup();
  }
});

test("second version: own directory, latest moves, checksums match raw", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("result"), '{"a":1}');
    const meta2 = await t.repo.save(resourceSpec("result"), '{"a":22}');
    assert.equal(meta2.version, 2);
    const dir = join(t.dataRoot, "command", "shell", MODEL_ID, "result");
    assert.equal(await readFile(join(dir, "latest"), "utf8"), "2");
    for (const v of [1, 2]) {
      const raw = await readFile(join(dir, String(v), "raw"));
      const meta = parseMetadata(await readFile(join(dir, String(v), "metadata.yaml"), "utf8"));
      assert.equal(meta.checksum, sha(raw));
      assert.equal(meta.size, raw.byteLength);
      assert.equal(meta.version, v);
    }
  } finally {
    await t.cleanup();
  }
});

test("model types normalize to directory paths", async () => {
  assert.equal(normalizeModelType("AWS::EC2::VPC"), "aws/ec2/vpc");
  assert.equal(normalizeModelType("@user/aws/ec2"), "@user/aws/ec2");
  assert.equal(normalizeModelType("  My Type.v2//x/ "), "my/type/v2/x");
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("vpc", { modelType: "AWS::EC2::VPC" }), "{}");
    assert.ok(existsSync(join(t.dataRoot, "aws", "ec2", "vpc", MODEL_ID, "vpc", "1", "metadata.yaml")));
    const meta = await t.repo.get("aws/ec2/vpc", MODEL_ID, "vpc");
    assert.equal(meta?.version, 1);
  } finally {
    await t.cleanup();
  }
});

test("tombstone metadata: lifecycle and renamedTo, no size/checksum; marker raw shapes", async () => {
  const t = await tempRepo();
  try {
    await t.repo.saveResource(resourceSpec("old"), { x: 1 });
    await t.repo.rename("command/shell", MODEL_ID, "old", "new");
    const dir = join(t.dataRoot, "command", "shell", MODEL_ID, "old", "2");
    const yaml = await readFile(join(dir, "metadata.yaml"), "utf8");
    assert.match(yaml, /\nlifecycle: deleted\nrenamedTo: new\n$/);
    assert.doesNotMatch(yaml, /\nsize:/);
    assert.doesNotMatch(yaml, /\nchecksum:/);
    assert.match(yaml, /\ncontentType: application\/json\n/);
    const raw = JSON.parse(await readFile(join(dir, "raw"), "utf8"));
    assert.deepEqual(Object.keys(raw), ["renamedTo", "renamedAt"]);
    assert.equal(raw.renamedTo, "new");

    await t.repo.saveResource(resourceSpec("res"), { state: "up" });
    const marker = await t.repo.writeDeletionMarker("command/shell", MODEL_ID, "res", { deletedByMethod: "delete" });
    assert.equal(marker.metadata.lifecycle, "deleted");
    const mdir = join(t.dataRoot, "command", "shell", MODEL_ID, "res", "2");
    const myaml = await readFile(join(mdir, "metadata.yaml"), "utf8");
    assert.match(myaml, /\nsize: \d+\nchecksum: [0-9a-f]{64}\nlifecycle: deleted\n$/);
    const mraw = JSON.parse(await readFile(join(mdir, "raw"), "utf8"));
    assert.equal(mraw.state, "up");
    assert.equal(mraw.deletedByMethod, "delete");
    assert.equal(typeof mraw.deletedAt, "string");
  } finally {
    await t.cleanup();
  }
});

test("strings that YAML would misread are quoted and round-trip", () => {
  const meta: DataMetadata = {
    id: "1234",
    name: "true",
    version: 3,
    contentType: "text/plain; charset=utf-8",
    lifetime: "7d",
    garbageCollection: "2w",
    streaming: true,
    tags: { type: "file", "weird key": "a: b", num: "010", empty: "", multi: "line1\nline2", hash: "x #y", at: "@scope", uni: "héllo ✓", nul: "null", dash: "-x" },
    ownerDefinition: { ownerType: "workflow-step", ownerRef: "wf:step", workflowId: "w", workflowRunId: "r", stepName: "s" },
    createdAt: "2026-01-01T00:00:00.000Z",
    size: 0,
    checksum: "0123",
  };
  const text = serializeMetadata(meta);
  assert.deepEqual(parseMetadata(text), meta);
  assert.deepEqual(parseYaml(text), { ...meta });
  assert.match(text, /\ngarbageCollection: 2w\n/);
  assert.match(text, /\n  ownerType: workflow-step\n  ownerRef: wf:step\n  workflowId: w\n  workflowRunId: r\n  stepName: s\n/);
});

test("reads metadata in other YAML styles and normalizes zero lifetimes", () => {
  const text = [
    "id: 'abc'",
    "name: result",
    "version: 2",
    "contentType: application/json",
    "lifetime: 0h",
    "garbageCollection: 5",
    "tags: {type: resource, specName: result}",
    "ownerDefinition:",
    "    ownerType: model-method",
    "    ownerRef: x",
    "createdAt: '2026-04-07T18:02:58.146Z'",
    "checksum: sha256:ffff",
    "",
  ].join("\n");
  const meta = parseMetadata(text);
  assert.equal(meta.id, "abc");
  assert.equal(meta.lifetime, "workflow");
  assert.equal(meta.streaming, false);
  assert.equal(meta.checksum, "ffff");
  assert.deepEqual(meta.tags, { type: "resource", specName: "result" });
  assert.throws(() => parseMetadata(text.replace("tags: {type: resource, specName: result}", "tags: {specName: result}")), /must include "type"/);
});

test("latest resolution: the highest committed version, whatever the pointer (text, legacy symlink, missing, ahead)", async () => {
  const t = await tempRepo();
  try {
    await t.repo.save(resourceSpec("r"), "{}");
    await t.repo.save(resourceSpec("r"), "{}");
    await t.repo.save(resourceSpec("r"), "{}");
    const dir = join(t.dataRoot, "command", "shell", MODEL_ID, "r");
    await writeFile(join(dir, "latest"), "2");
    assert.equal((await t.repo.get("command/shell", MODEL_ID, "r"))?.version, 3, "a lagging text pointer: the committed version above it");
    await unlink(join(dir, "latest"));
    await symlink("1/", join(dir, "latest"));
    assert.equal((await t.repo.get("command/shell", MODEL_ID, "r"))?.version, 3, "a lagging legacy symlink N/");
    await unlink(join(dir, "latest"));
    assert.equal((await t.repo.get("command/shell", MODEL_ID, "r"))?.version, 3, "no pointer: max committed");
    await mkdir(join(dir, "9"));
    await writeFile(join(dir, "latest"), "9");
    assert.equal((await t.repo.get("command/shell", MODEL_ID, "r"))?.version, 3, "pointer at uncommitted version: max committed");
    // The next write replaces a legacy symlink with a text file.
    await unlink(join(dir, "latest"));
    await symlink("3", join(dir, "latest"));
    const next = await t.repo.save(resourceSpec("r"), "{}");
    assert.equal(next.version, 10, "claims above every existing directory");
    assert.equal(await readFile(join(dir, "latest"), "utf8"), "10");
  } finally {
    await t.cleanup();
  }
});
