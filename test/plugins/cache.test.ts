/**
 * Discovery and the bundle cache: which files are extensions, when a bundle is rebuilt
 * (content of the entry or any local import — never mtime alone), that a broken build fails
 * loudly and never falls back to the old bundle, and that listing types loads no code.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeModelType } from "../../kernel/models/types.js";
import { readMarker } from "../../kernel/runtime/marker.js";
import { reconcile } from "../../plugins/catalog.js";
import { isolationPolicy } from "../../plugins/isolation.js";
import { shutdownExtensions } from "../../plugins/lifecycle.js";
import { manifestPath } from "../../plugins/manifest.js";
import { FS_STORE, FS_STORE_LIB, GREETER_MODEL, IMPORTS_MODEL, markerModel, writeSource } from "./fixtures.js";
import { extensionRegistry, recordingContext, setMarker, tempRepo, testEnv } from "./helpers.js";

after(() => shutdownExtensions());

async function catalog(repo: string, env = testEnv()) {
  const marker = await readMarker(repo);
  return reconcile({ repoDir: repo, marker, env, isolation: isolationPolicy(marker) });
}

async function entryOf(repo: string, kind: string, suffix: string) {
  const all = await catalog(repo);
  return all.find((c) => c.kind === kind)?.entries.find((e) => e.source.endsWith(suffix));
}

test("discovery: recursive, skips _dirs, *_test.ts and files without the kind's export", async () => {
  const t = await tempRepo({
    "extensions/models/greeter.ts": GREETER_MODEL,
    "extensions/models/nested/deeper/also.ts": GREETER_MODEL.replace("@test/greeter", "@test/also"),
    "extensions/models/_lib/helper.ts": GREETER_MODEL.replace("@test/greeter", "@test/hidden"),
    "extensions/models/greeter_test.ts": GREETER_MODEL.replace("@test/greeter", "@test/test-file"),
    "extensions/models/util.ts": "export const helper = 1;\n",
    "extensions/datastores/fs-store/mod.ts": FS_STORE,
    "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB,
  });
  try {
    const all = await catalog(t.repo);
    const models = all.find((c) => c.kind === "model")?.entries.map((e) => e.descriptor?.type).sort();
    assert.deepEqual(models, ["@test/also", "@test/greeter"]);
    assert.deepEqual(all.find((c) => c.kind === "datastore")?.entries.map((e) => e.descriptor?.type), ["@test/fs-store"]);
    assert.deepEqual(all.find((c) => c.kind === "vault")?.entries, [], "a missing directory is fine");
    const manifest = JSON.parse(await readFile(manifestPath(t.repo, "model"), "utf8")) as { skipped: Record<string, unknown> };
    assert.deepEqual(Object.keys(manifest.skipped), [join(t.repo, "extensions/models/util.ts")], "helper files are remembered, not re-read");

    // SWAMP_MODELS_DIR wins over the marker's modelsDir, which wins over extensions/models.
    await writeSource(t.repo, "custom/models/x.ts", GREETER_MODEL.replace("@test/greeter", "@test/from-marker"));
    await writeSource(t.repo, "env-models/y.ts", GREETER_MODEL.replace("@test/greeter", "@test/from-env"));
    await setMarker(t.repo, "modelsDir: custom/models\n");
    const viaMarker = (await catalog(t.repo)).find((c) => c.kind === "model");
    assert.deepEqual(viaMarker?.entries.map((e) => e.descriptor?.type), ["@test/from-marker"]);
    const viaEnv = (await catalog(t.repo, testEnv({ SWAMP_MODELS_DIR: join(t.repo, "env-models") }))).find((c) => c.kind === "model");
    assert.deepEqual(viaEnv?.entries.map((e) => e.descriptor?.type), ["@test/from-env"]);
  } finally {
    await t.cleanup();
  }
});

test("cache: unchanged → no rebuild; edited local import → rebuild; same size and mtime but new content → rebuild", async () => {
  const t = await tempRepo({
    "extensions/datastores/fs-store/mod.ts": FS_STORE,
    "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB,
  });
  try {
    const first = await entryOf(t.repo, "datastore", "mod.ts");
    assert.equal(first?.state, "Indexed");
    assert.ok(first?.bundlePath && existsSync(first.bundlePath));
    assert.deepEqual(first.inputs.filter((i) => i.sha256 !== "MISSING").map((i) => i.path.slice(t.repo.length)).sort(), ["/extensions/datastores/fs-store/_lib/body.ts", "/extensions/datastores/fs-store/mod.ts"]);
    // Where an import map could appear (up to the repo root) is watched too: creating one rebuilds.
    assert.ok(first.inputs.some((i) => i.path === join(t.repo, "extensions", "datastores", "fs-store", "deno.json") && i.sha256 === "MISSING"));

    const again = await entryOf(t.repo, "datastore", "mod.ts");
    assert.equal(again?.updatedAt, first.updatedAt, "no rebuild when nothing changed");
    assert.equal(again?.fingerprint, first.fingerprint);

    const lib = join(t.repo, "extensions/datastores/fs-store/_lib/body.ts");
    await writeFile(lib, FS_STORE_LIB.replace("null, 2", "null, 4"));
    const edited = await entryOf(t.repo, "datastore", "mod.ts");
    assert.notEqual(edited?.fingerprint, first.fingerprint, "editing a local import changes the fingerprint");
    assert.notEqual(edited?.bundlePath, first.bundlePath);
    assert.equal(existsSync(first.bundlePath), false, "the replaced bundle is removed");

    // Same length, mtime put back: only the content differs.
    const before = await stat(lib);
    await writeFile(lib, FS_STORE_LIB.replace("null, 2", "null, 8"));
    await utimes(lib, before.atime, before.mtime);
    const sneaky = await entryOf(t.repo, "datastore", "mod.ts");
    assert.notEqual(sneaky?.fingerprint, edited?.fingerprint, "content, not mtime, decides");

    await writeFile(join(t.repo, "extensions/datastores/fs-store/deno.json"), '{ "imports": {} }\n');
    const mapped = await entryOf(t.repo, "datastore", "mod.ts");
    assert.notEqual(mapped?.fingerprint, sneaky?.fingerprint, "a new import-map file is part of the key");
  } finally {
    await t.cleanup();
  }
});

test("a build that fails on an unmapped bare name is rebuilt once a deno.json maps it", async () => {
  const t = await tempRepo({
    "extensions/models/m/mod.ts": GREETER_MODEL.replace('import { z } from "npm:zod@4";', 'import { z } from "npm:zod@4";\nimport { greet } from "greetings";\nconsole.log(greet);'),
    "extensions/models/m/lib/greet.ts": "export const greet = 1;\n",
  });
  try {
    const failed = await entryOf(t.repo, "model", "mod.ts");
    assert.equal(failed?.state, "BundleBuildFailed");
    await writeFile(join(t.repo, "extensions/models/deno.json"), JSON.stringify({ imports: { greetings: "./m/lib/greet.ts" } }));
    const fixed = await entryOf(t.repo, "model", "mod.ts");
    assert.equal(fixed?.state, "Indexed", fixed?.lastError ?? "");
  } finally {
    await t.cleanup();
  }
});

test("a broken edit fails loudly with esbuild's file:line and never falls back to the old bundle", async () => {
  const t = await tempRepo({ "extensions/models/greeter.ts": GREETER_MODEL });
  try {
    const good = await entryOf(t.repo, "model", "greeter.ts");
    assert.equal(good?.state, "Indexed");
    const oldBundle = good?.bundlePath ?? "";
    await writeFile(join(t.repo, "extensions/models/greeter.ts"), GREETER_MODEL.replace('version: "2026.01.01.1",', 'version: "2026.01.01.1" oops,'));
    const { registry, outcome } = await extensionRegistry(t.repo, testEnv());
    const broken = outcome.catalogs.find((c) => c.kind === "model")?.entries[0];
    assert.equal(broken?.state, "BundleBuildFailed");
    assert.equal(broken?.bundlePath, null);
    assert.match(broken?.lastError ?? "", /greeter\.ts:\d+:\d+: Expected/);
    assert.equal(existsSync(oldBundle), false, "the stale bundle is gone");
    assert.match(outcome.warnings.join("\n"), /extensions\/models\/greeter\.ts failed to build: .*greeter\.ts:\d+:\d+/);
    await assert.rejects(registry.load("model", "@test/greeter"), { code: "extension_build_failed", message: /greeter\.ts:\d+:\d+: Expected/ });

    // Unchanged broken source: still broken on the next command (no rebuild loop, no fallback).
    const still = await entryOf(t.repo, "model", "greeter.ts");
    assert.equal(still?.state, "BundleBuildFailed");
    assert.equal(still?.updatedAt, broken?.updatedAt);

    await writeFile(join(t.repo, "extensions/models/greeter.ts"), GREETER_MODEL);
    const fixed = await entryOf(t.repo, "model", "greeter.ts");
    assert.equal(fixed?.state, "Indexed");
  } finally {
    await t.cleanup();
  }
});

test("an invalid export is ValidationFailed with the field named", async () => {
  const t = await tempRepo({ "extensions/models/bad.ts": GREETER_MODEL.replace('version: "2026.01.01.1"', 'version: "1.0"') });
  try {
    const e = await entryOf(t.repo, "model", "bad.ts");
    assert.equal(e?.state, "ValidationFailed");
    assert.match(e?.lastError ?? "", /version: "1\.0" is not valid\. Use CalVer format: YYYY\.MM\.DD\.MICRO/);
  } finally {
    await t.cleanup();
  }
});

test("listing and describing types never loads extension code", async () => {
  const t = await tempRepo({});
  const marker = join(t.dir, "loaded.txt");
  try {
    await writeSource(t.repo, "extensions/models/marked.ts", markerModel(marker));
    await catalog(t.repo);
    assert.equal(await readFile(marker, "utf8"), "loaded\n", "a new bundle is loaded once, to describe it");
    await rm(marker);

    const { registry } = await extensionRegistry(t.repo, testEnv());
    assert.deepEqual(registry.list("model").map((e) => e.type), ["@test/marked", "command/shell"]);
    const plugin = await registry.load("model", "@test/marked");
    assert.deepEqual(describeModelType(plugin).methods.map((m) => m.name), ["noop"]);
    assert.equal(existsSync(marker), false, "listing, loading the type and describing it ran no extension code");

    await plugin.methods.noop?.execute({}, recordingContext("noop").context);
    assert.equal(existsSync(marker), true, "running a method does load it");
  } finally {
    await t.cleanup();
  }
});

test("imports: zod subpaths and the sdk under its earlier name swamp-sdk come from the host, installed packages are bundled, a jsr: package other than @std is a build error", async () => {
  const t = await tempRepo({
    "extensions/models/imports.ts": IMPORTS_MODEL,
    "extensions/models/jsr.ts": GREETER_MODEL.replace('import { z } from "npm:zod@4";', 'import { z } from "npm:zod@4";\nimport { equal } from "jsr:@std/assert@1";\nconsole.log(equal);'),
    "extensions/models/cel.ts": GREETER_MODEL.replace('"@test/greeter"', '"@test/cel-greeter"').replace(
      'import { z } from "npm:zod@4";',
      'import { z } from "npm:zod@4";\nexport const evaluate = (ctx: { createCelEnvironment(): unknown }) => ctx.createCelEnvironment();',
    ),
  });
  try {
    const { registry, outcome } = await extensionRegistry(t.repo, testEnv());
    const entries = outcome.catalogs.find((c) => c.kind === "model")?.entries ?? [];
    const imports = entries.find((e) => e.source.endsWith("imports.ts"));
    assert.equal(imports?.state, "Indexed", imports?.lastError ?? "");
    assert.deepEqual(imports?.hostModules, ["@swamp-ts/sdk", "zod/v4", "zod/v4/core"]);
    assert.equal(imports?.mayUseCel, false, "a bundle that never names createCelEnvironment is recorded as such");
    const cel = entries.find((e) => e.source.endsWith("cel.ts"));
    assert.equal(cel?.state, "Indexed", cel?.lastError ?? "");
    assert.equal(cel?.mayUseCel, true);
    const bundle = await readFile(imports?.bundlePath ?? "", "utf8");
    assert.ok(!bundle.includes("class ZodError"), "zod is not inlined");
    assert.doesNotMatch(bundle, /"ZodBoolean"/, "host-module exports the extension never uses are left out of its bundle");
    const jsr = entries.find((e) => e.source.endsWith("jsr.ts"));
    assert.equal(jsr?.state, "BundleBuildFailed");
    assert.match(jsr?.lastError ?? "", /jsr\.ts:\d+:\d+: "jsr:@std\/assert@1": swamp provides only jsr:@std\/path and jsr:@std\/fs/);

    const plugin = await registry.load("model", "@test/imports");
    const rec = recordingContext("run");
    await plugin.methods.run?.execute({ text: "a: [1, 2]" }, rec.context);
    assert.deepEqual(rec.resources.get("out"), { parsed: { a: [1, 2] }, code: "lock_timeout", sdkCode: "lock_timeout", sharedZod: true });
  } finally {
    await t.cleanup();
  }
});

test("two sources declaring one type: the first registers, the duplicate is a loader error naming both files", async () => {
  const t = await tempRepo({
    "extensions/models/a.ts": GREETER_MODEL,
    "extensions/models/b.ts": GREETER_MODEL,
    "extensions/models/shell.ts": GREETER_MODEL.replace('"@test/greeter"', '"command/shell"'),
  });
  try {
    const { registry, outcome } = await extensionRegistry(t.repo, testEnv());
    assert.equal(registry.get("model", "@test/greeter")?.source, join(t.repo, "extensions/models/a.ts"));
    assert.equal(registry.get("model", "command/shell")?.origin, "builtin", "an extension cannot replace a builtin type");
    assert.match(outcome.loaderErrors.model ?? "", /b\.ts: model type "@test\/greeter" from .*b\.ts is already registered by .*a\.ts/);
    assert.match(outcome.loaderErrors.model ?? "", /shell\.ts: .*"command\/shell".* already registered by builtin/);
  } finally {
    await t.cleanup();
  }
});
