/**
 * What a user gets from npm: `npm pack` of the CLI and the sdk, `npm i -g` of both tarballs into
 * a fresh prefix under a fresh HOME (packages come from the machine's npm cache), then the quick
 * start with the installed `swamp`, an extension importing the sdk by either name, and S3
 * commands once the optional AWS SDK is gone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnv, parseJson, withTempDir, type RunResult } from "../helpers/cli.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function run(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

interface Packed {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string }>;
}

/** Every bare module specifier the bundled bin loads at run time (node built-ins aside). */
function externalsOfBin(): Set<string> {
  const dir = join(ROOT, "dist", "bin");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.[cm]?js$/.test(f));
  const found = new Set<string>();
  const pattern = /(?:\bfrom ?|\bimport\(|\brequire\(|import\.meta\.url\)\()"((?:@[\w.-]+\/)?\w[\w.-]*)(?:\/[^"]*)?"/g;
  for (const f of files) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(pattern)) {
      const spec = m[1]!;
      if (!spec.startsWith("node:") && !BUILTINS.has(spec)) found.add(spec);
    }
  }
  return found;
}
const BUILTINS = new Set(["assert", "async_hooks", "buffer", "child_process", "crypto", "events", "fs", "module", "os", "path", "process", "stream", "tty", "url", "util", "worker_threads", "zlib"]);

