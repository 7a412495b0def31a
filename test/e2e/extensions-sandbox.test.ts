/**
 * `extensions.isolation: sandbox` through the real CLI: a sandboxed datastore and model type
 * run a method end to end, and a sandboxed extension that reaches for ~/.ssh (a fake HOME),
 * the vault key file, a path outside its datastore or a child process is refused with
 * `extension_permission_denied`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { FS_STORE, FS_STORE_LIB, GREETER_MODEL, writeSource } from "../plugins/fixtures.js";

test("sandboxed extensions run a method, and are refused secrets, foreign writes and processes", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    await mkdir(join(home, ".ssh"), { recursive: true });
    await writeFile(join(home, ".ssh", "id_rsa"), "-----BEGIN FAKE KEY-----\n");
    const vaultKey = join(repo, ".swamp", "secrets", "local_encryption", "main", ".key");
    await mkdir(join(vaultKey, ".."), { recursive: true });
    await writeFile(vaultKey, "0123456789abcdef");
    await writeSource(repo, "extensions/datastores/fs-store/mod.ts", FS_STORE);
    await writeSource(repo, "extensions/datastores/fs-store/_lib/body.ts", FS_STORE_LIB);
    await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
    // A sandboxed datastore is granted the directory its config names (or <repo>/.swamp).
    const store = join(repo, "..", "fs-store");
    await appendFile(join(repo, ".swamp.yaml"), `datastore:\n  type: "@test/fs-store"\n  config:\n    path: ${store}\nextensions:\n  isolation: sandbox\n`);
    const env = { HOME: home };

    const list = parseJson((await swamp(["extension", "list", "--json", "--repo-dir", repo], { env })).stdout);
    assert.deepEqual(list.catalog.map((e: { isolation: string }) => e.isolation), ["sandbox", "sandbox"], JSON.stringify(list.catalog));

    const run = await swamp(["model", "@test/greeter", "method", "run", "greet", "boxed", "--input", "name=box", "--json", "--repo-dir", repo], { env });
    assert.equal(run.code, 0, run.stderr);
    const view = parseJson(run.stdout);
    const main = view.dataArtifacts.find((a: { name: string }) => a.name === "main");
    const written = resolve(repo, main.path);
    assert.deepEqual(JSON.parse(await readFile(join(written, "raw"), "utf8")), { message: "hello box", count: 1 });
    assert.ok(written.startsWith(store), "the sandboxed datastore wrote inside its own path");

    const outside = join(repo, "..", "outside.txt");
    const attacks: Array<[string, string]> = [
      ["read ~/.ssh/id_rsa", JSON.stringify({ path: store, misbehave: "read", target: join(home, ".ssh", "id_rsa") })],
      ["read the vault key", JSON.stringify({ path: store, misbehave: "read", target: vaultKey })],
      ["write outside", JSON.stringify({ path: store, misbehave: "write", target: outside })],
      ["spawn a process", JSON.stringify({ path: store, misbehave: "spawn" })],
    ];
    for (const [what, config] of attacks) {
      const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo], { env: { ...env, SWAMP_DATASTORE: `@test/fs-store:${config}` } });
      assert.equal(r.code, 1, `${what}: ${r.stdout}`);
      const error = parseJson(r.stderr).error;
      assert.equal(error.code, "extension_permission_denied", `${what}: ${error.message}`);
      assert.match(error.message, /datastore extension @test\/fs-store \(extensions\/datastores\/fs-store\/mod\.ts\) was denied/);
    }
    assert.equal(existsSync(outside), false);

    // The same extension trusted with an override reads the key: worker isolation is no security boundary.
    await appendFile(join(repo, ".swamp.yaml"), '  overrides:\n    "@test/fs-store": worker\n');
    const trusted = await swamp(["datastore", "status", "--json", "--repo-dir", repo], {
      env: { ...env, SWAMP_DATASTORE: `@test/fs-store:${JSON.stringify({ misbehave: "read", target: join(home, ".ssh", "id_rsa") })}` },
    });
    assert.equal(trusted.code, 0, trusted.stderr);
  });
});

test("a collective override sandboxes every type of that collective", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/datastores/fs-store/mod.ts", FS_STORE);
    await writeSource(repo, "extensions/datastores/fs-store/_lib/body.ts", FS_STORE_LIB);
    await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
    await appendFile(join(repo, ".swamp.yaml"), `extensions:\n  isolation: worker\n  overrides:\n    "@test/*": sandbox\n`);

    const list = parseJson((await swamp(["extension", "list", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(list.catalog.map((e: { isolation: string }) => e.isolation), ["sandbox", "sandbox"], JSON.stringify(list.catalog));
    const store = join(repo, "..", "fs-store");
    const spawn = await swamp(["datastore", "status", "--json", "--repo-dir", repo], {
      env: { SWAMP_DATASTORE: `@test/fs-store:${JSON.stringify({ path: store, misbehave: "spawn" })}` },
    });
    assert.equal(spawn.code, 1, spawn.stdout);
    assert.equal(parseJson(spawn.stderr).error.code, "extension_permission_denied");
  });
});

test("a sandboxed bundle that exits while loading is reported with its exit code and last stderr lines", async () => {
  await withRepo(async (repo) => {
    await writeSource(
      repo,
      "extensions/models/quitter.ts",
      'import { z } from "npm:zod@4";\nprocess.stderr.write("quitter: no config, giving up\\n");\nprocess.exit(4);\nexport const model = { type: "@test/quitter", version: "2026.01.01.1", resources: {}, methods: { run: { description: "never", arguments: z.object({}), execute: async () => ({}) } } };\n',
    );
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    const list = parseJson((await swamp(["extension", "list", "--json", "--repo-dir", repo])).stdout);
    const entry = list.catalog.find((e: { source: string }) => e.source.endsWith("quitter.ts"));
    assert.equal(entry?.state, "ValidationFailed", JSON.stringify(list.catalog));
    assert.match(entry.lastError, /the sandbox process ended while loading the bundle \(exit code 4: quitter: no config, giving up\)/);
  });
});
