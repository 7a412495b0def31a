/**
 * `swamp extension new <kind> <@collective/name>`: every kind scaffolded into one repo loads
 * cleanly, the model runs through the real CLI, each scaffolded conformance test passes, and
 * `swamp doctor extensions --typecheck` accepts the scaffolds and names a type error.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { LEGACY_SDK_SPECIFIER, SDK_SPECIFIER } from "../../plugins/worker/protocol.js";
import { parseJson, swamp } from "../helpers/cli.js";

const KINDS = ["model", "datastore", "vault", "driver", "report"] as const;
const SDK_TESTING = fileURLToPath(new URL("../../sdk/testing/index.js", import.meta.url));

let dir = "";
let repo = "";
const cli = (...args: string[]) => swamp([...args, "--repo-dir", repo]);
const written: Record<string, { source: string; test: string }> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "swamp-ext-new-"));
  repo = join(dir, "repo");
  assert.equal((await swamp(["repo", "init", repo, "--json"])).code, 0);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs a scaffolded `_test.ts` the way a TypeScript test runner would (`tsx --test`): compiled
 * by esbuild with the sdk's testing entry served from this build, then `node --test` from the
 * repository root.
 */
async function runScaffoldedTests(tests: string[]): Promise<{ status: number | null; output: string }> {
  const outdir = join(dir, "compiled-tests");
  const sdk = new RegExp(`^(?:${SDK_SPECIFIER}|${LEGACY_SDK_SPECIFIER})/testing$`);
  await build({
    entryPoints: Object.fromEntries(tests.map((t, i) => [`t${i}`, join(repo, t)])),
    outdir,
    outExtension: { ".js": ".test.mjs" },
    bundle: true,
    format: "esm",
    platform: "node",
    logLevel: "silent",
    plugins: [{ name: "sdk", setup: (b) => b.onResolve({ filter: sdk }, () => ({ path: SDK_TESTING, external: true })) }],
  });
  const files = tests.map((_, i) => join(outdir, `t${i}.test.mjs`));
  // A child of a test file that is a test run of its own (node:test otherwise skips it).
  const env = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  const r = spawnSync(process.execPath, ["--test", "--test-concurrency=5", "--test-reporter=spec", ...files], { cwd: repo, env, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test("extension new writes each kind where swamp finds it; all load, the model runs, the conformance tests pass", async () => {
  for (const kind of KINDS) {
    const r = await cli("extension", "new", kind, `@acme/my-${kind}`, "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = parseJson(r.stdout);
    assert.deepEqual(out, { kind, name: `@acme/my-${kind}`, source: `extensions/${kind}s/my-${kind}.ts`, test: `extensions/${kind}s/my-${kind}_test.ts` });
    written[kind] = out;
  }

  // Never overwrites; names follow the extension name rules.
  const before = await readFile(join(repo, written.model!.source), "utf8");
  const again = await cli("extension", "new", "model", "@acme/my-model", "--json");
  assert.equal(again.code, 1);
  assert.equal(parseJson(again.stderr).error.code, "already_exists");
  assert.equal(await readFile(join(repo, written.model!.source), "utf8"), before);
  for (const [kind, name] of [["model", "greeter"], ["datastore", "@acme/a/b"]]) {
    const bad = await cli("extension", "new", kind!, name!, "--json");
    assert.equal(bad.code, 1, `${kind} ${name}: ${bad.stdout}`);
    assert.equal(parseJson(bad.stderr).error.code, "extension_name_invalid");
  }
  const unknownKind = await cli("extension", "new", "widget", "@acme/x", "--json");
  assert.equal(unknownKind.code, 2);
  assert.match(parseJson(unknownKind.stderr).error.message, /use one of datastore, model, vault, driver, report/);

  const doctor = await cli("doctor", "extensions", "--json");
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  const report = parseJson(doctor.stdout);
  assert.equal(report.overallStatus, "pass");
  assert.deepEqual(report.sources.map((s: { kind: string; state: string }) => `${s.kind}:${s.state}`).sort(), KINDS.map((k) => `${k}:Indexed`).sort());

  assert.equal((await cli("model", "create", "@acme/my-model", "greeter", "--json")).code, 0);
  const ran = await cli("model", "method", "run", "greeter", "greet", "--input", "name=ada", "--driver", "@acme/my-driver", "--json");
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(parseJson(ran.stdout).dataArtifacts[0].attributes, { name: "ada", text: "Hello, ada!" });

  const tests = await runScaffoldedTests(KINDS.map((k) => written[k]!.test));
  assert.equal(tests.status, 0, tests.output);
  for (const kind of KINDS) assert.match(tests.output, new RegExp(`✔ @acme/my-${kind} passes the ${kind} conformance suite`));
});

test("doctor extensions --typecheck: the scaffolds pass; a type error fails naming file, line and column", async () => {
  assert.ok(written.model, "runs after the scaffolding test");
  const clean = await cli("doctor", "extensions", "--typecheck", "--json");
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  const tc = parseJson(clean.stdout).typecheck;
  assert.deepEqual({ ...tc, typescript: tc.typescript.from }, { typescript: "swamp", files: 10, errors: [], hints: [] });

  // The repository's own TypeScript is preferred; a wrong property and a Deno call that does not exist are caught.
  const ours = dirname(createRequire(import.meta.url).resolve("typescript/package.json"));
  await mkdir(join(repo, "node_modules"), { recursive: true });
  await symlink(ours, join(repo, "node_modules", "typescript"), "dir");
  const file = join(repo, written.model!.source);
  const source = await readFile(file, "utf8");
  const broken = source.replace("args.name}!`;", "args.nmae}!` + Deno.env.get(42);");
  assert.notEqual(broken, source);
  await writeFile(file, broken);
  const line = broken.split("\n").findIndex((l) => l.includes("args.nmae")) + 1;
  // An npm: import is typed from the package installed in the repository.
  const pkg = join(repo, "node_modules", "pad-kit");
  await mkdir(pkg);
  await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "pad-kit", version: "1.0.0", types: "index.d.ts" }));
  await writeFile(join(pkg, "index.d.ts"), "export declare function pad(text: string, width: number): string;\n");
  await mkdir(join(repo, "extensions", "models", "_lib"));
  await writeFile(join(repo, "extensions", "models", "_lib", "pad.ts"), 'import { pad } from "npm:pad-kit@1.0.0";\nexport const padded: string = pad(1, 2);\n');
  const failed = await cli("doctor", "extensions", "--typecheck");
  assert.equal(failed.code, 1, failed.stdout);
  assert.match(failed.stdout, /Type check \(TypeScript [\d.]+, the repository's\): 11 file\(s\), 3 error\(s\)/);
  assert.match(failed.stdout, new RegExp(`^extensions/models/my-model\\.ts:${line}:\\d+ Property 'nmae' does not exist`, "m"));
  assert.match(failed.stdout, new RegExp(`^extensions/models/my-model\\.ts:${line}:\\d+ Argument of type 'number'`, "m"));
  assert.match(failed.stdout, /^extensions\/models\/_lib\/pad\.ts:2:35 Argument of type 'number' is not assignable to parameter of type 'string'/m);
});
