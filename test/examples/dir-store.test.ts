/**
 * examples/datastores/dir-store: the datastore conformance suites against the example as a
 * user's test would load it (importExtension), then the example installed in a repository and
 * used by the real CLI — status, a model run whose data lands in the configured directory, and
 * its lock keeping a second writer out (exit 75, holder named) until released.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatastorePlugin } from "../../kernel/contract/ports/datastore.js";
import {
  assertDatastoreExportConformance,
  assertLockConformance,
  assertLockContention,
  assertVerifierConformance,
  importExtension,
} from "../../sdk/testing/index.js";
import { parseJson, withRepo } from "../helpers/cli.js";
import { example, inRepo, install } from "./helpers.js";

let root: string;
let datastore: DatastorePlugin;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "swamp-example-dir-store-"));
  ({ datastore } = await importExtension<{ datastore: DatastorePlugin }>(example("datastores/dir-store/mod.ts")));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("dir-store passes the datastore conformance suites", async () => {
  const ds = join(root, "ds");
  await assertDatastoreExportConformance(datastore, {
    validConfigs: [{}, { path: ds }, { path: ds, lockTtlMs: 5_000 }],
    invalidConfigs: [{ path: "relative/dir" }, { path: 3 }, { lockTtlMs: 10 }],
  });
  const provider = await datastore.createProvider({ path: ds });
  assert.equal(provider.resolveDatastorePath("/any/repo"), ds);
  assert.equal((await datastore.createProvider({})).resolveDatastorePath("/any/repo"), "/any/repo/.dir-store");
  await assertLockConformance(provider.createLock(ds));
  await assertLockContention((options) => provider.createLock(ds, options));
  assert.equal((await assertVerifierConformance(provider.createVerifier())).healthy, true);
  assert.deepEqual(await provider.listLockKeys?.(ds, ".locks/models/"), []);

  // A path that is a file is reported, not thrown.
  const file = join(root, "not-a-dir");
  await writeFile(file, "x");
  const broken = await assertVerifierConformance((await datastore.createProvider({ path: file })).createVerifier());
  assert.equal(broken.healthy, false);
  assert.match(broken.message, /not-a-dir/);
});

test("dir-store takes over a lock whose holder process is dead", async () => {
  const ds = join(root, "stale");
  const provider = await datastore.createProvider({ path: ds });
  const holder = provider.createLock(ds, { lockKey: "a.lock" });
  await holder.acquire();
  const info = await holder.inspect();
  assert.ok(info);
  // Rewrite the lock as if a process that no longer exists held it.
  await writeFile(join(ds, "a.lock"), JSON.stringify({ ...info, pid: 2 ** 22 + 12345, nonce: "dead" }));
  const next = provider.createLock(ds, { lockKey: "a.lock", maxWaitMs: 1_000 });
  await next.acquire();
  assert.notEqual((await next.inspect())?.nonce, "dead");
  await next.release();
  await holder.release();
});

test("through the CLI: status, a model run storing its data in the directory, the lock keeping writers out", async () => {
  await withRepo(async (repo) => {
    const swamp = inRepo(repo);
    const data = join(root, "cli-data");
    await install(repo, "datastores/dir-store/mod.ts", "extensions/datastores/dir-store/mod.ts");
    await appendFile(join(repo, ".swamp.yaml"), `datastore:\n  type: "@examples/dir-store"\n  config:\n    path: ${JSON.stringify(data)}\n`);

    const status = await swamp(["datastore", "status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const s = parseJson(status.stdout);
    assert.equal(s.type, "@examples/dir-store");
    assert.equal(s.healthy, true);

    const created = await swamp(["model", "create", "command/shell", "hello", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const modelId = parseJson(created.stdout).id as string;

    // Someone else holds the global lock: the run waits, then fails with exit 75 naming them.
    const provider = await datastore.createProvider({ path: data });
    const lock = provider.createLock(data);
    await lock.acquire();
    try {
      const lockStatus = parseJson((await swamp(["datastore", "lock", "status", "--json"])).stdout);
      assert.equal(lockStatus.held, true);
      assert.equal(lockStatus.info.pid, process.pid);
      assert.equal(lockStatus.datastoreType, "@examples/dir-store");
      const blocked = await swamp(["model", "method", "run", "hello", "execute", "--input", "run=echo hi", "--json"], { env: { SWAMP_LOCK_TIMEOUT_MS: "500" } });
      assert.equal(blocked.code, 75, blocked.stderr);
      const error = parseJson(blocked.stderr).error;
      assert.equal(error.code, "lock_timeout");
      assert.match(error.message, new RegExp(`\\.datastore\\.lock" held by .* \\(pid ${process.pid}\\)`));
    } finally {
      await lock.release();
    }

    const run = await swamp(["model", "method", "run", "hello", "execute", "--input", "run=echo stored elsewhere", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseJson(run.stdout).status, "succeeded");
    const result = join(data, "data", "command", "shell", modelId, "result", "1", "raw");
    assert.equal(JSON.parse(await readFile(result, "utf8")).stdout, "stored elsewhere");
    assert.equal(existsSync(join(repo, ".swamp", "data", "command")), false, "nothing went to the default datastore");
    const got = await swamp(["data", "get", "hello", "result", "--json"]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(parseJson(got.stdout).content.stdout, "stored elsewhere");
    assert.deepEqual((await readdir(data)).filter((n) => n.endsWith(".lock")), [], "every lock was released");
  });
});
