/**
 * What a method's kind does to the model's resources (seed 001 "Deletion Markers"): a
 * successful `delete` method leaves a deletion marker on every live declared resource, which
 * `data versions` shows as the latest version; `read`/`update` methods then refuse with
 * `resource_deleted` until a `create` brings the resource back. Run views name files
 * relative to the repo.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { writeSource } from "../plugins/fixtures.js";

const THING = `import { z } from "npm:zod@4";

export const model = {
  type: "@test/thing",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  resources: {
    thing: { description: "The thing", schema: z.record(z.string(), z.unknown()), lifetime: "infinite", garbageCollection: 10 },
  },
  methods: {
    create: {
      description: "Creates it",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => ({ dataHandles: [await ctx.writeResource("thing", "main", { size: 3 })] }),
    },
    get: {
      description: "Reads it",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => ({ dataHandles: [await ctx.writeResource("thing", "main", { size: 3, seen: true })] }),
    },
    delete: {
      description: "Deletes it",
      arguments: z.object({}),
      execute: async () => ({ dataHandles: [] }),
    },
  },
};
`;

test("delete leaves deletion markers; read refuses until create; run views use repo-relative paths", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    const cli = (...args: string[]) => swamp([...args, "--repo-dir", repo, "--json"], { env: { SWAMP_HOME: home } });
    await writeSource(repo, "extensions/models/thing.ts", THING);
    assert.equal((await cli("model", "create", "@test/thing", "box")).code, 0);

    const created = await cli("model", "method", "run", "box", "create");
    assert.equal(created.code, 0, created.stderr);
    const view = parseJson(created.stdout);
    assert.ok(!view.logFile.startsWith("/"), `logFile is repo-relative: ${view.logFile}`);
    for (const a of view.dataArtifacts) assert.ok(!a.path.startsWith("/") && !a.path.includes(repo), `artifact path is repo-relative: ${a.path}`);

    const deleted = await cli("model", "method", "run", "box", "delete");
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.ok(parseJson(deleted.stdout).dataArtifacts.some((a: { name: string }) => a.name === "main"), "the marker is an artifact of the delete run");
    const versions = parseJson((await cli("data", "versions", "box", "main")).stdout);
    const latest = versions.versions.find((v: { isLatest?: boolean }) => v.isLatest) ?? versions.versions[0];
    assert.equal(latest.version, 2);
    assert.equal(latest.lifecycle, "deleted");
    const marker = parseJson((await cli("data", "get", "box", "main")).stdout);
    assert.equal(marker.content.size, 3, "the marker keeps the last attributes");
    assert.equal(marker.content.deletedByMethod, "delete");

    const refused = await cli("model", "method", "run", "box", "get");
    assert.equal(refused.code, 1);
    const err = parseJson(refused.stderr).error;
    assert.equal(err.code, "resource_deleted");
    assert.match(err.message, /^Resource 'main' was deleted at .* — run a 'create' method to re-create it first$/);

    assert.equal((await cli("model", "method", "run", "box", "create")).code, 0);
    const again = await cli("model", "method", "run", "box", "get");
    assert.equal(again.code, 0, again.stderr);

    // Validators compiled from the extension's schemas are code the CLI loads: kept in the
    // user's swamp home, never in the repo.
    // (The extension's own bundle lives in the repo: <kind>-bundles/, which may be a .cjs script.)
    const inRepo = (await readdir(join(repo, ".swamp"), { recursive: true })).filter((f) => String(f).endsWith(".cjs") && !/^[a-z]+-bundles\//.test(String(f)));
    assert.deepEqual(inRepo, []);
    assert.ok((await readdir(join(home, "cache", "validators"))).some((f) => f.endsWith(".cjs")));
  });
});

test("autoGc: true keeps each item to its garbageCollection count on every write; off, nothing is pruned", async () => {
  await withRepo(async (repo) => {
    const cli = (...args: string[]) => swamp([...args, "--repo-dir", repo, "--json"]);
    await writeSource(
      repo,
      "models/pruned.yaml",
      "id: 0d1e2f30-4a5b-4c6d-8e7f-8091a2b3c4d5\nname: pruned\ntype: command/shell\nresources:\n  result:\n    garbageCollection: 2\nmethods:\n  execute:\n    arguments:\n      run: echo hi\n",
    );
    const versionsOf = async () => parseJson((await cli("data", "versions", "pruned", "result")).stdout).versions.map((v: { version: number }) => v.version);
    for (let i = 0; i < 3; i++) assert.equal((await cli("model", "method", "run", "pruned", "execute")).code, 0);
    assert.deepEqual(await versionsOf(), [3, 2, 1], "without autoGc only data gc prunes");

    const marker = join(repo, ".swamp.yaml");
    await appendFile(marker, "autoGc: true\n");
    assert.equal((await cli("model", "method", "run", "pruned", "execute")).code, 0);
    assert.deepEqual(await versionsOf(), [4, 3]);
    const got = parseJson((await cli("data", "get", "pruned", "result")).stdout);
    assert.equal(got.version, 4);
  });
});
