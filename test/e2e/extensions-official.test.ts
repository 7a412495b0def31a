/**
 * Official extensions (`@swamp/…`) brought into a repo's `extensions/` folder: a vault under
 * the reserved collective loads (with one warning on stderr), and an extension that declares
 * `@swamp/s3-datastore` serves that type itself — when it is broken the command fails with
 * the build error instead of the builtin S3 standing in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { MEMORY_VAULT, SEED_STORE, writeSource } from "../plugins/fixtures.js";

const OFFICIAL_VAULT = MEMORY_VAULT.replace('"@test/memory-vault"', '"@swamp/memory-vault"');

for (const isolation of ["worker", "sandbox"] as const) {
  test(`an @swamp/* vault in extensions/ loads under ${isolation} isolation, with one warning on stderr`, async () => {
    await withRepo(async (repo) => {
      await writeSource(repo, "extensions/vaults/memory.ts", OFFICIAL_VAULT);
      await appendFile(join(repo, ".swamp.yaml"), `extensions:\n  isolation: ${isolation}\n`);
      const created = await swamp(["vault", "create", "@swamp/memory-vault", "mem", "--config", '{"seed":{"token":"abc"}}', "--json", "--repo-dir", repo]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(parseJson(created.stdout).type, "@swamp/memory-vault");
      const warnings = created.stderr.split("\n").filter((l) => l.includes("reserved"));
      assert.equal(warnings.length, 1, created.stderr);
      assert.match(warnings[0] ?? "", /^warning: extensions\/vaults\/memory\.ts declares vault type "@swamp\/memory-vault" in the reserved collective "swamp"/);

      const keys = await swamp(["vault", "list-keys", "mem", "--json", "--repo-dir", repo]);
      assert.equal(keys.code, 0, keys.stderr);
      assert.match(keys.stdout, /token/);
    });
  });
}

/** The `--json` error object printed on stderr after any warning lines. */
function jsonError(stderr: string): { code: string; message: string } {
  return parseJson(stderr.slice(stderr.indexOf("\n{") + 1)).error;
}

const S3_MARKER = 'datastore:\n  type: "@swamp/s3-datastore"\n  config:\n    endpoint: "https://storage.example.com"\n    bucket: "my-data"\n';

test("a broken @swamp/s3-datastore extension fails `datastore status` with its build error, never the builtin S3", async () => {
  await withRepo(async (repo) => {
    const broken = SEED_STORE.replace('"@myorg/my-store"', '"@swamp/s3-datastore"').replace("const ConfigSchema", 'import { helper } from "./missing.ts";\nhelper();\nconst ConfigSchema');
    await writeSource(repo, "extensions/datastores/s3/mod.ts", broken);
    await appendFile(join(repo, ".swamp.yaml"), S3_MARKER);
    for (let run = 0; run < 2; run++) {
      const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo]);
      assert.equal(r.code, 1, `run ${run}: ${r.stdout}`);
      assert.equal(r.stdout, "");
      const error = jsonError(r.stderr);
      assert.equal(error.code, "extension_build_failed", error.message);
      assert.match(error.message, /extensions\/datastores\/s3\/mod\.ts/);
      assert.match(error.message, /missing\.ts/);
      assert.doesNotMatch(error.message, /\n/);
    }
  });
});

test("an @swamp/s3-datastore extension that is not a valid export fails loudly too", async () => {
  await withRepo(async (repo) => {
    const invalid = SEED_STORE.replace('"@myorg/my-store"', '"@swamp/s3-datastore"').replace("createProvider:", "makeProvider:");
    await writeSource(repo, "extensions/datastores/s3/mod.ts", invalid);
    await appendFile(join(repo, ".swamp.yaml"), S3_MARKER);
    const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 1, r.stdout);
    const error = jsonError(r.stderr);
    assert.equal(error.code, "extension_invalid", error.message);
    assert.match(error.message, /createProvider/);
  });
});

test("a working @swamp/s3-datastore extension is served as itself", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/datastores/s3/mod.ts", SEED_STORE.replaceAll('"@myorg/my-store"', '"@swamp/s3-datastore"'));
    await appendFile(join(repo, ".swamp.yaml"), S3_MARKER);
    const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const status = parseJson(r.stdout);
    assert.equal(status.type, "@swamp/s3-datastore");
    assert.equal(status.healthy, true);
    assert.equal(status.message, "OK");
  });
});
