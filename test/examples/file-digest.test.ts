/**
 * examples/models/file-digest: the model conformance suite (with sample runs against the sdk's
 * fake context), then the example installed in a repository and driven by the real CLI —
 * described, created, run, its data read back, verified, and stopped by its check.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertModelTypeConformance, importExtension, runModelMethod } from "../../sdk/testing/index.js";
import { parseJson, withRepo } from "../helpers/cli.js";
import { example, inRepo, install } from "./helpers.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let repoDir: string;
let model: unknown;

before(async () => {
  repoDir = await mkdtemp(join(tmpdir(), "swamp-example-digest-"));
  await mkdir(join(repoDir, "docs"));
  await writeFile(join(repoDir, "docs", "README.md"), "hello\n");
  ({ model } = await importExtension<{ model: unknown }>(example("models/file-digest.ts")));
});

after(async () => {
  await rm(repoDir, { recursive: true, force: true });
});

test("file-digest passes the model conformance suite; its sample runs write the declared outputs", async () => {
  const report = await assertModelTypeConformance(model, {
    samples: { hash: [{ path: "README.md" }, { path: "README.md", algorithm: "sha1", name: "readme-sha1" }] },
    globalArgs: { root: "docs" },
    repoDir,
    requireSamples: false,
  });
  const [first, second] = report.runs;
  assert.deepEqual(first?.resource("readme-md"), { path: "docs/README.md", algorithm: "sha256", hex: sha256("hello\n"), size: 6 });
  assert.match(first?.fileText("readme-md-listing") ?? "", new RegExp(`^${sha256("hello\n")}  docs/README.md\n# 6 bytes, sha256, `));
  assert.equal(second?.resource("readme-sha1")?.["algorithm"], "sha1");
  assert.deepEqual(first?.logs.map((l) => l.message), [`docs/README.md: sha256 ${sha256("hello\n")}`]);
  assert.deepEqual(report.checks["root-exists"], { pass: true });
});

test("file-digest: verify reads back what hash wrote; the check and path rules", async () => {
  const hashed = await runModelMethod(model, "hash", { path: "README.md" }, { globalArgs: { root: "docs" }, repoDir });
  const existing = { "readme-md": hashed.resource("readme-md")! };
  const ok = await runModelMethod(model, "verify", { name: "readme-md" }, { repoDir, existingResources: existing });
  assert.deepEqual(ok.logs.map((l) => l.message), ["docs/README.md is unchanged"]);
  assert.deepEqual(ok.writes, [], "verify writes nothing");
  await assert.rejects(runModelMethod(model, "verify", { name: "nothing" }, { repoDir }), /No digest recorded under 'nothing'/);
  await assert.rejects(runModelMethod(model, "hash", { path: "../../etc/passwd" }, { repoDir }), /outside the repository/);
  await assert.rejects(runModelMethod(model, "hash", { path: "README.md", algorithm: "md5" }, { repoDir }), /validation_failed|algorithm/);
  const missingRoot = await assertModelTypeConformance(model, { globalArgs: { root: "nope" }, repoDir });
  assert.deepEqual(missingRoot.checks["root-exists"], { pass: false, errors: ["root 'nope' is not a directory in the repository"] });
});

test("through the CLI: describe, create, hash, read the data, verify, and the check stopping a run", async () => {
  await withRepo(async (repo) => {
    const swamp = inRepo(repo);
    await install(repo, "models/file-digest.ts", "extensions/models/file-digest.ts");
    await mkdir(join(repo, "docs"));
    await writeFile(join(repo, "docs", "README.md"), "# Docs\n");

    const described = await swamp(["model", "type", "describe", "@examples/file-digest", "--json"]);
    assert.equal(described.code, 0, described.stderr);
    const d = parseJson(described.stdout);
    assert.equal(d.version, "2026.01.15.1");
    assert.deepEqual(d.methods.map((m: { name: string }) => m.name), ["hash", "verify"]);
    const hash = d.methods.find((m: { name: string }) => m.name === "hash");
    assert.deepEqual(hash.arguments.required, ["path"]);
    assert.deepEqual(hash.arguments.properties.algorithm.enum, ["sha256", "sha512", "sha1"]);
    assert.deepEqual(d.dataOutputSpecs.map((s: { specName: string; kind: string }) => `${s.specName}:${s.kind}`), ["digest:resource", "listing:file"]);

    const created = await swamp(["model", "create", "@examples/file-digest", "docs", "--global-arg", "root=docs", "--json"]);
    assert.equal(created.code, 0, created.stderr);

    const run = await swamp(["model", "method", "run", "docs", "hash", "--input", "path=README.md", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const view = parseJson(run.stdout);
    assert.equal(view.status, "succeeded");
    assert.deepEqual(view.dataArtifacts.map((a: { name: string }) => a.name), ["readme-md", "readme-md-listing"]);
    const got = parseJson((await swamp(["data", "get", "docs", "readme-md", "--json"])).stdout);
    assert.deepEqual(got.content, { path: "docs/README.md", algorithm: "sha256", hex: sha256("# Docs\n"), size: 7 });

    const bad = await swamp(["model", "method", "run", "docs", "hash", "--input", "path=README.md", "--input", "algorithm=md5", "--json"]);
    assert.equal(bad.code, 1);
    assert.match(parseJson(bad.stderr).error.message, /algorithm/);

    const verified = await swamp(["model", "method", "run", "docs", "verify", "--input", "name=readme-md", "--json"]);
    assert.equal(verified.code, 0, verified.stderr);
    await writeFile(join(repo, "docs", "README.md"), "# Docs, edited\n");
    const changed = await swamp(["model", "method", "run", "docs", "verify", "--input", "name=readme-md", "--json"]);
    assert.equal(changed.code, 1);
    assert.match(parseJson(changed.stderr).error.message, /docs\/README\.md changed: sha256 was /);

    await swamp(["model", "create", "@examples/file-digest", "elsewhere", "--global-arg", "root=missing", "--json"]);
    const stopped = await swamp(["model", "method", "run", "elsewhere", "hash", "--input", "path=x", "--json"]);
    assert.equal(stopped.code, 1);
    const error = parseJson(stopped.stderr).error;
    assert.equal(error.code, "checks_failed");
    assert.match(error.message, /root-exists: root 'missing' is not a directory in the repository/);
  });
});
