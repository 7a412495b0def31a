/**
 * `swamp datastore setup s3` and `swamp datastore sync`, run in-process through clipanion with
 * the real command classes (test/e2e/s3.test.ts drives the same commands through the binary).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { Cli } from "clipanion";
import DatastoreSetupS3Command from "../../../cli/commands/datastore/setup/s3.js";
import DatastoreSyncCommand from "../../../cli/commands/datastore/sync.js";
import { DataRepository } from "../../../kernel/data/repository.js";
import { createKernel } from "../../../kernel/runtime/kernel.js";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { initRepo } from "../../../kernel/runtime/repo-init.js";
import { attachSync, markDirtyHook } from "../../../kernel/runtime/sync.js";
import { startS3Server, type S3TestServer } from "../../helpers/s3-server.js";
import { MODEL_TYPE, registryWithS3, spec } from "./harness.js";

let server: S3TestServer;
let root: string;

before(async () => {
  server = await startS3Server();
  Object.assign(process.env, server.clientEnv());
  delete process.env.SWAMP_DATASTORE;
  root = await mkdtemp(join(tmpdir(), "swamp-s3-cli-"));
});

after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function run(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  process.env.SWAMP_HOME = home;
  const cli = new Cli({ binaryName: "swamp" });
  cli.register(DatastoreSyncCommand);
  cli.register(DatastoreSetupS3Command);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await cli.run(args, { stdin: process.stdin, stdout, stderr });
  return { code, stdout: out, stderr: err };
}

async function newRepo(name: string): Promise<{ repo: string; home: string }> {
  const repo = join(root, name, "repo");
  const home = join(root, name, "home");
  await mkdir(home, { recursive: true });
  await initRepo(repo, { force: false, version: "test" });
  return { repo, home };
}

async function s3Data(repo: string, home: string): Promise<DataRepository> {
  const kernel = attachSync(await createKernel({ repoDir: repo, env: { ...process.env, SWAMP_HOME: home }, registry: registryWithS3() }));
  return new DataRepository({ dataRoot: kernel.paths.resolve("data") });
}

const setupArgs = (repo: string, prefix: string) => [
  "datastore",
  "setup",
  "s3",
  "--bucket",
  server.bucket,
  "--prefix",
  prefix,
  "--endpoint",
  server.endpoint,
  "--force-path-style",
  "--region",
  "us-east-1",
  "--repo-dir",
  repo,
  "--json",
];

describe("datastore setup s3 and datastore sync", () => {
  test("setup migrates local data up, a second repo joining the bucket is hydrated, sync is honest", async () => {
    const prefix = `cli-${randomUUID().slice(0, 8)}`;
    const model = randomUUID();
    const first = await newRepo("first");
    const local = new DataRepository({ dataRoot: join(first.repo, ".swamp", "data") });
    await local.save(spec(model, "before-setup"), "local v1");
    await local.save(spec(model, "before-setup"), "local v2");

    const setup = await run(setupArgs(first.repo, prefix), first.home);
    assert.equal(setup.code, 0, setup.stderr + setup.stdout);
    const out = JSON.parse(setup.stdout);
    assert.equal(out.type, "s3");
    assert.deepEqual(out.errors, []);
    assert.ok(out.filesCopied >= 5 && out.filesPushed === out.filesCopied, JSON.stringify(out));
    assert.deepEqual(out.warnings, []);
    assert.ok(out.directoriesMigrated.includes("data"));
    const marker = await readMarker(first.repo);
    assert.equal(marker.datastore?.type, "s3");
    assert.equal((marker.datastore?.config as { bucket?: string }).bucket, server.bucket);
    await assert.rejects(access(join(first.repo, ".swamp", "data", "command")), "old local copy removed after success");
    assert.deepEqual((await (await s3Data(first.repo, first.home)).versions(MODEL_TYPE, model, "before-setup")).map((m) => m.version).sort(), [1, 2]);

    const second = await newRepo("second");
    const join2 = await run(setupArgs(second.repo, prefix), second.home);
    assert.equal(join2.code, 0, join2.stderr + join2.stdout);
    const joined = JSON.parse(join2.stdout);
    assert.ok(joined.filesPulled >= 5, "joining an existing bucket hydrates the cache");
    const data2 = await s3Data(second.repo, second.home);
    assert.equal(String(await data2.getContent(MODEL_TYPE, model, "before-setup", 2)), "local v2");

    // re-running setup is safe and changes nothing
    const again = await run(setupArgs(second.repo, prefix), second.home);
    assert.equal(again.code, 0, again.stdout);
    assert.equal(JSON.parse(again.stdout).filesPushed, 0);

    // Nothing changed on either side: one conditional GET of the index root (304), no lock.
    server.resetCounts();
    const noop = await run(["datastore", "sync", "--repo-dir", second.repo, "--json"], second.home);
    assert.equal(noop.code, 0, noop.stderr);
    assert.deepEqual(JSON.parse(noop.stdout), { mode: "sync", filesPulled: 0, filesPushed: 0, errors: [] });
    assert.deepEqual(server.requests().map((r) => [r.op, r.status]), [["GetObject", 304]]);
    server.resetCounts();
    const noopPush = await run(["datastore", "sync", "--push", "--repo-dir", second.repo, "--json"], second.home);
    assert.deepEqual(JSON.parse(noopPush.stdout), { mode: "push", filesPushed: 0, errors: [] });
    assert.equal(server.total(), 0, JSON.stringify(server.counts()));

    const pullOnly = await run(["datastore", "sync", "--pull", "--repo-dir", second.repo, "--json"], second.home);
    assert.deepEqual(JSON.parse(pullOnly.stdout), { mode: "pull", filesPulled: 0, errors: [] });

    // a write in the first repo arrives with an explicit pull in the second
    const kernel1 = attachSync(await createKernel({ repoDir: first.repo, env: { ...process.env, SWAMP_HOME: first.home }, registry: registryWithS3() }));
    const data1 = new DataRepository({ dataRoot: kernel1.paths.resolve("data") });
    await kernel1.locks.withModelLocks([{ modelType: MODEL_TYPE, modelId: model }], () => data1.save(spec(model, "after-setup"), "hello"));
    const pulled = await run(["datastore", "sync", "--pull", "--repo-dir", second.repo, "--json"], second.home);
    assert.ok(JSON.parse(pulled.stdout).filesPulled >= 3);
    assert.equal((await (await s3Data(second.repo, second.home)).get(MODEL_TYPE, model, "after-setup"))?.version, 1);
  });

  test("a sync with local changes waiting still pushes them under the global lock", async () => {
    const prefix = `cli-${randomUUID().slice(0, 8)}`;
    const model = randomUUID();
    const r = await newRepo("pending");
    assert.equal((await run(setupArgs(r.repo, prefix), r.home)).code, 0);
    // A write recorded as dirty whose push never happened (as after a failed push).
    const kernel = attachSync(await createKernel({ repoDir: r.repo, env: { ...process.env, SWAMP_HOME: r.home }, registry: registryWithS3() }));
    const hook = markDirtyHook(kernel);
    assert.ok(hook);
    await new DataRepository({ dataRoot: kernel.paths.resolve("data"), markDirty: hook }).save(spec(model, "waiting"), "pending");

    server.resetCounts();
    const synced = await run(["datastore", "sync", "--repo-dir", r.repo, "--json"], r.home);
    assert.equal(synced.code, 0, synced.stderr);
    assert.ok(JSON.parse(synced.stdout).filesPushed >= 2, synced.stdout);
    const lockOps = server.requests().filter((q) => q.key.endsWith(".datastore.lock")).map((q) => q.op);
    assert.equal(lockOps[0], "PutObject", JSON.stringify(server.requests()));
    assert.equal(lockOps[lockOps.length - 1], "DeleteObject");

    server.resetCounts();
    const after = await run(["datastore", "sync", "--repo-dir", r.repo, "--json"], r.home);
    assert.deepEqual(JSON.parse(after.stdout), { mode: "sync", filesPulled: 0, filesPushed: 0, errors: [] });
    assert.equal(server.total(), 1, JSON.stringify(server.counts()));
  });

  test("an interrupted setup leaves .swamp.yaml and local data alone and can be re-run", async () => {
    const prefix = `cli-${randomUUID().slice(0, 8)}`;
    const model = randomUUID();
    const r = await newRepo("resume");
    await new DataRepository({ dataRoot: join(r.repo, ".swamp", "data") }).save(spec(model, "x"), "payload");
    server.inject({ op: "PutObject", keyIncludes: "/data/", status: 403, code: "AccessDenied", times: 1 });
    const failed = await run(setupArgs(r.repo, prefix), r.home);
    server.clearFaults();
    assert.equal(failed.code, 1);
    const out = JSON.parse(failed.stdout);
    assert.ok(out.errors.length > 0 && /AccessDenied/.test(out.errors.join(" ")));
    assert.match(out.retryHint, /Re-run/);
    assert.equal((await readMarker(r.repo)).datastore, undefined, ".swamp.yaml unchanged");
    await access(join(r.repo, ".swamp", "data", "command")); // local data still there

    const retried = await run(setupArgs(r.repo, prefix), r.home);
    assert.equal(retried.code, 0, retried.stdout);
    assert.equal((await readMarker(r.repo)).datastore?.type, "s3");
    assert.equal(String(await (await s3Data(r.repo, r.home)).getContent(MODEL_TYPE, model, "x", 1)), "payload");
  });

  test("setup refuses an unreachable bucket; bad flags are usage errors; filesystem repos have nothing to sync", async () => {
    const r = await newRepo("errors");
    const missing = await run(["datastore", "setup", "s3", "--bucket", "no-such-bucket", "--endpoint", server.endpoint, "--force-path-style", "--repo-dir", r.repo, "--json"], r.home);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not accessible/);
    assert.equal((await readMarker(r.repo)).datastore, undefined);

    const badBucket = await run(["datastore", "setup", "s3", "--bucket", "Bad_Bucket", "--repo-dir", r.repo], r.home);
    assert.equal(badBucket.code, 2);

    const fsSync = await run(["datastore", "sync", "--repo-dir", r.repo, "--json"], r.home);
    assert.equal(fsSync.code, 1);
    assert.match(fsSync.stderr, /sync_not_supported/);

    const badTimeout = await run(["datastore", "sync", "--timeout", "0", "--repo-dir", r.repo], r.home);
    assert.equal(badTimeout.code, 2);
    const both = await run(["datastore", "sync", "--pull", "--push", "--repo-dir", r.repo], r.home);
    assert.equal(both.code, 2);
  });
});
