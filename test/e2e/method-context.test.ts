/**
 * The method context real extension methods use, through the real CLI in both isolation
 * levels: a generated-style model whose `create` writes a resource, whose `update` reads the
 * prior state with `context.dataRepository` (and says "No data found - run create first"
 * when there is none), and whose `list` uses `queryData`, `definitionRepository` and
 * `createCelEnvironment`; a hostile data name is refused by the host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { writeSource } from "../plugins/fixtures.js";

const SERVER_MODEL = `import { z } from "npm:zod@4";

const State = z.object({
  id: z.string(),
  size: z.number(),
  previous: z.number().optional(),
  items: z.number().optional(),
  itemsByName: z.number().optional(),
  versions: z.array(z.number()).optional(),
  latest: z.number().nullable().optional(),
});

export const model = {
  type: "@test/server",
  version: "2026.01.01.1",
  globalArguments: z.object({ name: z.string() }),
  resources: {
    state: { description: "Server state", schema: State, lifetime: "infinite", garbageCollection: 10 },
    summary: { description: "What list saw", schema: z.object({}).passthrough(), lifetime: "infinite", garbageCollection: 10 },
  },
  methods: {
    create: {
      description: "Create a server",
      arguments: z.object({ size: z.number().default(1) }),
      execute: async (args: { size: number }, context: any) => {
        const instanceName = context.globalArgs.name;
        const handle = await context.writeResource("state", instanceName, { id: "srv-" + instanceName, size: args.size });
        return { dataHandles: [handle] };
      },
    },
    update: {
      description: "Update a server",
      arguments: z.object({ size: z.number() }),
      execute: async (args: { size: number }, context: any) => {
        const g = context.globalArgs;
        const instanceName = g.name?.toString() ?? "current";
        const content = await context.dataRepository.getContent(context.modelType, context.modelId, instanceName);
        if (!content) {
          throw new Error("No data found - run create first");
        }
        const existing = JSON.parse(new TextDecoder().decode(content));
        const all = await context.dataRepository.findAllForModel(context.modelType, context.modelId);
        const byName = await context.dataRepository.findAllForModel(context.modelType, context.definition.name);
        const versions = await context.dataRepository.listVersions(context.modelType, context.modelId, instanceName);
        const latest = await context.dataRepository.getLatestVersion(context.modelType, context.modelId, instanceName);
        const found = await context.dataRepository.findByName(context.modelType, context.modelId, instanceName);
        if (!found || found.version !== latest || found.tags.specName !== "state") throw new Error("findByName disagrees: " + JSON.stringify(found));
        const handle = await context.writeResource("state", instanceName, {
          ...existing,
          size: args.size,
          previous: existing.size,
          items: all.filter((d: any) => d.tags.type === "resource").length,
          itemsByName: byName.filter((d: any) => d.tags.type === "resource").length,
          versions,
          latest,
        });
        return { dataHandles: [handle] };
      },
    },
    list: {
      description: "List servers",
      arguments: z.object({}),
      execute: async (_args: unknown, context: any) => {
        const rows = await context.queryData('specName == "state"', "attributes");
        const records = await context.queryData('modelName == "' + context.definition.name + '" && dataType == "resource"');
        const definitions = await context.definitionRepository.findAll(context.modelType);
        const me = await context.definitionRepository.findByName(context.modelType, context.definition.name);
        const global = await context.definitionRepository.findAllGlobal();
        const env = context.createCelEnvironment();
        const doubled = env.evaluate("size * 2", { size: rows[0].size });
        const handle = await context.writeResource("summary", "summary", {
          sizes: rows.map((r: any) => r.size),
          recordNames: records.map((r: any) => r.name).sort(),
          definitions: definitions.map((d: any) => d.name).sort(),
          me: me ? me.id : null,
          globalCount: global.length,
          doubled,
        });
        return { dataHandles: [handle] };
      },
    },
    peek: {
      description: "Reads a data name given as an argument",
      arguments: z.object({ dataName: z.string() }),
      execute: async (args: { dataName: string }, context: any) => {
        await context.dataRepository.getContent(context.modelType, context.modelId, args.dataName);
        return {};
      },
    },
  },
};
`;

const SERVER_ID = "5b0c1f3e-2a4d-4c6b-8e9f-0a1b2c3d4e5f";
const OTHER_ID = "6c1d2e4f-3b5e-4d7c-9f0a-1b2c3d4e5f60";

function definition(id: string, name: string): string {
  return ['type: "@test/server"', "typeVersion: 2026.01.01.1", `id: ${id}`, `name: ${name}`, "version: 1", "tags: {}", "globalArguments:", `  name: ${name}`, "methods: {}", ""].join("\n");
}

async function setUp(repo: string, isolation: "worker" | "sandbox"): Promise<void> {
  await writeSource(repo, "extensions/models/server.ts", SERVER_MODEL);
  await writeSource(repo, `models/@test/server/${SERVER_ID}.yaml`, definition(SERVER_ID, "web"));
  await writeSource(repo, `models/@test/server/${OTHER_ID}.yaml`, definition(OTHER_ID, "db"));
  await appendFile(join(repo, ".swamp.yaml"), `extensions:\n  isolation: ${isolation}\n`);
}

async function artifact(run: { stdout: string }, name: string, repo: string): Promise<Record<string, unknown>> {
  const view = parseJson(run.stdout);
  const a = view.dataArtifacts.find((x: { name: string }) => x.name === name);
  assert.ok(a, `no artifact ${name} in ${run.stdout}`);
  return JSON.parse(await readFile(resolve(repo, a.path, "raw"), "utf8")) as Record<string, unknown>;
}

for (const isolation of ["worker", "sandbox"] as const) {
  test(`${isolation}: update reads prior state through context.dataRepository; list uses queryData, definitionRepository and CEL`, async () => {
    await withRepo(async (repo) => {
      await setUp(repo, isolation);
      const run = (model: string, method: string, ...inputs: string[]) =>
        swamp(["model", "method", "run", model, method, ...inputs.flatMap((i) => ["--input", i]), "--json", "--repo-dir", repo]);

      const early = await run("web", "update", "size=3");
      assert.equal(early.code, 1, early.stdout);
      const error = parseJson(early.stderr).error;
      // The extension's own words, after the prefix naming the extension, file and method.
      assert.match(error.message, /^The model extension @test\/server \(extensions\/models\/server\.ts\) failed in method update: No data found - run create first$/);

      const created = await run("web", "create", "size=2");
      assert.equal(created.code, 0, created.stderr);
      assert.deepEqual(await artifact(created, "web", repo), { id: "srv-web", size: 2 });
      assert.equal((await run("db", "create", "size=5")).code, 0);

      const updated = await run("web", "update", "size=4");
      assert.equal(updated.code, 0, updated.stderr);
      assert.deepEqual(await artifact(updated, "web", repo), { id: "srv-web", size: 4, previous: 2, items: 1, itemsByName: 1, versions: [1], latest: 1 });

      const listed = await run("web", "list");
      assert.equal(listed.code, 0, listed.stderr);
      const summary = await artifact(listed, "summary", repo);
      assert.deepEqual([...(summary.sizes as number[])].sort(), [4, 5]);
      assert.deepEqual(summary.recordNames, ["web"]);
      assert.deepEqual(summary.definitions, ["db", "web"]);
      assert.equal(summary.me, SERVER_ID);
      assert.equal(summary.globalCount, 2);
      assert.equal(summary.doubled, 8);
    });
  });

  test(`${isolation}: a hostile data name is refused by the host`, async () => {
    await withRepo(async (repo) => {
      await setUp(repo, isolation);
      for (const dataName of ["../../x", "..", "a/b", "latest", ".hidden"]) {
        const r = await swamp(["model", "method", "run", "web", "peek", "--input", `dataName=${dataName}`, "--json", "--repo-dir", repo]);
        assert.equal(r.code, 1, `${dataName}: ${r.stdout}`);
        const error = parseJson(r.stderr).error;
        assert.equal(error.code, "validation_failed", `${dataName}: ${error.message}`);
      }
    });
  });
}
