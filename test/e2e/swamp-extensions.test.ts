/**
 * Extensions written for swamp, copied unchanged into `extensions/<kind>/` of a fresh repo,
 * run through the real CLI (fixtures in test/e2e/fixtures/swamp-extensions/, written the way
 * swamp's official extensions are):
 * - `@swamp/s3-datastore` (npm:@aws-sdk/client-s3 pinned, jsr:@std/path, jsr:@std/fs,
 *   Deno.env, Deno.errors.NotFound, a conditional-put lock, a sync service) against a local
 *   S3 server: healthy status, a run's data pushed to the bucket, `datastore sync`;
 * - an `@swamp/...` vault backed by a local CLI that it runs with Deno.Command;
 * - a model that runs `git status --porcelain` with Deno.Command, and a generated-style model
 *   whose `update` reads prior state through `context.dataRepository`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import { parseJson, swamp, withTempDir, type RunResult } from "../helpers/cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

const FIXTURES = fileURLToPath(new URL("../../../test/e2e/fixtures/swamp-extensions/", import.meta.url));

type Isolation = "worker" | "sandbox";

interface Repo {
  dir: string;
  run(args: string[], extraEnv?: Record<string, string>): Promise<RunResult>;
  json(args: string[]): Promise<any>;
}

/** No npm registry is reachable: every npm: pin must be served without a download. */
const OFFLINE = { npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_retries: "0" };

/** A fresh repo `<root>/<name>` with the named fixture extensions copied into `extensions/<kind>/<name>/`. */
async function makeRepo(root: string, name: string, extensions: string[], yaml: string, env: Record<string, string> = {}): Promise<Repo> {
  const dir = join(root, name);
  const home = join(root, `${name}-home`);
  const baseEnv = { SWAMP_HOME: home, ...OFFLINE, ...env };
  const init = await swamp(["repo", "init", dir, "--json"], { env: baseEnv });
  assert.equal(init.code, 0, init.stderr);
  for (const ext of extensions) await cp(join(FIXTURES, ext), join(dir, "extensions", ext), { recursive: true });
  const marker = await readFile(join(dir, ".swamp.yaml"), "utf8");
  await writeFile(join(dir, ".swamp.yaml"), marker + yaml);
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    swamp([...args, "--repo-dir", dir], { env: { ...baseEnv, ...extraEnv }, timeoutMs: 120_000 });
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

const isolationYaml = (isolation: Isolation) => `extensions:\n  isolation: ${isolation}\n`;

let server: S3TestServer;

before(async () => {
  server = await startS3Server();
});

after(async () => {
  await server?.close();
});

function s3Yaml(config: Record<string, unknown>): string {
  const lines = Object.entries(config).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`);
  return `datastore:\n  type: "@swamp/s3-datastore"\n  config:\n${lines.join("")}`;
}

async function bucketObject(key: string): Promise<string> {
  const client = new S3Client({ region: "us-east-1", endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
    return await res.Body!.transformToString();
  } finally {
    client.destroy();
  }
}

test("the @swamp/s3-datastore extension: healthy status, a run's data pushed to the bucket, datastore sync (worker)", async () => {
  await withTempDir(async (root) => {
    const prefix = "worker-run";
    const repo = await makeRepo(root, "a", ["datastores/s3"], isolationYaml("worker") + s3Yaml(server.config({ prefix })), server.clientEnv());

    const status = await repo.json(["datastore", "status"]);
    assert.equal(status.type, "@swamp/s3-datastore");
    assert.equal(status.healthy, true, status.message);
    assert.equal(status.message, `S3 bucket '${server.bucket}' is accessible`);

    await repo.json(["model", "create", "command/shell", "hello"]);
    const run = await repo.json(["model", "method", "run", "hello", "execute", "--input", "run=echo pushed-by-extension"]);
    assert.equal(run.status, "succeeded");

    const keys = await server.keys();
    const raw = keys.find((k) => k.startsWith(`${prefix}/data/`) && k.includes("/result/1/raw"));
    assert.ok(raw, `no result data in the bucket: ${keys.join(", ")}`);
    assert.equal(JSON.parse(await bucketObject(raw)).stdout, "pushed-by-extension");
    assert.ok(!keys.some((k) => k.endsWith(".datastore.lock") || k.endsWith("/.lock")), `a lock was left behind: ${keys.join(", ")}`);

    // A second repo (its own cache) sharing the prefix pulls what the first pushed.
    const other = await makeRepo(root, "b", ["datastores/s3"], isolationYaml("worker") + s3Yaml(server.config({ prefix })), server.clientEnv());
    const synced = await other.json(["datastore", "sync"]);
    assert.ok(synced.filesPulled > 0, JSON.stringify(synced));
    assert.deepEqual(synced.errors, []);
    const file = (await repo.json(["model", "get", "hello"])).path;
    await mkdir(join(other.dir, file, ".."), { recursive: true });
    await writeFile(join(other.dir, file), await readFile(join(repo.dir, file)));
    const got = await other.json(["data", "get", "hello", "result"]);
    assert.equal(got.content.stdout, "pushed-by-extension");
    const again = await other.json(["datastore", "sync"]);
    assert.deepEqual(again, { mode: "sync", filesPulled: 0, filesPushed: 0, errors: [] });
    // The pinned SDK is the one swamp ships: served from swamp's own node_modules, no install.
    assert.equal(existsSync(join(repo.dir, ".swamp", "deps")), false);
  });
});
