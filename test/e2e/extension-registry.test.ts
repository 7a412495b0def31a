/**
 * `swamp extension push | search | info` through the real CLI against a real npm-protocol
 * registry (Verdaccio on loopback, one per file): publishing, finding, refusals (reserved
 * collective, existing version, bad manifests), a registry that is down, and the token from
 * .npmrc being used and never printed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseJson, swamp, type RunResult } from "../helpers/cli.js";
import { startVerdaccio, type Verdaccio } from "../helpers/verdaccio.js";
import { RegistryClient } from "../../plugins/registry/client.js";
import { resolveRegistry } from "../../plugins/registry/config.js";
import { readManifest } from "../../plugins/registry/manifest.js";
import { packExtension, publishDocument } from "../../plugins/registry/pack.js";

let registry: Verdaccio;
let token: string;
let work: string;

before(async () => {
  registry = await startVerdaccio();
  token = await registry.addUser("alice");
  work = await mkdtemp(join(tmpdir(), "swamp-ext-registry-"));
});

after(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Author {
  dir: string;
  home: string;
  run(args: string[], env?: Record<string, string | undefined>): Promise<RunResult>;
}

let authors = 0;

/** An author's directory: a model with a local import, a README, a manifest; the token in the user's .npmrc. */
async function author(manifest: string, files: Record<string, string> = {}, npmrc?: string): Promise<Author> {
  const root = join(work, `author-${++authors}`);
  const dir = join(root, "repo");
  const home = join(root, "home");
  const all: Record<string, string> = {
    "extensions/models/echo.ts": 'import { shout } from "./lib/shout.ts";\nexport const model = { type: "@acme/echo", shout };\n',
    "extensions/models/lib/shout.ts": "export const shout = (s: string) => s.toUpperCase();\n",
    "README.md": "# echo\n",
    "manifest.yaml": manifest,
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  await mkdir(home, { recursive: true });
  const host = new URL(registry.url).host;
  await writeFile(join(home, ".npmrc"), npmrc ?? `//${host}/:_authToken=${token}\n`);
  return {
    dir,
    home,
    run: (args, env = {}) =>
      swamp(args, {
        cwd: dir,
        env: {
          HOME: home,
          npm_config_userconfig: join(home, ".npmrc"),
          npm_config_registry: undefined,
          NPM_CONFIG_REGISTRY: undefined,
          NPM_TOKEN: undefined,
          SWAMP_EXTENSION_REGISTRY: registry.url,
          ...env,
        },
      }),
  };
}

function manifest(name: string, version: string, extra = ""): string {
  return [
    "manifestVersion: 1",
    `name: "${name}"`,
    `version: "${version}"`,
    "description: Echo things back, louder",
    "repository: https://example.com/echo",
    "models: [echo.ts]",
    "additionalFiles: [README.md]",
    "labels: [echo, demo]",
    extra,
  ].join("\n");
}

async function packument(npmName: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${registry.url}@${encodeURIComponent(npmName.slice(1))}`);
  return { status: res.status, body: res.status === 200 ? await res.json() : null };
}

/** One line on stderr in text mode; returns the stable code from the same run under --json. */
async function refusal(a: Author, args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const text = await a.run(args, env);
  assert.equal(text.code, 1, text.stderr);
  assert.equal(text.stderr.trim().split("\n").length, 1, `one line expected, got: ${text.stderr}`);
  assert.match(text.stderr, /^Error: /);
  assert.doesNotMatch(text.stderr, /\n\s+at /);
  const json = await a.run([...args, "--json"], env);
  assert.equal(json.code, 1, json.stderr);
  return parseJson(json.stderr).error.code;
}

test("push publishes an extension that search and info then find, with verified integrity", async () => {
  const a = await author(manifest("@acme/echo/loud", "2026.08.12.1"));
  const pushed = await a.run(["extension", "push", "manifest.yaml", "--json"]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const out = parseJson(pushed.stdout);
  assert.equal(out.status, "published");
  assert.equal(out.package, "@acme/echo.loud@2026.812.1");
  assert.deepEqual(
    out.files.map((f: { path: string }) => f.path),
    ["files/README.md", "manifest.yaml", "models/echo.ts", "models/lib/shout.ts", "package.json"],
  );

  const { body } = await packument("@acme/echo.loud");
  const version = body.versions["2026.812.1"];
  assert.equal(version.swamp.name, "@acme/echo/loud");
  assert.equal(version.swamp.version, "2026.08.12.1");
  assert.equal(version.scripts, undefined);
  assert.ok(version.keywords.includes("swamp-extension"));
  const tarball = Buffer.from(await (await fetch(version.dist.tarball)).arrayBuffer());
  assert.equal(version.dist.integrity, `sha512-${createHash("sha512").update(tarball).digest("base64")}`);
  assert.equal(version.dist.integrity, out.integrity);
  const tar = gunzipSync(tarball).toString("latin1");
  assert.ok(tar.includes("package/models/lib/shout.ts") && tar.includes("package/package.json"));

  const search = await a.run(["extension", "search", "echo", "--json"]);
  assert.equal(search.code, 0, search.stderr);
  const hit = parseJson(search.stdout).extensions.find((e: { name: string }) => e.name === "@acme/echo/loud");
  assert.ok(hit, search.stdout);
  assert.equal(hit.latestVersion, "2026.08.12.1");
  assert.deepEqual(hit.labels, ["echo", "demo"]);
  assert.deepEqual(hit.contentTypes, ["models"]);
  const listed = await a.run(["extension", "search", "--json"]);
  assert.ok(parseJson(listed.stdout).extensions.some((e: { name: string }) => e.name === "@acme/echo/loud"), listed.stdout);

  const info = await a.run(["extension", "info", "@acme/echo/loud", "--json"]);
  assert.equal(info.code, 0, info.stderr);
  const described = parseJson(info.stdout);
  assert.equal(described.latestVersion, "2026.08.12.1");
  assert.equal(described.repository, "https://example.com/echo");
  assert.equal(described.integrity, out.integrity);
  assert.deepEqual(described.kinds, { models: ["echo.ts"] });
  const text = await a.run(["extension", "info", "@acme/echo/loud"]);
  assert.match(text.stdout, /Latest\s+2026\.08\.12\.1/);

  assert.equal(await refusal(a, ["extension", "info", "@acme/missing"]), "extension_not_found");
});

test("push --dry-run prints name, version, files and size and publishes nothing", async () => {
  const a = await author(manifest("@acme/dry", "2026.01.31.7"));
  const text = await a.run(["extension", "push", "manifest.yaml", "--dry-run"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /@acme\/dry@2026\.01\.31\.7/);
  assert.match(text.stdout, /models\/lib\/shout\.ts/);
  assert.match(text.stdout, /archive \d+(\.\d)?K?B/);
  const json = parseJson((await a.run(["extension", "push", "manifest.yaml", "--dry-run", "--json"])).stdout);
  assert.equal(json.status, "dry_run");
  assert.equal(json.package, "@acme/dry@2026.131.7");
  assert.ok(json.archiveSize > 0);
  assert.equal((await packument("@acme/dry")).status, 404);

  // paths.base: manifest reads code entries next to the manifest instead of the typed dirs.
  const local = await author(manifest("@acme/local", "2026.01.31.1", "paths: { base: manifest }"), {
    "echo.ts": 'import "./util/x.ts";\nimport { y } from "./util/y.js";\nexport const model = { y };\n',
    "util/y.ts": "export const y = 1;\n",
    "util/x.ts": "export {};\n",
  });
  const files = parseJson((await local.run(["extension", "push", "manifest.yaml", "--dry-run", "--json"])).stdout).files;
  assert.deepEqual(files.map((f: { path: string }) => f.path), ["files/README.md", "manifest.yaml", "models/echo.ts", "models/util/x.ts", "models/util/y.ts", "package.json"]);
  const strict = await author(manifest("@acme/strict", "2026.01.31.1", "paths: { base: manifest, extra: 1 }"));
  assert.equal(await refusal(strict, ["extension", "push", "manifest.yaml", "--dry-run"]), "manifest_invalid");
});

test("push refuses the reserved collectives and a version that already exists", async () => {
  for (const name of ["@swamp/echo", "@si/echo"]) {
    const a = await author(manifest(name, "2026.08.12.1"));
    assert.equal(await refusal(a, ["extension", "push", "manifest.yaml", "-y"]), "reserved_collective");
    assert.equal((await packument(name)).status, 404);
  }
  const a = await author(manifest("@acme/twice", "2026.08.12.1"));
  assert.equal((await a.run(["extension", "push", "manifest.yaml", "-y"])).code, 0);
  assert.equal(await refusal(a, ["extension", "push", "manifest.yaml", "-y"]), "extension_version_exists");
  const { body } = await packument("@acme/twice");
  assert.deepEqual(Object.keys(body.versions), ["2026.812.1"]);
});

test("bad manifests give one clear line with a stable code and publish nothing", async () => {
  const cases: Array<[string, string, Record<string, string>, string]> = [
    ["@acme/bad-version", manifest("@acme/bad-version", "2026.02.30.1"), {}, "manifest_invalid"],
    ["@acme/bad-yaml", "manifestVersion: 1\nname: [unclosed\n", {}, "manifest_invalid"],
    ["@acme/missing-file", manifest("@acme/missing-file", "2026.08.12.1", "binaries: [tool.sh]"), {}, "manifest_file_missing"],
    ["@acme/escape", manifest("@acme/escape", "2026.08.12.1", "workflows: [../outside.yaml]"), {}, "manifest_invalid"],
    [
      "@acme/escape-import",
      manifest("@acme/escape-import", "2026.08.12.1"),
      { "extensions/models/echo.ts": 'import { x } from "../../../secret.ts";\nexport const model = { x };\n' },
      "manifest_path_unsafe",
    ],
    ["@acme/evil", manifest("@acme/evil", "2026.08.12.1"), { "extensions/models/lib/shout.ts": "export const shout = eval(\"1\");\n" }, "extension_unsafe"],
    ["@acme/huge", manifest("@acme/huge", "2026.08.12.1"), { "README.md": "x".repeat(1_000_001) }, "input_too_large"],
    ["@acme/skilled", manifest("@acme/skilled", "2026.08.12.1", "skills: [my-skill]"), { ".claude/skills/my-skill/SKILL.md": "# skill\n" }, "manifest_invalid"],
  ];
  for (const [name, text, files, code] of cases) {
    const a = await author(text, files);
    assert.equal(await refusal(a, ["extension", "push", "manifest.yaml", "-y"]), code, name);
    assert.equal((await packument(name)).status, 404, name);
  }
  const link = await author(manifest("@acme/link", "2026.08.12.1", "binaries: [tool]"));
  await symlink("/etc/passwd", join(link.dir, "tool"));
  assert.equal(await refusal(link, ["extension", "push", "manifest.yaml", "-y"]), "manifest_path_unsafe");
  const missing = await author(manifest("@acme/x", "2026.08.12.1"));
  assert.equal(await refusal(missing, ["extension", "push", "nope.yaml", "-y"]), "manifest_not_found");
});

test("a registry that is down gives one clear line", async () => {
  const a = await author(manifest("@acme/down", "2026.08.12.1"));
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const down = { SWAMP_EXTENSION_REGISTRY: `http://127.0.0.1:${port}/` };
  assert.equal(await refusal(a, ["extension", "push", "manifest.yaml", "-y"], down), "registry_unreachable");
  assert.equal(await refusal(a, ["extension", "search", "echo"], down), "registry_unreachable");
  const text = await a.run(["extension", "info", "@acme/down"], down);
  assert.match(text.stderr, new RegExp(`^Error: Could not reach the extension registry at http://127\\.0\\.0\\.1:${port}/: connection refused\n$`));
});