test("npm pack + npm i -g from a fresh HOME: only what runs is shipped, and the quick start, extensions and the S3 hint work", async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.equal(pkg.name, "@swamp-ts/cli");
  assert.deepEqual(Object.keys(pkg.bin), ["swamp"]);
  assert.equal(pkg.scripts.prepare, undefined, "nothing asks users to run a build at install time");
  assert.ok(pkg.scripts.prepack && pkg.scripts.dependencies, "npm pack builds; npm ci in a clone builds");
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
  for (const spec of externalsOfBin()) assert.ok(declared.has(spec), `${spec} is loaded at run time, so it must be a dependency`);
  for (const bundled of ["yaml", "clipanion", "typanion", "tar", "fast-glob"]) {
    assert.ok(!declared.has(bundled), `${bundled} is bundled into dist/bin: a devDependency, not a dependency`);
  }
  assert.ok(pkg.optionalDependencies?.["@aws-sdk/client-s3"], "the AWS SDK is optional");

  await withTempDir(async (tmp) => {
    const home = join(tmp, "home");
    const prefix = join(tmp, "prefix");
    const packs = join(tmp, "packs");
    await Promise.all([mkdir(home), mkdir(packs)]);
    const npmEnv = {
      HOME: home,
      // The machine's cache: installs need no network for what `npm ci` already fetched.
      npm_config_cache: process.env.npm_config_cache ?? join(homedir(), ".npm"),
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
    };

    const [cliPack, sdkPack] = await Promise.all([
      run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packs], ROOT, npmEnv),
      run("npm", ["pack", "-w", "sdk", "--json", "--pack-destination", packs], ROOT, npmEnv),
    ]);
    assert.equal(cliPack.code, 0, cliPack.stderr);
    assert.equal(sdkPack.code, 0, sdkPack.stderr);
    const [cli] = parseJson<Packed[]>(cliPack.stdout);
    const [sdk] = parseJson<Packed[]>(sdkPack.stdout.slice(sdkPack.stdout.indexOf("[")));
    assert.equal(cli?.name, "@swamp-ts/cli");
    assert.equal(sdk?.name, "@swamp-ts/sdk");

    const cliFiles = cli!.files.map((f) => f.path).sort();
    for (const must of ["LICENSE", "README.md", "package.json", "dist/bin/swamp.cjs", "dist/bin/esm-resolve.mjs", "dist/bin/extension-worker.cjs", "dist/bin/extension-sandbox.js", "dist/plugins/compat/std/path.js", "dist/plugins/compat/std/fs.js"]) {
      assert.ok(cliFiles.includes(must), `the CLI tarball holds ${must}`);
    }
    const stray = cliFiles.filter((f) => !/^(LICENSE|README\.md|package\.json|dist\/bin\/[\w/.-]+\.[cm]?js|dist\/plugins\/compat\/std\/(path|fs)\.js)$/.test(f));
    assert.deepEqual(stray, [], "the CLI tarball holds only what runs (no tests, benches, sources, maps or CI script)");

    const sdkFiles = sdk!.files.map((f) => f.path).sort();
    for (const must of ["LICENSE", "README.md", "package.json", "dist/sdk/index.js", "dist/sdk/index.d.ts", "dist/sdk/testing/index.js", "dist/sdk/testing/index.d.ts"]) {
      assert.ok(sdkFiles.includes(must), `the sdk tarball holds ${must}`);
    }
    const sdkStray = sdkFiles.filter((f) => !/^(LICENSE|README\.md|package\.json|docs\/[\w.-]+\.md|dist\/[\w/.-]+\.(js|d\.ts))$/.test(f));
    assert.deepEqual(sdkStray, [], "the sdk tarball holds only compiled code, declarations and docs");
    const sdkPkg = JSON.parse(readFileSync(join(ROOT, "sdk", "package.json"), "utf8"));
    for (const entry of Object.values<{ types: string; default: string }>(sdkPkg.exports)) {
      assert.ok(sdkFiles.includes(entry.types.replace(/^\.\//, "")), `${entry.types} is shipped`);
      assert.ok(sdkFiles.includes(entry.default.replace(/^\.\//, "")), `${entry.default} is shipped`);
    }

    // esbuild's own postinstall only checks its binary; our packages have no install scripts.
    const install = await run(
      "npm",
      ["i", "-g", "--prefix", prefix, "--prefer-offline", "--ignore-scripts", join(packs, cli!.filename), join(packs, sdk!.filename)],
      tmp,
      npmEnv,
    );
    assert.equal(install.code, 0, install.stderr);
    const bin = join(prefix, "bin", "swamp");
    const installed = join(prefix, "lib", "node_modules", "@swamp-ts", "cli");
    const env = { HOME: home };
    const swamp = (...args: string[]) => run(bin, args, tmp, env);

    const version = await swamp("--version");
    assert.equal(version.stdout.trim(), pkg.version, version.stderr);

    // The README's quick start.
    const repo = join(tmp, "demo");
    for (const args of [
      ["repo", "init", repo],
      ["model", "create", "command/shell", "hello-world", "--repo-dir", repo],
      ["model", "method", "run", "hello-world", "execute", "--input", 'run=echo "Hello from the swamp!"', "--repo-dir", repo],
    ]) {
      const r = await swamp(...args);
      assert.equal(r.code, 0, `swamp ${args.join(" ")}: ${r.stderr}`);
    }
    const list = await swamp("data", "list", "hello-world", "--repo-dir", repo, "--json");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /"result"/);

    // Extensions find swamp's own files from the installed bin, and the sdk under both names.
    await mkdir(join(repo, "extensions", "models"), { recursive: true });
    await writeFile(
      join(repo, "extensions", "models", "scoped.ts"),
      [
        'import { z } from "npm:zod@4";',
        'import { basename } from "jsr:@std/path@1";',
        'import { defineModel } from "@swamp-ts/sdk";',
        'import { SwampError } from "swamp-sdk";',
        "export const model = defineModel({",
        '  type: "@t/scoped", version: "2026.01.01.1",',
        '  resources: { out: { schema: z.object({ text: z.string() }), lifetime: "infinite", garbageCollection: 1 } },',
        "  methods: { go: { description: \"d\", arguments: z.object({}), execute: async (_a, ctx) => ({ dataHandles: [await ctx.writeResource(\"out\", \"out\", { text: basename(\"/a/b\") + typeof SwampError })] }) } },",
        "});",
      ].join("\n"),
    );
    const created = await swamp("model", "create", "@t/scoped", "s1", "--repo-dir", repo);
    assert.equal(created.code, 0, created.stderr);
    const ran = await swamp("model", "method", "run", "s1", "go", "--repo-dir", repo, "--json");
    assert.equal(ran.code, 0, ran.stderr);
    const got = await swamp("data", "get", "s1", "out", "--repo-dir", repo, "--json");
    assert.match(got.stdout, /bfunction/, got.stderr);

    // Without the optional AWS SDK, S3 commands say what to install; nothing else needs it.
    await rm(join(installed, "node_modules", "@aws-sdk", "client-s3"), { recursive: true, force: true });
    assert.equal(existsSync(join(installed, "node_modules", "@aws-sdk", "client-s3")), false);
    const setup = await swamp("datastore", "setup", "s3", "--bucket", "bucket", "--endpoint", "http://127.0.0.1:9", "--repo-dir", repo, "--json");
    assert.notEqual(setup.code, 0);
    assert.equal(parseJson(setup.stderr).error.code, "s3_sdk_missing");
    const text = await swamp("datastore", "setup", "s3", "--bucket", "bucket", "--repo-dir", repo);
    assert.equal(text.stderr.trim().split("\n").length, 1, text.stderr);
    assert.match(text.stderr, /npm i(nstall)? -g @aws-sdk\/client-s3/);
    const still = await swamp("data", "list", "hello-world", "--repo-dir", repo, "--json");
    assert.equal(still.code, 0, still.stderr);
    const s3Repo = join(tmp, "s3-repo");
    assert.equal((await swamp("repo", "init", s3Repo)).code, 0);
    const marker = readFileSync(join(s3Repo, ".swamp.yaml"), "utf8");
    await writeFile(join(s3Repo, ".swamp.yaml"), `${marker}datastore:\n  type: "@swamp/s3-datastore"\n  config:\n    bucket: bucket\n    endpoint: "http://127.0.0.1:9"\n`);
    const s3List = await swamp("model", "create", "command/shell", "hw", "--repo-dir", s3Repo, "--json");
    assert.notEqual(s3List.code, 0);
    assert.equal(parseJson(s3List.stderr).error.code, "s3_sdk_missing", s3List.stderr);
  });
});
