/**
 * Two repos with separate caches sharing one bucket, through the real `swamp` binary: what one
 * writes the other reads; both writing one model at once lose no version; a deleted item does
 * not come back; a no-op sync costs one request.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withTempDir } from "../helpers/cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

let server: S3TestServer;

before(async () => {
  server = await startS3Server();
});

after(async () => {
  await server.close();
});

interface Repo {
  dir: string;
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  json(args: string[]): Promise<any>;
}

async function s3Repo(root: string, name: string, prefix: string): Promise<Repo> {
  const dir = join(root, name);
  const env = { ...server.clientEnv(), SWAMP_HOME: join(root, `${name}-home`) };
  const init = await swamp(["repo", "init", dir, "--json"], { env });
  assert.equal(init.code, 0, init.stderr);
  const marker = await readFile(join(dir, ".swamp.yaml"), "utf8");
  const config = server.config({ prefix });
  await writeFile(
    join(dir, ".swamp.yaml"),
    `${marker}datastore:\n  type: "@swamp/s3-datastore"\n  config:\n${Object.entries(config)
      .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
      .join("")}`,
  );
  const run = (args: string[]) => swamp([...args, "--repo-dir", dir], { env });
  return {
    dir,
    run,
    async json(args) {
      const r = await run([...args, "--json"]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return parseJson(r.stdout);
    },
  };
}

test("data written by one repo is read by the other; a no-op sync costs O(1) requests", async () => {
  await withTempDir(async (root) => {
    const a = await s3Repo(root, "a", "shared-1");
    const b = await s3Repo(root, "b", "shared-1");
    const status = await a.json(["datastore", "status"]);
    assert.equal(status.type, "s3");
    assert.equal(status.healthy, true, status.message);

    // Definitions are source files (git), not datastore data: both repos carry the same file.
    await a.json(["model", "create", "command/shell", "hello"]);
    const file = (await a.json(["model", "get", "hello"])).path;
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(b.dir, "models", "command", "shell"), { recursive: true });
    await writeFile(join(b.dir, file), await readFile(join(a.dir, file)));

    const run = await a.json(["model", "method", "run", "hello", "execute", "--input", "run=echo from-a"]);
    assert.equal(run.status, "succeeded");

    const pulled = await b.json(["datastore", "sync", "--pull"]);
    assert.ok(pulled.filesPulled > 0, JSON.stringify(pulled));
    const got = await b.json(["data", "get", "hello", "result"]);
    assert.equal(got.content.stdout, "from-a");
    assert.equal(got.version, 1);

    server.resetCounts();
    const noop = await b.json(["datastore", "sync"]);
    assert.deepEqual(noop, { mode: "sync", filesPulled: 0, filesPushed: 0, errors: [] });
    // One conditional GET of the index (answered 304). Nothing waits to be pushed, so no
    // global lock is taken. A constant: it does not grow with the objects in the bucket.
    assert.deepEqual(server.requests().map((r) => [r.op, r.status]), [["GetObject", 304]]);

    // B writes the next version: its per-model lock pulls first, so it continues at v2.
    const runB = await b.json(["model", "method", "run", "hello", "execute", "--input", "run=echo from-b"]);
    assert.equal(runB.dataArtifacts.find((x: { name: string }) => x.name === "result").version, 2);
    await a.json(["datastore", "sync", "--pull"]);
    const versions = await a.json(["data", "versions", "hello", "result"]);
    assert.deepEqual(versions.versions.map((v: { version: number }) => v.version), [2, 1]);

    // A deletion travels as a tombstone and does not come back on the next pull.
    await b.json(["data", "delete", "hello", "log", "--yes"]);
    await a.json(["datastore", "sync", "--pull"]);
    await a.json(["datastore", "sync"]);
    const listed = await a.json(["data", "list", "hello"]);
    const names = listed.groups.flatMap((g: { items: Array<{ name: string }> }) => g.items.map((i) => i.name));
    assert.ok(!names.includes("log"), `log came back: ${names}`);
    await b.json(["datastore", "sync", "--pull"]);
    const listedB = await b.json(["data", "list", "hello"]);
    assert.ok(!listedB.groups.flatMap((g: { items: Array<{ name: string }> }) => g.items.map((i) => i.name)).includes("log"));
  });
});

test("two repos writing the same model at once lose no version", async () => {
  await withTempDir(async (root) => {
    const a = await s3Repo(root, "a", "shared-2");
    const b = await s3Repo(root, "b", "shared-2");
    await a.json(["model", "create", "command/shell", "busy"]);
    const file = (await a.json(["model", "get", "busy"])).path;
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(b.dir, "models", "command", "shell"), { recursive: true });
    await writeFile(join(b.dir, file), await readFile(join(a.dir, file)));

    const runs = async (repo: Repo, n: number) => {
      for (let i = 0; i < n; i++) await repo.json(["model", "method", "run", "busy", "execute", "--input", `run=echo ${i}`, "--skip-reports"]);
    };
    await Promise.all([runs(a, 4), runs(b, 4)]);
    for (const repo of [a, b]) {
      await repo.json(["datastore", "sync", "--pull"]);
      const versions = await repo.json(["data", "versions", "busy", "result"]);
      assert.deepEqual(versions.versions.map((v: { version: number }) => v.version), [8, 7, 6, 5, 4, 3, 2, 1]);
    }
  });
});