test("the token comes from .npmrc (scoped registry, ${ENV} expansion) or NPM_TOKEN and is never printed", async () => {
  const host = new URL(registry.url).host;
  // No token: the registry refuses the publish, and the error says how to configure one.
  const anonymous = await author(manifest("@acme/anon", "2026.08.12.1"), {}, "");
  assert.equal(await refusal(anonymous, ["extension", "push", "manifest.yaml", "-y"]), "registry_auth_failed");
  assert.equal((await packument("@acme/anon")).status, 404);

  // A wrong token is refused and not echoed.
  const wrong = "not-a-real-token-123456";
  const bad = await author(manifest("@acme/wrong", "2026.08.12.1"), {}, `//${host}/:_authToken=${wrong}\n`);
  const refused = await bad.run(["extension", "push", "manifest.yaml", "-y", "--json"]);
  assert.equal(parseJson(refused.stderr).error.code, "registry_auth_failed");
  assert.ok(!refused.stderr.includes(wrong) && !refused.stdout.includes(wrong));

  // The project's .npmrc routes @acme to the registry and expands the token from the environment.
  const scoped = await author(manifest("@acme/scoped", "2026.08.12.1"), {}, "");
  await writeFile(join(scoped.dir, ".npmrc"), `@acme:registry=${registry.url}\n//${host}/:_authToken=\${ACME_TOKEN}\n`);
  const pushed = await scoped.run(["extension", "push", "manifest.yaml", "-y", "--json", "--verbose"], {
    SWAMP_EXTENSION_REGISTRY: undefined,
    ACME_TOKEN: token,
  });
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal(parseJson(pushed.stdout).registry, registry.url);
  assert.ok(!pushed.stdout.includes(token) && !pushed.stderr.includes(token));
  assert.equal((await packument("@acme/scoped")).status, 200);

  // NPM_TOKEN when no .npmrc line matches.
  const env = await author(manifest("@acme/envtoken", "2026.08.12.1"), {}, "");
  const viaEnv = await env.run(["extension", "push", "manifest.yaml", "-y"], { NPM_TOKEN: token });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.ok(!viaEnv.stdout.includes(token) && !viaEnv.stderr.includes(token));
});

