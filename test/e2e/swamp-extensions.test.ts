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
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import { parseJson, swamp, withTempDir, type RunResult } from "../helpers/cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { shellDefinition } from "../helpers/definitions.js";

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

test("the @swamp/s3-datastore extension under sandbox isolation: credentials from its config, data pushed, sync", async () => {
  await withTempDir(async (root) => {
    const prefix = "sandbox-run";
    // The sandbox passes no AWS_* variables: the credentials come from the datastore config.
    const config = server.config({ prefix, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
    const repo = await makeRepo(root, "a", ["datastores/s3"], isolationYaml("sandbox") + s3Yaml(config));

    const status = await repo.json(["datastore", "status"]);
    assert.equal(status.type, "@swamp/s3-datastore");
    assert.equal(status.healthy, true, status.message);

    await repo.json(["model", "create", "command/shell", "hello"]);
    const run = await repo.json(["model", "method", "run", "hello", "execute", "--input", "run=echo from-the-sandbox"]);
    assert.equal(run.status, "succeeded");
    const keys = await server.keys();
    const raw = keys.find((k) => k.startsWith(`${prefix}/data/`) && k.includes("/result/1/raw"));
    assert.ok(raw, `no result data in the bucket: ${keys.join(", ")}`);
    assert.equal(JSON.parse(await bucketObject(raw)).stdout, "from-the-sandbox");

    const other = await makeRepo(root, "b", ["datastores/s3"], isolationYaml("sandbox") + s3Yaml(config));
    const pulled = await other.json(["datastore", "sync", "--pull"]);
    assert.ok(pulled.filesPulled > 0, JSON.stringify(pulled));
  });
});

test("the @swamp/s3-datastore extension under sandbox isolation without credentials: an unhealthy status naming the cause", async () => {
  await withTempDir(async (root) => {
    const repo = await makeRepo(root, "a", ["datastores/s3"], isolationYaml("sandbox") + s3Yaml(server.config({ prefix: "no-creds" })), server.clientEnv());
    const r = await repo.run(["datastore", "status", "--json"]);
    const status = parseJson(r.stdout);
    assert.equal(status.type, "@swamp/s3-datastore");
    assert.equal(status.healthy, false);
    assert.match(status.message, /not accessible: CredentialsProviderError/);
  });
});

/** The fake `op` CLI, installed as an executable `<dir>/bin/op` (its item store sits beside it). */
async function installFakeOp(dir: string): Promise<string> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await cp(join(FIXTURES, "tools", "fake-op.mjs"), join(dir, "bin", "fake-op.mjs"));
  const op = join(dir, "bin", "op");
  await writeFile(op, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, "bin", "fake-op.mjs"))} "$@"\n`, { mode: 0o755 });
  return op;
}

/** The `--json` error object on stderr (after any warning lines). */
function jsonError(stderr: string): { code: string; message: string } {
  return parseJson(stderr.slice(stderr.indexOf("\n{") + 1)).error;
}

const OP_TOKEN = { OP_SERVICE_ACCOUNT_TOKEN: "ops_test_token" };

test("an @swamp/1password vault extension (Deno.Command + Deno.env) is created, written and read, also through vault.get in a definition (worker)", async () => {
  await withTempDir(async (root) => {
    const op = await installFakeOp(root);
    const repo = await makeRepo(root, "a", ["vaults/onepassword"], isolationYaml("worker"), OP_TOKEN);
    const created = await repo.json(["vault", "create", "@swamp/1password", "team", "--config", JSON.stringify({ vault: "Private", opPath: op })]);
    assert.equal(created.type, "@swamp/1password");
    assert.equal(created.name, "team");

    const putValue = await swamp(["vault", "put", "team", "db-password", "--repo-dir", repo.dir], { env: { SWAMP_HOME: join(root, "a-home"), ...OFFLINE, ...OP_TOKEN }, input: "s3cret-value" });
    assert.equal(putValue.code, 0, putValue.stderr);
    const store = JSON.parse(await readFile(join(root, "bin", "op-store.json"), "utf8"));
    assert.equal(store.Private["db-password"].password, "s3cret-value");

    const read = await repo.run(["vault", "read-secret", "team", "db-password"]);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, "s3cret-value");
    const keys = await repo.json(["vault", "list-keys", "team"]);
    assert.match(JSON.stringify(keys), /db-password/);
    const got = await repo.json(["vault", "get", "team"]);
    assert.equal(got.type, "@swamp/1password");

    // A definition that reads the secret with CEL: it reaches the command as an env variable.
    await mkdir(join(repo.dir, "models", "command", "shell"), { recursive: true });
    await writeFile(
      join(repo.dir, "models", "command", "shell", "uses-secret.yaml"),
      shellDefinition({
        id: "5a1e0000-0000-4000-8000-000000000001",
        name: "uses-secret",
        run: `'if [ "$DB" = "s3cret-value" ]; then echo matched; else echo "mismatch"; fi'`,
        env: { DB: `"\${{ vault.get('team', 'db-password') }}"` },
      }),
    );
    const run = await repo.json(["model", "method", "run", "uses-secret", "execute"]);
    assert.equal(run.status, "succeeded");
    const result = await repo.json(["data", "get", "uses-secret", "result"]);
    assert.equal(result.content.stdout, "matched");

    // Without the service-account token the extension's own error reaches the user.
    const noToken = await swamp(["vault", "read-secret", "team", "db-password", "--json", "--repo-dir", repo.dir], { env: { SWAMP_HOME: join(root, "a-home"), ...OFFLINE } });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /OP_SERVICE_ACCOUNT_TOKEN is not set/);
  });
});

test("the @swamp/1password vault under sandbox isolation is created; reading stops at its token, which the sandbox does not pass", async () => {
  await withTempDir(async (root) => {
    const op = await installFakeOp(root);
    const repo = await makeRepo(root, "a", ["vaults/onepassword"], isolationYaml("sandbox"), OP_TOKEN);
    const created = await repo.json(["vault", "create", "@swamp/1password", "team", "--config", JSON.stringify({ vault: "Private", opPath: op })]);
    assert.equal(created.type, "@swamp/1password");
    // The sandbox passes no OP_* variable (and would refuse the op process after it).
    const r = await repo.run(["vault", "read-secret", "team", "db-password", "--json"], OP_TOKEN);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /OP_SERVICE_ACCOUNT_TOKEN is not set/);
  });
});

/** A definition file for a model extension type (the way `swamp model create` writes one). */
async function define(repo: Repo, type: string, id: string, name: string, globals: Record<string, string>): Promise<void> {
  const dir = join(repo.dir, "models", ...type.split("/"));
  await mkdir(dir, { recursive: true });
  const args = Object.entries(globals).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  await writeFile(join(dir, `${id}.yaml`), [`type: "${type}"`, "typeVersion: 2026.02.01.1", `id: ${id}`, `name: ${name}`, "version: 1", "tags: {}", "globalArguments:", ...args, "methods: {}", ""].join("\n"));
}

/** A git working tree with one committed file, one modified and one untracked. */
async function gitTree(dir: string): Promise<void> {
  const git = (args: string[]) => {
    const r = spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
    assert.equal(r.status, 0, r.stderr);
  };
  await mkdir(dir, { recursive: true });
  git(["init", "-q", "-b", "main"]);
  await writeFile(join(dir, "tracked.txt"), "one\n");
  git(["add", "tracked.txt"]);
  git(["commit", "-q", "-m", "first"]);
  await writeFile(join(dir, "tracked.txt"), "two\n");
  await writeFile(join(dir, "new.txt"), "new\n");
}

const GIT_ID = "617a0000-0000-4000-8000-000000000001";

test("a model extension runs `git status --porcelain` with Deno.Command and records it (worker)", async () => {
  await withTempDir(async (root) => {
    const tree = join(root, "tree");
    await gitTree(tree);
    const repo = await makeRepo(root, "a", ["models/git"], isolationYaml("worker"));
    await define(repo, "@acme/git-repo", GIT_ID, "tree", { path: tree });
    const run = await repo.json(["model", "method", "run", "tree", "status"]);
    assert.equal(run.status, "succeeded");
    const status = (await repo.json(["data", "get", "tree", "status"])).content;
    assert.deepEqual(status, {
      path: tree,
      branch: "main",
      clean: false,
      entries: [
        { code: " M", file: "tracked.txt" },
        { code: "??", file: "new.txt" },
      ],
    });
  });
});

test("the git model under sandbox isolation: Deno.Command is refused with extension_permission_denied", async () => {
  await withTempDir(async (root) => {
    const tree = join(root, "tree");
    await gitTree(tree);
    const repo = await makeRepo(root, "a", ["models/git"], isolationYaml("sandbox"));
    await define(repo, "@acme/git-repo", GIT_ID, "tree", { path: tree });
    const r = await repo.run(["model", "method", "run", "tree", "status", "--json"]);
    assert.equal(r.code, 1, r.stdout);
    const error = jsonError(r.stderr);
    assert.equal(error.code, "extension_permission_denied", error.message);
    assert.match(error.message, /Deno\.Command/);
  });
});

const SERVER_ID = "4e750000-0000-4000-8000-000000000001";
const SERVER_TYPE = "@acme/hetzner-cloud/server";

/** A stand-in for the cloud API: answers every request 201 and remembers what it was asked. */
async function fakeApi(): Promise<{ url: string; requests: Array<{ method: string; url: string; auth: string; body: string }>; close(): Promise<void> }> {
  const requests: Array<{ method: string; url: string; auth: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", auth: String(req.headers.authorization ?? ""), body });
      res.writeHead(201, { "content-type": "application/json" }).end('{"action":{"status":"running"}}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((ok) => server.close(() => ok())) };
}

for (const isolation of ["worker", "sandbox"] as const) {
  test(`a generated-style update with no prior data answers "No data found - run create first"; after create it reads the prior state (${isolation})`, async () => {
    await withTempDir(async (root) => {
      const api = await fakeApi();
      try {
        const env = { HCLOUD_TOKEN: "hc_test", HCLOUD_ENDPOINT: api.url };
        const repo = await makeRepo(root, "a", ["models/hetzner"], isolationYaml(isolation), env);
        await define(repo, SERVER_TYPE, SERVER_ID, "web", { name: "web" });

        const early = await repo.run(["model", "method", "run", "web", "update", "--input", "server_type=cx32", "--json"]);
        assert.equal(early.code, 1, early.stdout);
        assert.match(jsonError(early.stderr).message, /failed in method update: No data found - run create first$/);
        assert.equal(api.requests.length, 0);

        const created = await repo.json(["model", "method", "run", "web", "create", "--input", "server_type=cx22"]);
        assert.equal(created.status, "succeeded");

        const updated = await repo.run(["model", "method", "run", "web", "update", "--input", "server_type=cx32", "--json"]);
        if (isolation === "worker") {
          assert.equal(updated.code, 0, updated.stderr);
          assert.deepEqual(api.requests.map((r) => [r.method, r.url, r.auth]), [["POST", "/v1/servers/srv-web/actions/change_type", "Bearer hc_test"]]);
          const state = (await repo.json(["data", "get", "web", "web"])).content;
          assert.deepEqual(state, { id: "srv-web", name: "web", server_type: "cx32", location: "fsn1", status: "running" });
        } else {
          // The prior state was read; the sandbox passes no HCLOUD_* variables, so the method
          // stops at its credentials, before its first network call.
          assert.equal(updated.code, 1, updated.stdout);
          assert.match(jsonError(updated.stderr).message, /failed in method update: HCLOUD_TOKEN is not set$/);
          assert.equal(api.requests.length, 0);
        }
      } finally {
        await api.close();
      }
    });
  });
}
