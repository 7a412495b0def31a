/**
 * Which bundles run as scripts (`.cjs`, no ES module loader in the worker) and which stay ES
 * modules (`.mjs`): a top-level await, a read of `import.meta`, an npm package or a dynamic
 * import from outside keep a bundle a module. Either way the extension behaves the same: strict,
 * with `require`, and with fresh module state on every load.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readMarker } from "../../kernel/runtime/marker.js";
import { reconcile } from "../../plugins/catalog.js";
import { isolationPolicy } from "../../plugins/isolation.js";
import { shutdownExtensions } from "../../plugins/lifecycle.js";
import { seeingModel } from "./fixtures.js";
import { extensionRegistry, recordingContext, tempRepo, testEnv, type TempRepo } from "./helpers.js";

const SOURCES: Record<string, string> = {
  "extensions/models/script.ts": seeingModel(
    "@test/script",
    'import { basename } from "node:path";\nimport { EventEmitter } from "events";\nlet loads = 0;\nloads++;\nconst strict = (function (this: unknown) { return this; })() === undefined;\nconst top = this;',
    'seen.base = basename("/a/b.ts"); seen.emitter = typeof EventEmitter; seen.loads = loads; seen.strict = strict; seen.top = top === undefined; seen.required = typeof require("node:os").cpus;',
  ),
  "extensions/models/awaits.ts": seeingModel("@test/awaits", "const value = await Promise.resolve(42);", "seen.value = value;"),
  "extensions/models/meta.ts": seeingModel("@test/meta", "", "seen.url = import.meta.url.startsWith('file://');"),
  "extensions/models/dynamic.ts": seeingModel("@test/dynamic", "", 'seen.platform = typeof (await import("node:os")).platform;'),
};

let t: TempRepo;

before(async () => {
  t = await tempRepo(SOURCES);
});

after(async () => {
  await shutdownExtensions();
  await t.cleanup();
});

async function bundleOf(suffix: string): Promise<string> {
  const marker = await readMarker(t.repo);
  const all = await reconcile({ repoDir: t.repo, marker, env: testEnv(), isolation: isolationPolicy(marker) });
  const entry = all.find((c) => c.kind === "model")?.entries.find((e) => e.source.endsWith(suffix));
  assert.equal(entry?.state, "Indexed", entry?.lastError ?? "");
  return entry!.bundlePath!;
}

async function run(type: string): Promise<Record<string, unknown> | undefined> {
  const { registry } = await extensionRegistry(t.repo, testEnv());
  const plugin = await registry.load("model", type);
  const rec = recordingContext("run");
  await plugin.methods.run?.execute({}, rec.context);
  return rec.resources.get("out");
}

test("a bundle with only builtin imports is a script, and runs strict, with require and fresh module state", async () => {
  assert.match(await bundleOf("script.ts"), /script-[0-9a-f]{16}\.cjs$/);
  const expected = { base: "b.ts", emitter: "function", loads: 1, strict: true, top: true, required: "function" };
  assert.deepEqual(await run("@test/script"), expected);
  assert.deepEqual(await run("@test/script"), expected, "a second load starts from fresh module state");
});

for (const [file, type, why, expected] of [
  ["awaits.ts", "@test/awaits", "awaits at its top level", { value: 42 }],
  ["meta.ts", "@test/meta", "reads import.meta", { url: true }],
  ["dynamic.ts", "@test/dynamic", "imports a builtin dynamically", { platform: "function" }],
] as const) {
  test(`a bundle that ${why} stays an ES module, and runs`, async () => {
    assert.match(await bundleOf(file), /-[0-9a-f]{16}\.mjs$/);
    assert.deepEqual(await run(type), expected);
  });
}