test("the client verifies tarballs against dist.integrity and maps a republish to extension_version_exists", async () => {
  const a = await author(manifest("@acme/tamper", "2026.03.04.5"));
  assert.equal((await a.run(["extension", "push", "manifest.yaml", "-y"])).code, 0);
  const target = await resolveRegistry({ env: { HOME: a.home, npm_config_userconfig: join(a.home, ".npmrc"), SWAMP_EXTENSION_REGISTRY: registry.url } });
  const client = new RegistryClient(target);
  const doc = await client.packument("@acme/tamper", { abbreviated: true });
  const dist = doc!.versions["2026.304.5"]!.dist;
  const bytes = await client.tarball(dist.tarball, dist.integrity, "@acme/tamper@2026.03.04.5");
  assert.ok(bytes.length > 0);
  await assert.rejects(client.tarball(dist.tarball, undefined, "x"), { code: "integrity_mismatch" });

  // The registry's copy changes under the same integrity: the download is refused.
  const dir = join(registry.storage, "@acme", "tamper");
  const file = (await readdir(dir)).find((f) => f.endsWith(".tgz"))!;
  await writeFile(join(dir, file), Buffer.concat([bytes, Buffer.from("tampered")]));
  await assert.rejects(client.tarball(dist.tarball, dist.integrity, "@acme/tamper@2026.03.04.5"), { code: "integrity_mismatch" });

  // Publishing over an existing version (skipping push's own check): the registry's refusal maps to the same code.
  const path = join(a.dir, "manifest.yaml");
  const m = await readManifest(path);
  const packed = await packExtension(m, path, []);
  await assert.rejects(client.publish(packed.npmName, packed.npmVersion, publishDocument(packed, target.url)), { code: "extension_version_exists" });
  assert.equal(await client.packument("@acme/never-published"), null);
});

