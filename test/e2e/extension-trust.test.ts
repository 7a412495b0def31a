/**
 * `swamp extension trust list|add|rm` through the real CLI: the default list, the first
 * write copying the default in, edits that keep the rest of `.swamp.yaml` byte for byte,
 * and one-line refusals with stable codes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { startNpmRegistry } from "../helpers/npm-registry.js";

test("trust list shows swamp and si by default, in text and --json", async () => {
  await withRepo(async (repo) => {
    const r = await swamp(["extension", "trust", "list", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseJson(r.stdout), { explicit: ["swamp", "si"], membership: [], resolved: ["swamp", "si"], trustMemberCollectives: false });
    const text = await swamp(["extension", "trust", "list", "--repo-dir", repo]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Trusted Collectives/);
    assert.match(text.stdout, /Explicit:\n  swamp\n  si\n/);
    assert.match(text.stdout, /Auto-trust membership collectives: disabled/);
    assert.match(text.stdout, /Resolved \(effective\):\n  swamp\n  si/);
  });
});

test("trust add then rm round-trips, keeping comments and key order in .swamp.yaml", async () => {
  await withRepo(async (repo) => {
    const file = join(repo, ".swamp.yaml");
    const original = `# team settings\n${await readFile(file, "utf8")}logLevel: info # keep me\n`;
    await writeFile(file, original);

    const add = await swamp(["extension", "trust", "add", "acme", "--json", "--repo-dir", repo]);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(parseJson(add.stdout), { action: "added", collective: "acme", trustedCollectives: ["swamp", "si", "acme"] });
    const afterAdd = await readFile(file, "utf8");
    assert.ok(afterAdd.startsWith(original), `the original text stays as it was:\n${afterAdd}`);
    assert.match(afterAdd, /trustedCollectives:\n\s*- swamp\n\s*- si\n\s*- acme\n/);

    const list = parseJson((await swamp(["extension", "trust", "list", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(list.resolved, ["swamp", "si", "acme"]);

    const dup = await swamp(["extension", "trust", "add", "acme", "--json", "--repo-dir", repo]);
    assert.equal(dup.code, 1);
    assert.equal(parseJson(dup.stderr).error.code, "already_exists");

    const text = await swamp(["extension", "trust", "add", "other", "--repo-dir", repo]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, "Added trusted collective: other\nTrusted collectives: swamp, si, acme, other\n");

    for (const c of ["other", "acme"]) {
      const rm = await swamp(["extension", "trust", "rm", c, "--json", "--repo-dir", repo]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(parseJson(rm.stdout).action, "removed");
    }
    const afterRm = await readFile(file, "utf8");
    assert.ok(afterRm.startsWith(original), afterRm);
    assert.deepEqual(parseJson((await swamp(["extension", "trust", "list", "--json", "--repo-dir", repo])).stdout).explicit, ["swamp", "si"]);

    const missing = await swamp(["extension", "trust", "rm", "acme", "--json", "--repo-dir", repo]);
    assert.equal(missing.code, 1);
    assert.equal(parseJson(missing.stderr).error.code, "not_found");

    // Removing everything is allowed and turns auto-resolve off.
    for (const c of ["swamp", "si"]) assert.equal((await swamp(["extension", "trust", "rm", c, "--repo-dir", repo])).code, 0);
    assert.deepEqual(parseJson((await swamp(["extension", "trust", "list", "--json", "--repo-dir", repo])).stdout).resolved, []);
  });
});

test("an invalid collective name is refused with one line and a stable code, and the file is untouched", async () => {
  await withRepo(async (repo) => {
    const before = await readFile(join(repo, ".swamp.yaml"), "utf8");
    for (const bad of ["@acme", "Acme", "_x", "a/b", "a.b", ""]) {
      const r = await swamp(["extension", "trust", "add", bad, "--json", "--repo-dir", repo]);
      assert.equal(r.code, 1, `${bad}: ${r.stdout}${r.stderr}`);
      assert.equal(parseJson(r.stderr).error.code, "invalid_collective", bad);
      const text = await swamp(["extension", "trust", "add", bad, "--repo-dir", repo]);
      assert.equal(text.stderr.trim().split("\n").length, 1, text.stderr);
      assert.match(text.stderr, /Invalid collective/);
    }
    assert.match((await swamp(["extension", "trust", "add", "@acme", "--repo-dir", repo])).stderr, /without "@": acme/);
    assert.equal(await readFile(join(repo, ".swamp.yaml"), "utf8"), before);
  });
});

test("trust commands outside a repo say so", async () => {
  await withRepo(async (repo) => {
    const r = await swamp(["extension", "trust", "list", "--json", "--repo-dir", join(repo, "nowhere")]);
    assert.equal(r.code, 1);
    assert.equal(parseJson(r.stderr).error.code, "not_a_repo");
  });
});

test("a trusted type that nothing publishes is looked up once per 10 minutes; explicit pull always asks", async () => {
  const registry = await startNpmRegistry([]);
  try {
    await withRepo(async (repo) => {
      await writeFile(join(repo, ".swamp.yaml"), `${await readFile(join(repo, ".swamp.yaml"), "utf8")}trustedCollectives: [acme]\n`);
      await mkdir(join(repo, "models", "@acme", "nothing"), { recursive: true });
      await writeFile(join(repo, "models", "@acme", "nothing", "one.yaml"), 'type: "@acme/nothing"\nname: one\n');
      const env = { SWAMP_EXTENSION_REGISTRY: registry.url };
      const lookups = () => registry.requests.filter((p) => p === "/@acme/nothing").length;
      const status = () => swamp(["datastore", "status", "--json", "--repo-dir", repo], { env });

      assert.equal((await status()).code, 0);
      assert.equal(lookups(), 1, "the first command asks the registry");
      assert.equal((await status()).code, 0);
      assert.equal(lookups(), 1, "the next one remembers that nothing publishes it");

      const pulled = await swamp(["extension", "pull", "@acme/nothing", "--json", "--repo-dir", repo], { env });
      assert.equal(parseJson(pulled.stderr).error.code, "extension_not_found");
      assert.equal(lookups(), 2, "an explicit pull always asks");

      // An entry older than the time to live is asked again.
      const cacheFile = join(repo, ".swamp", "extension-lookup-misses.json");
      const cache = JSON.parse(await readFile(cacheFile, "utf8"));
      for (const key of Object.keys(cache)) cache[key].checkedAt = new Date(Date.now() - 11 * 60_000).toISOString();
      await writeFile(cacheFile, JSON.stringify(cache));
      assert.equal((await status()).code, 0);
      assert.equal(lookups(), 3);

      // A damaged cache file is ignored, not fatal.
      await writeFile(cacheFile, "{not json");
      assert.equal((await status()).code, 0);
      assert.equal(lookups(), 4);
    });
  } finally {
    await registry.close();
  }
});
