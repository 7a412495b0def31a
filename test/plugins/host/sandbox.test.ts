/**
 * The sandbox isolation level: the same extension, run in a child process under Node's
 * permission model, works inside its datastore path and is refused everything else — writing
 * outside it, reading ~/.ssh (a fake HOME here), reading the vault key file, spawning a
 * process — each reported as `extension_permission_denied`. In worker isolation the same
 * reads succeed: worker threads isolate faults, not permissions.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { shutdownExtensions } from "../../../plugins/lifecycle.js";
import { FS_STORE, FS_STORE_LIB, GREETER_MODEL } from "../fixtures.js";
import { extensionRegistry, recordingContext, setMarker, tempRepo, testEnv, type TempRepo } from "../helpers.js";

let t: TempRepo;
let home: string;
let sshKey: string;
let vaultKey: string;
/** The sandboxed datastore's configured directory (outside the repo and home). */
let store: string;

before(async () => {
  t = await tempRepo({
    "extensions/datastores/fs-store/mod.ts": FS_STORE,
    "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB,
    "extensions/models/greeter.ts": GREETER_MODEL,
  });
  await setMarker(t.repo, "extensions:\n  isolation: sandbox\n");
  home = join(t.dir, "home");
  store = join(t.dir, "fs-store");
  sshKey = join(home, ".ssh", "id_rsa");
  await mkdir(join(home, ".ssh"), { recursive: true });
  await writeFile(sshKey, "-----BEGIN FAKE KEY-----\n");
  vaultKey = join(t.repo, ".swamp", "secrets", "local_encryption", "main", ".key");
  await mkdir(join(vaultKey, ".."), { recursive: true });
  await writeFile(vaultKey, "0123456789abcdef");
});

after(async () => {
  await shutdownExtensions();
  await t.cleanup();
});

const env = () => testEnv({ HOME: home });

async function sandboxed() {
  const { registry } = await extensionRegistry(t.repo, env());
  return registry.load("datastore", "@test/fs-store");
}

test("a sandboxed datastore works inside its datastore path (lock files, heartbeat, verify)", async () => {
  const plugin = await sandboxed();
  const provider = await plugin.createProvider({ path: store });
  const ds = provider.resolveDatastorePath(t.repo);
  assert.equal(ds, store);
  assert.equal((await provider.createVerifier().verify()).healthy, true);
  const lock = provider.createLock(ds, { lockKey: ".locks/models/x.lock" });
  await lock.acquire();
  const info = await lock.inspect();
  assert.ok(info && info.pid !== process.pid, "the holder is the sandbox process, not the CLI");
  await lock.release();
  assert.equal(await lock.inspect(), null);
});

const REFUSED: Array<[string, Record<string, unknown>]> = [
  ["writing outside the datastore path", { misbehave: "write", target: "__outside__" }],
  ["reading ~/.ssh/id_rsa", { misbehave: "read", target: "__ssh__" }],
  ["reading the vault key file", { misbehave: "read", target: "__vault__" }],
  ["spawning a process", { misbehave: "spawn" }],
];

for (const [what, raw] of REFUSED) {
  test(`sandbox refuses ${what} with extension_permission_denied`, async () => {
    const target = raw.target === "__outside__" ? join(t.dir, "outside.txt") : raw.target === "__ssh__" ? sshKey : raw.target === "__vault__" ? vaultKey : undefined;
    const config = { path: store, ...raw, ...(target ? { target } : {}) };
    const plugin = await sandboxed();
    const provider = await plugin.createProvider(config);
    await assert.rejects(provider.createVerifier().verify(), (err: { code?: string; message: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, "extension_permission_denied");
      assert.match(err.message, /@test\/fs-store \(extensions\/datastores\/fs-store\/mod\.ts\) was denied/);
      assert.equal(err.details?.isolation, "sandbox");
      return true;
    });
    if (raw.target === "__outside__") assert.equal(existsSync(join(t.dir, "outside.txt")), false);
  });
}

test("in worker isolation the same read succeeds: worker threads do not restrict permissions", async () => {
  await setMarker(t.repo, "extensions:\n  isolation: sandbox\n  overrides:\n    \"@test/fs-store\": worker\n");
  try {
    const plugin = await sandboxed();
    const provider = await plugin.createProvider({ misbehave: "read", target: sshKey });
    assert.equal((await provider.createVerifier().verify()).healthy, true);
  } finally {
    await setMarker(t.repo, "extensions:\n  isolation: sandbox\n");
  }
});

test("a sandboxed model method runs; its writes go through the host", async () => {
  const { registry } = await extensionRegistry(t.repo, env());
  const greeter = await registry.load("model", "@test/greeter");
  const rec = recordingContext("greet", { prefix: "sandboxed" });
  await greeter.methods.greet?.execute({ name: "box", times: 1 }, rec.context);
  assert.deepEqual(rec.resources.get("main"), { message: "sandboxed box", count: 1 });
  assert.equal(rec.files.get("transcript"), "sandboxed box #1\n");
  const marker = join(t.dir, "touched.txt");
  await assert.rejects(
    greeter.methods.touch?.execute({}, recordingContext("touch", { marker }).context) as Promise<unknown>,
    { code: "extension_permission_denied" },
  );
  assert.equal(existsSync(marker), false);
});

test("faults in a sandbox process are reported like worker faults", async () => {
  const { registry } = await extensionRegistry(t.repo, env());
  const greeter = await registry.load("model", "@test/greeter");
  await assert.rejects(greeter.methods.exit?.execute({}, recordingContext("exit").context) as Promise<unknown>, {
    code: "extension_crashed",
    message: /called process\.exit\(3\) during method exit/,
  });
  await assert.rejects(greeter.methods.crash?.execute({}, recordingContext("crash").context) as Promise<unknown>, {
    code: "extension_crashed",
    message: /crashed during method crash: .*uncaught in a timer/,
  });
  const rec = recordingContext("greet", { prefix: "after" });
  await greeter.methods.greet?.execute({ name: "crash", times: 1 }, rec.context);
  assert.deepEqual(rec.resources.get("main"), { message: "after crash", count: 1 });
});

test("a configured datastore path that would expose the repo or home is refused before the sandbox starts", async () => {
  const plugin = await sandboxed();
  await assert.rejects(Promise.resolve(plugin.createProvider({ path: t.repo })), { code: "datastore_path_refused", message: /is the repository root/ });
  await assert.rejects(Promise.resolve(plugin.createProvider({ path: home })), { code: "datastore_path_refused", message: /is the home directory/ });
  await assert.rejects(Promise.resolve(plugin.createProvider({ path: join(home, "data") })), { code: "datastore_path_refused", message: /inside the home directory outside swamp's own folders/ });
});

test("a sandboxed datastore whose own answer differs from the host's decision is refused", async () => {
  const plugin = await sandboxed();
  // No configured path: the host decides <repo>/.swamp; the fixture answers <repo>/.fs-store.
  await assert.rejects(Promise.resolve(plugin.createProvider({})), (err: { code?: string; message: string }) => {
    assert.equal(err.code, "extension_permission_denied");
    assert.match(err.message, new RegExp(`resolved its datastore path to ${join(t.repo, ".fs-store")}, but swamp decided ${join(t.repo, ".swamp")}`));
    return true;
  });
});