test("search filters by collective, label, content type and platform, sorts and pages; push takes --release-notes and --version-suffix epoch", async () => {
  const alpha = await author(manifest("@filt/alpha", "2026.01.01.1").replace("labels: [echo, demo]", "labels: [storage]\nplatforms: [linux-x86_64]"));
  assert.equal((await alpha.run(["extension", "push", "manifest.yaml", "-y", "--release-notes", "Fixed the echo", "--json"])).code, 0);
  const beta = await author(
    manifest("@filt/beta", "2026.02.01.1").replace("models: [echo.ts]", "vaults: [mem.ts]").replace("labels: [echo, demo]", "labels: [secrets]"),
    { "extensions/vaults/mem.ts": 'export const vault = { type: "@filt/beta" };\n' },
  );
  assert.equal((await beta.run(["extension", "push", "manifest.yaml", "-y"])).code, 0);
  const gamma = await author(manifest("@other/gamma", "2026.01.01.1").replace("labels: [echo, demo]", "labels: [storage]"));
  assert.equal((await gamma.run(["extension", "push", "manifest.yaml", "-y"])).code, 0);

  const names = async (...args: string[]) => {
    const r = await alpha.run(["extension", "search", ...args, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    return parseJson(r.stdout);
  };
  assert.deepEqual((await names("--collective", "filt", "--sort", "name")).extensions.map((e: any) => e.name), ["@filt/alpha", "@filt/beta"]);
  assert.deepEqual((await names("--collective", "filt", "--sort", "new")).extensions.map((e: any) => e.name), ["@filt/beta", "@filt/alpha"]);
  const storage = (await names("--label", "storage", "--sort", "name")).extensions;
  assert.deepEqual(storage.map((e: any) => e.name), ["@filt/alpha", "@other/gamma"]);
  assert.deepEqual(storage[0].platforms, ["linux-x86_64"]);
  assert.deepEqual((await names("--content-type", "vaults")).extensions.map((e: any) => e.name), ["@filt/beta"]);
  assert.deepEqual((await names("--platform", "linux-x86_64")).extensions.map((e: any) => e.name), ["@filt/alpha"]);
  const page = await names("--collective", "filt", "--sort", "name", "--per-page", "1", "--page", "2");
  assert.deepEqual(page.extensions.map((e: any) => e.name), ["@filt/beta"]);
  assert.deepEqual(page.meta, { total: 2, page: 2, perPage: 1 });
  const bad = await alpha.run(["extension", "search", "--content-type", "skills", "--json"]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(parseJson(bad.stderr).error.message, /models, workflows, vaults, datastores, drivers, reports/);
  const relevance = await alpha.run(["extension", "search", "--sort", "relevance"]);
  assert.equal(relevance.code, 2);
  assert.match(relevance.stderr, /^Error: Sort by "relevance" requires a search query/);

  const { body } = await packument("@filt/alpha");
  assert.equal(body.versions["2026.101.1"].swamp.releaseNotes, "Fixed the echo");
  assert.equal(parseJson((await alpha.run(["extension", "info", "@filt/alpha", "--json"])).stdout).releaseNotes, "Fixed the echo");

  const epoch = await alpha.run(["extension", "push", "manifest.yaml", "--dry-run", "--version-suffix", "epoch", "--json"]);
  assert.equal(epoch.code, 0, epoch.stderr);
  const micro = Number(parseJson(epoch.stdout).version.split(".")[3]);
  assert.ok(Math.abs(micro - Date.now() / 1000) < 600, `MICRO is the epoch: ${micro}`);
  const suffix = await alpha.run(["extension", "push", "manifest.yaml", "--dry-run", "--version-suffix", "later", "--json"]);
  assert.equal(suffix.code, 2, suffix.stderr);
  assert.match(parseJson(suffix.stderr).error.message, /--version-suffix must be "epoch"/);
});
