/**
 * `swamp extension pull | install | list | rm | update | outdated` through the real CLI against a
 * real npm-protocol registry (Verdaccio on loopback, one for the file). An author pushes a model
 * extension; users pull it into their own repos and run it; a copy of a repo without `.swamp`
 * is restored from the lockfile; tampered integrity, unsafe archives, missing extensions, a
 * registry that is down and untrusted dependencies are refused without leaving anything behind.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import { parseJson, SWAMP_BIN, swamp, type RunResult } from "../helpers/cli.js";
import { CTRL_C, ERASE_LINE, runInTerminal, type Cue } from "../helpers/pty.js";
import { startVerdaccio, type Verdaccio } from "../helpers/verdaccio.js";
import { ECHO_DRIVER, FS_STORE, FS_STORE_LIB, GREETER_ID, GREETER_MODEL, greeterDefinition, MEMORY_VAULT, SUMMARY_REPORT } from "../plugins/fixtures.js";
import { integrityOf, RegistryClient } from "../../plugins/registry/client.js";
import { resolveRegistry } from "../../plugins/registry/config.js";
import { publishDocument, type PackedExtension } from "../../plugins/registry/pack.js";

const DEFINITION = greeterDefinition();
const LOCKFILE = join("extensions", "models", "upstream_extensions.json");
const V1 = "2026.01.01.1";
const V2 = "2026.01.02.1";

let registry: Verdaccio;
let token: string;
let work: string;
let home: string;
let repos = 0;

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    HOME: home,
    npm_config_userconfig: join(home, ".npmrc"),
    npm_config_registry: undefined,
    NPM_CONFIG_REGISTRY: undefined,
    NPM_TOKEN: undefined,
    SWAMP_EXTENSION_REGISTRY: registry.url,
    ...extra,
  };
}

function run(repo: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<RunResult> {
  return swamp([...args, "--repo-dir", repo], { cwd: repo, env: env(extra) });
}

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
}

function manifest(name: string, version: string, extra: string[] = []): string {
  return ["manifestVersion: 1", `name: "${name}"`, `version: "${version}"`, "description: Greets people", "repository: https://example.com/greeter", "models: [greeter.ts]", "additionalFiles: [README.md]", ...extra, ""].join("\n");
}

/** Pushes `name@version` with the greeter model (and any `files`) from an author directory, through the CLI. */
async function push(name: string, version: string, readme: string, extra: string[] = [], files: Record<string, string> = {}): Promise<void> {
  const dir = join(work, `author-${++repos}`);
  await write(dir, { "extensions/models/greeter.ts": GREETER_MODEL, "README.md": readme, "manifest.yaml": manifest(name, version, extra), ...files });
  const r = await swamp(["extension", "push", "manifest.yaml", "-y", "--json"], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
}

/** A user's repo (`repo init`) with a definition of the greeter type. */
async function userRepo(): Promise<string> {
  const repo = join(work, `user-${++repos}`);
  const init = await swamp(["repo", "init", repo, "--json"], { env: env() });
  assert.equal(init.code, 0, init.stderr);
  await write(repo, { [`models/@test/greeter/${GREETER_ID}.yaml`]: DEFINITION });
  return repo;
}

async function lockfile(repo: string): Promise<any> {
  return JSON.parse(await readFile(join(repo, LOCKFILE), "utf8"));
}

async function pulledTree(repo: string): Promise<string[]> {
  const root = join(repo, ".swamp", "pulled-extensions");
  if (!existsSync(root)) return [];
  return (await readdir(root, { recursive: true })).map(String).sort();
}

/** One line on stderr in text mode; returns the stable code from the same run under --json. */
async function refusal(repo: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<string> {
  const text = await run(repo, args, extra);
  assert.equal(text.code, 1, text.stderr);
  assert.equal(text.stderr.trim().split("\n").length, 1, `one line expected, got: ${text.stderr}`);
  assert.match(text.stderr, /^Error: /);
  const json = await run(repo, [...args, "--json"], extra);
  assert.equal(json.code, 1, json.stderr);
  return parseJson(json.stderr).error.code;
}

/** A port that was free a moment ago: nothing listens there. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A ustar header block for one entry, with any name (including `..`). */
function tarHeader(name: string, size: number, type = "0"): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

function handMadeTarball(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text);
    parts.push(tarHeader(name, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** Publishes a hand-made tarball as `npmName@npmVersion` through the client, as npm publish would. */
async function publishRaw(npmName: string, npmVersion: string, tarball: Buffer): Promise<void> {
  const target = await resolveRegistry({ env: { ...env(), NPM_TOKEN: token } });
  const packed: PackedExtension = {
    name: npmName,
    version: npmVersion,
    npmName,
    npmVersion,
    packageJson: { name: npmName, version: npmVersion, description: "hand made", keywords: ["swamp-extension"] },
    tarball,
    integrity: integrityOf(tarball),
    shasum: createHash("sha1").update(tarball).digest("hex"),
    files: [],
    unpackedSize: 0,
  };
  await new RegistryClient(target).publish(npmName, npmVersion, publishDocument(packed, target.url));
}

before(async () => {
  registry = await startVerdaccio();
  token = await registry.addUser("alice");
  work = await mkdtemp(join(tmpdir(), "swamp-ext-pull-"));
  home = join(work, "home");
  await mkdir(home, { recursive: true });
  await writeFile(join(home, ".npmrc"), `//${new URL(registry.url).host}/:_authToken=${token}\n`);
  await push("@test/greeter", V1, "# greeter v1\n");
  await push("@test/greeter", V2, "# greeter v2\n");
});

after(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test("pull installs a pushed model extension whose model then runs; the lockfile pins version and integrity", async () => {
  const repo = await userRepo();
  assert.notEqual((await run(repo, ["model", "method", "run", "greeter", "greet", "--json"])).code, 0, "the type is unknown before the pull");

  const pulled = await run(repo, ["extension", "pull", `@test/greeter@${V1}`, "--json"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const out = parseJson(pulled.stdout);
  assert.equal(out.name, "@test/greeter");
  assert.equal(out.version, V1);
  assert.equal(out.integrityStatus, "verified");
  assert.deepEqual(out.files, [
    ".swamp/pulled-extensions/@test/greeter/files/README.md",
    ".swamp/pulled-extensions/@test/greeter/manifest.yaml",
    ".swamp/pulled-extensions/@test/greeter/models/greeter.ts",
    ".swamp/pulled-extensions/@test/greeter/package.json",
  ]);
  assert.equal(await readFile(join(repo, ".swamp/pulled-extensions/@test/greeter/files/README.md"), "utf8"), "# greeter v1\n");

  const pack = (await (await fetch(`${registry.url}@test%2fgreeter`)).json()) as any;
  const entry = (await lockfile(repo))["@test/greeter"];
  assert.equal(entry.version, V1);
  assert.equal(entry.integrity, pack.versions["2026.101.1"].dist.integrity);
  assert.equal(entry.integrity, out.integrity);
  assert.deepEqual(entry.files, out.files);

  const ran = await run(repo, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(parseJson(ran.stdout).status, "succeeded");

  const list = parseJson((await run(repo, ["extension", "ls", "--json"])).stdout);
  // The spec's shape: the lockfile's extensions; what the repo loads is under "catalog".
  assert.deepEqual(list.extensions, [{ name: "@test/greeter", version: V1, pulledAt: entry.pulledAt, files: out.files }]);
  const listText = await run(repo, ["extension", "ls"]);
  assert.match(listText.stdout, new RegExp(`^@test/greeter  v${V1.replace(/\./g, "\\.")}  \\(pulled ${entry.pulledAt}\\)$`, "m"));
  assert.ok(list.catalog.some((e: { type: string; source: string }) => e.type === "@test/greeter" && e.source.includes("pulled-extensions")));

  // Pulling again never overwrites silently: --json refuses, -f replaces.
  assert.equal(await refusal(repo, ["extension", "pull", "@test/greeter"]), "already_exists");
  assert.equal((await lockfile(repo))["@test/greeter"].version, V1, "refusal leaves the lockfile alone");
  const forced = await run(repo, ["extension", "pull", "@test/greeter", "-f", "--json"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(parseJson(forced.stdout).version, V2, "latest without a version");
  assert.equal(await readFile(join(repo, ".swamp/pulled-extensions/@test/greeter/files/README.md"), "utf8"), "# greeter v2\n");
});

test("a local extension of the same type wins over the pulled one", async () => {
  const repo = await userRepo();
  assert.equal((await run(repo, ["extension", "pull", "@test/greeter", "--json"])).code, 0);
  await write(repo, { "extensions/models/greeter.ts": GREETER_MODEL });
  const list = parseJson((await run(repo, ["extension", "list", "--json"])).stdout);
  const served = list.catalog.filter((e: { type: string; state: string }) => e.type === "@test/greeter" && e.state === "Indexed");
  assert.equal(served.length >= 1, true, JSON.stringify(list.catalog));
  assert.equal(served[0].source, join(repo, "extensions", "models", "greeter.ts"));
  const ran = await run(repo, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(ran.code, 0, ran.stderr);
});

test("a pulled extension's workflow is found, runs with run records keyed by its id, and is read-only", async () => {
  const flowId = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
  const flow = ["id: " + flowId, "name: greet-all", "description: Greets, shipped with the extension", "jobs:", "  - name: main", "    steps:", "      - name: hello", "        task: { type: model_method, modelIdOrName: greeter, methodName: greet }", ""].join("\n");
  await push("@test/greet-flows", V1, "# flows\n", ["workflows: [greet-all.yaml]"], { "workflows/greet-all.yaml": flow });
  const repo = await userRepo();
  const pulled = await run(repo, ["extension", "pull", "@test/greet-flows", "--json"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.ok(parseJson(pulled.stdout).files.includes(".swamp/pulled-extensions/@test/greet-flows/workflows/greet-all.yaml"));

  const search = await run(repo, ["workflow", "search", "--json"]);
  assert.equal(search.code, 0, search.stderr);
  assert.deepEqual(parseJson(search.stdout).results, [
    { id: flowId, name: "greet-all", description: "Greets, shipped with the extension", jobCount: 1, hasInputs: false, origin: { type: "pulled", extension: "@test/greet-flows" } },
  ]);
  const ran = await run(repo, ["workflow", "run", "greet-all", "--json"]);
  assert.equal(ran.code, 0, ran.stderr);
  const view = parseJson(ran.stdout);
  assert.equal(view.status, "succeeded");
  assert.match(view.path, new RegExp(`^\\.swamp/workflow-runs/${flowId}/workflow-run-`));

  const del = await run(repo, ["workflow", "delete", "greet-all", "--yes", "--json"]);
  assert.equal(del.code, 1);
  assert.equal(parseJson(del.stderr).error.code, "workflow_read_only");
  assert.ok(existsSync(join(repo, ".swamp/pulled-extensions/@test/greet-flows/workflows/greet-all.yaml")), "the file stays");
  // Removing the extension removes its workflow from the lookup.
  assert.equal((await run(repo, ["extension", "rm", "@test/greet-flows", "--json"])).code, 0);
  const gone = await run(repo, ["workflow", "get", "greet-all", "--json"]);
  assert.equal(gone.code, 1);
  assert.equal(parseJson(gone.stderr).error.code, "workflow_not_found");
});

test("install restores exactly the pinned version into a copy of the repo without .swamp", async () => {
  const repo = await userRepo();
  assert.equal((await run(repo, ["extension", "pull", `@test/greeter@${V1}`, "--json"])).code, 0);
  const lockText = await readFile(join(repo, LOCKFILE), "utf8");
  const clone = join(work, `clone-${++repos}`);
  await cp(repo, clone, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes(".swamp") });
  assert.deepEqual(await pulledTree(clone), []);

  const installed = await run(clone, ["extension", "install", "--json"]);
  assert.equal(installed.code, 0, installed.stderr);
  const out = parseJson(installed.stdout);
  assert.deepEqual(out.entries, [{ name: "@test/greeter", version: V1, status: "installed" }]);
  assert.equal(out.installed, 1);
  assert.equal(await readFile(join(clone, ".swamp/pulled-extensions/@test/greeter/files/README.md"), "utf8"), "# greeter v1\n", "the pinned version, not the latest");
  assert.equal(await readFile(join(clone, LOCKFILE), "utf8"), lockText, "the lockfile is unchanged");
  const ran = await run(clone, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(ran.code, 0, ran.stderr);

  const again = parseJson((await run(clone, ["extension", "install", "--json"])).stdout);
  assert.deepEqual(again.entries, [{ name: "@test/greeter", version: V1, status: "up_to_date" }]);
});

test("a tampered lockfile integrity makes install refuse and install nothing", async () => {
  const repo = await userRepo();
  assert.equal((await run(repo, ["extension", "pull", `@test/greeter@${V1}`, "--json"])).code, 0);
  const clone = join(work, `clone-${++repos}`);
  await cp(repo, clone, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes(".swamp") });
  const lock = await lockfile(clone);
  lock["@test/greeter"].integrity = `sha512-${createHash("sha512").update("something else").digest("base64")}`;
  const tampered = `${JSON.stringify(lock, null, 2)}\n`;
  await writeFile(join(clone, LOCKFILE), tampered);

  assert.equal(await refusal(clone, ["extension", "install"]), "integrity_mismatch");
  assert.deepEqual(await pulledTree(clone), [], "nothing installed");
  assert.equal(await readFile(join(clone, LOCKFILE), "utf8"), tampered, "lockfile untouched");
});

test("outdated and update see a newer pushed version; update --check changes nothing", async () => {
  const repo = await userRepo();
  assert.equal((await run(repo, ["extension", "pull", `@test/greeter@${V1}`, "--json"])).code, 0);

  const outdated = await run(repo, ["extension", "outdated", "--json"]);
  assert.equal(outdated.code, 1, "an available update fails the CI gate");
  assert.deepEqual(parseJson(outdated.stdout), {
    extensions: [{ name: "@test/greeter", status: "update_available", installedVersion: V1, latestVersion: V2 }],
    hasUpdateAvailable: true,
  });
  const check = await run(repo, ["extension", "update", "--check", "--json"]);
  assert.equal(check.code, 0, check.stderr);
  assert.equal(parseJson(check.stdout).extensions[0].status, "update_available");
  assert.equal((await lockfile(repo))["@test/greeter"].version, V1);

  const update = await run(repo, ["extension", "update", "@test/greeter", "--json"]);
  assert.equal(update.code, 0, update.stderr);
  assert.deepEqual(parseJson(update.stdout).extensions, [{ name: "@test/greeter", status: "updated", previousVersion: V1, newVersion: V2 }]);
  assert.equal((await lockfile(repo))["@test/greeter"].version, V2);
  assert.equal(await readFile(join(repo, ".swamp/pulled-extensions/@test/greeter/files/README.md"), "utf8"), "# greeter v2\n");
  const now = await run(repo, ["extension", "outdated", "--json"]);
  assert.equal(now.code, 0, now.stdout);
  assert.deepEqual(parseJson(now.stdout), { extensions: [], hasUpdateAvailable: false });
});

test("rm removes the extension's files and its lockfile entry", async () => {
  const repo = await userRepo();
  assert.equal((await run(repo, ["extension", "pull", "@test/greeter", "--json"])).code, 0);
  const removed = await run(repo, ["extension", "rm", "@test/greeter", "--json"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(parseJson(removed.stdout), { removed: { name: "@test/greeter", version: V2, filesDeleted: 4 } });
  assert.deepEqual(await lockfile(repo), {});
  assert.deepEqual(await pulledTree(repo), []);
  assert.notEqual((await run(repo, ["model", "method", "run", "greeter", "greet", "--json"])).code, 0, "no longer loaded");
  assert.equal(await refusal(repo, ["extension", "rm", "@test/greeter"]), "not_found");
});

test("an archive with '../' entries is refused and leaves nothing behind", async () => {
  await publishRaw(
    "@test/evil",
    "2026.101.1",
    handMadeTarball({ "package/manifest.yaml": manifest("@test/evil", V1), "package/../../escaped.txt": "gotcha\n" }),
  );
  const repo = await userRepo();
  assert.equal(await refusal(repo, ["extension", "pull", "@test/evil"]), "unsafe_archive");
  assert.deepEqual(await pulledTree(repo), []);
  assert.equal(existsSync(join(repo, LOCKFILE)), false, "no lockfile written");
  assert.equal(existsSync(join(repo, ".swamp", "escaped.txt")) || existsSync(join(repo, "escaped.txt")), false);
});

test("code that breaks the safety rules is refused at pull even when the registry serves it", async () => {
  await publishRaw(
    "@test/sneaky",
    "2026.101.1",
    handMadeTarball({ "package/manifest.yaml": manifest("@test/sneaky", V1), "package/models/greeter.ts": 'export const model = { run: () => eval("1") };\n' }),
  );
  const repo = await userRepo();
  assert.equal(await refusal(repo, ["extension", "pull", "@test/sneaky"]), "extension_unsafe");
  assert.deepEqual(await pulledTree(repo), []);
  assert.equal(existsSync(join(repo, LOCKFILE)), false);
});

test("a missing extension or version, and a registry that is down, give one clear line with a stable code", async () => {
  const repo = await userRepo();
  assert.equal(await refusal(repo, ["extension", "pull", "@test/missing"]), "extension_not_found");
  assert.equal(await refusal(repo, ["extension", "pull", "@test/greeter@2025.01.01.1"]), "extension_not_found");
  assert.equal(await refusal(repo, ["extension", "pull", "not-a-name"]), "extension_name_invalid");
  const down = { SWAMP_EXTENSION_REGISTRY: `http://127.0.0.1:${await closedPort()}/` };
  assert.equal(await refusal(repo, ["extension", "pull", "@test/greeter"], down), "registry_unreachable");
  assert.deepEqual(await pulledTree(repo), []);
  assert.equal(existsSync(join(repo, LOCKFILE)), false);
});

test("dependencies are pulled with their extension, and only from trusted collectives", async () => {
  await push("@other/helper", V1, "# helper\n");
  await push("@test/needs-helper", V1, "# needs helper\n", ["dependencies: ['@other/helper']"]);
  const repo = await userRepo();
  assert.equal(await refusal(repo, ["extension", "pull", "@test/needs-helper"]), "collective_untrusted");
  const text = await run(repo, ["extension", "pull", "@test/needs-helper"]);
  assert.match(text.stderr, /swamp extension trust add other/);
  assert.deepEqual(await pulledTree(repo), []);

  assert.equal((await run(repo, ["extension", "trust", "add", "other", "--json"])).code, 0);
  const pulled = await run(repo, ["extension", "pull", "@test/needs-helper", "--json"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.deepEqual(
    parseJson(pulled.stdout).dependencies.map((d: { name: string; dependencyOf: string }) => [d.name, d.dependencyOf]),
    [["@other/helper", "@test/needs-helper"]],
  );
  assert.deepEqual(Object.keys(await lockfile(repo)), ["@other/helper", "@test/needs-helper"]);
});

test("a model type from a trusted collective that is not installed is pulled on first use, pinned by the lockfile when present", async () => {
  const repo = await userRepo();
  assert.equal((await run(repo, ["extension", "trust", "add", "test", "--json"])).code, 0);
  const ran = await run(repo, ["model", "method", "run", "greeter", "greet"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stderr, new RegExp(`Installed @test/greeter@${V2.replace(/\./g, "\\.")} for model type @test/greeter`));
  assert.equal((await lockfile(repo))["@test/greeter"].version, V2, "the first install becomes the pin");

  // A clone whose lockfile pins V1: first use restores V1, not the latest.
  const pinnedRepo = await userRepo();
  assert.equal((await run(pinnedRepo, ["extension", "pull", `@test/greeter@${V1}`, "--json"])).code, 0);
  const clone = join(work, `clone-${++repos}`);
  await cp(pinnedRepo, clone, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes(".swamp") });
  assert.equal((await run(clone, ["extension", "trust", "add", "test", "--json"])).code, 0);
  const again = await run(clone, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(parseJson(again.stdout).status, "succeeded");
  assert.equal(await readFile(join(clone, ".swamp/pulled-extensions/@test/greeter/files/README.md"), "utf8"), "# greeter v1\n");
  assert.equal((await lockfile(clone))["@test/greeter"].version, V1);

  // The registry down: only the command that needs the type fails, saying why.
  const offline = await userRepo();
  assert.equal((await run(offline, ["extension", "trust", "add", "test", "--json"])).code, 0);
  const down = { SWAMP_EXTENSION_REGISTRY: `http://127.0.0.1:${await closedPort()}/` };
  const failed = await run(offline, ["model", "method", "run", "greeter", "greet", "--json"], down);
  assert.equal(failed.code, 1, failed.stderr);
  const error = parseJson(failed.stderr).error;
  assert.equal(error.code, "unknown_model_type");
  assert.match(error.message, /registry_unreachable/);
  assert.deepEqual(await pulledTree(offline), []);
});

test("a model type from an untrusted collective is not fetched: its unknown-type error names the trust command", async () => {
  const repo = await userRepo();
  assert.equal(await refusal(repo, ["model", "method", "run", "greeter", "greet"]), "unknown_model_type");
  const text = await run(repo, ["model", "method", "run", "greeter", "greet"]);
  assert.match(text.stderr, /collective "test" is not trusted.*swamp extension trust add test/);
  assert.deepEqual(await pulledTree(repo), []);
  assert.equal(existsSync(join(repo, LOCKFILE)), false);
});

const STORE_MARKER = 'datastore:\n  type: "@test/fs-store"\n';

test("an extension with a model and a datastore: pulled, its datastore serves the repo and its model runs; first use pulls the datastore", async () => {
  await push("@test/fs-store", V1, "# store\n", ["datastores: [fs-store/mod.ts]"], {
    "extensions/datastores/fs-store/mod.ts": FS_STORE,
    "extensions/datastores/fs-store/_lib/body.ts": FS_STORE_LIB,
  });
  const repo = await userRepo();
  const pulled = await run(repo, ["extension", "pull", "@test/fs-store", "--json"]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.ok(parseJson(pulled.stdout).files.includes(".swamp/pulled-extensions/@test/fs-store/datastores/fs-store/mod.ts"));
  await writeFile(join(repo, ".swamp.yaml"), (await readFile(join(repo, ".swamp.yaml"), "utf8")) + STORE_MARKER);
  const status = await run(repo, ["datastore", "status", "--json"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(parseJson(status.stdout).type, "@test/fs-store");
  assert.equal(parseJson(status.stdout).healthy, true);
  const ran = await run(repo, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.ok(existsSync(join(repo, ".fs-store", "data", "@test", "greeter", GREETER_ID)), "the run's data went to the pulled datastore");

  // A repo that only names the datastore type in .swamp.yaml, with the collective trusted.
  const fresh = join(work, `user-${++repos}`);
  assert.equal((await swamp(["repo", "init", fresh, "--json"], { env: env() })).code, 0);
  assert.equal((await run(fresh, ["extension", "trust", "add", "test", "--json"])).code, 0);
  await writeFile(join(fresh, ".swamp.yaml"), (await readFile(join(fresh, ".swamp.yaml"), "utf8")) + STORE_MARKER);
  const first = await run(fresh, ["datastore", "status", "--json"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(parseJson(first.stdout).type, "@test/fs-store");
  assert.deepEqual(Object.keys(await lockfile(fresh)), ["@test/fs-store"]);
});

test("a vault type named by a vault config is restored on first use in a clone, at the lockfile's version", async () => {
  await push("@test/memory-vault", V1, "# vault\n", ["vaults: [memory.ts]"], { "extensions/vaults/memory.ts": MEMORY_VAULT });
  const repo = join(work, `user-${++repos}`);
  assert.equal((await swamp(["repo", "init", repo, "--json"], { env: env() })).code, 0);
  assert.equal((await run(repo, ["extension", "pull", "@test/memory-vault", "--json"])).code, 0);
  const created = await run(repo, ["vault", "create", "@test/memory-vault", "mem", "--config", '{"seed":{"token":"abc"}}', "--json"]);
  assert.equal(created.code, 0, created.stderr);

  const clone = join(work, `clone-${++repos}`);
  await cp(repo, clone, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes(".swamp") });
  const untrusted = await run(clone, ["vault", "list-keys", "mem", "--json"]);
  assert.equal(untrusted.code, 1, "not trusted: not fetched");
  assert.match(parseJson(untrusted.stderr).error.message, /swamp extension trust add test/);
  assert.deepEqual(await pulledTree(clone), []);

  assert.equal((await run(clone, ["extension", "trust", "add", "test", "--json"])).code, 0);
  const keys = await run(clone, ["vault", "list-keys", "mem", "--json"]);
  assert.equal(keys.code, 0, keys.stderr);
  assert.match(keys.stdout, /token/);
  assert.equal((await lockfile(clone))["@test/memory-vault"].version, V1);
});

/** Pushes an extension made of exactly `files` (its manifest included) from an author directory. */
async function pushFiles(files: Record<string, string>): Promise<void> {
  const dir = join(work, `author-${++repos}`);
  await write(dir, files);
  const r = await swamp(["extension", "push", "manifest.yaml", "-y", "--json"], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
}

/** Trusts a collective by editing .swamp.yaml (the trust commands have their own tests). */
async function trust(repo: string, collective: string): Promise<void> {
  await writeFile(join(repo, ".swamp.yaml"), `${await readFile(join(repo, ".swamp.yaml"), "utf8")}trustedCollectives: [swamp, ${collective}]\n`);
}

function kindManifest(name: string, kind: string, file: string): string {
  return ["manifestVersion: 1", `name: "${name}"`, `version: "${V1}"`, "description: test", "repository: https://example.com/x", `${kind}: [${file}]`, ""].join("\n");
}

test("driver, report and `vault create` types from a trusted collective are pulled on first use; untrusted ones name the trust command", async () => {
  await pushFiles({ "manifest.yaml": kindManifest("@test/echo-driver", "drivers", "echo.ts"), "extensions/drivers/echo.ts": ECHO_DRIVER });
  await pushFiles({ "manifest.yaml": kindManifest("@test/summary", "reports", "summary.ts"), "extensions/reports/summary.ts": SUMMARY_REPORT });
  const repo = await userRepo();
  await write(repo, { [`models/@test/greeter/${GREETER_ID}.yaml`]: greeterDefinition("hi", 'driver: "@test/echo-driver"\nreports:\n  require:\n    - "@test/summary"\n') });
  assert.equal((await run(repo, ["extension", "pull", "@test/greeter", "--json"])).code, 0);

  // Untrusted: the driver is not fetched, and its error says how to trust the collective.
  const noDriver = await run(repo, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(noDriver.code, 1, noDriver.stderr);
  assert.match(parseJson(noDriver.stderr).error.message, /driver type: "@test\/echo-driver".*swamp extension trust add test/);
  // With the builtin driver, the required report is what is missing, for the same reason: it is
  // skipped with a warning that says so (validate warns the same way).
  const noReport = await run(repo, ["model", "method", "run", "greeter", "greet", "--driver", "raw", "--json"]);
  assert.equal(noReport.code, 0, noReport.stderr);
  assert.match(parseJson(noReport.stdout).reports["@test/summary"].warning, /^Required report not found: @test\/summary\..*swamp extension trust add test/);
  assert.deepEqual(Object.keys(await lockfile(repo)), ["@test/greeter"], "nothing fetched while untrusted");

  await trust(repo, "test");
  const ran = await run(repo, ["model", "method", "run", "greeter", "greet", "--json"]);
  assert.equal(ran.code, 0, ran.stderr);
  const view = parseJson(ran.stdout);
  assert.equal(view.driver, "@test/echo-driver");
  assert.equal(view.reports["@test/summary"].success, true);
  assert.deepEqual(Object.keys(await lockfile(repo)).sort(), ["@test/echo-driver", "@test/greeter", "@test/summary"]);

  // `vault create <type>`: the type named on the command line.
  const vaultRepo = join(work, `user-${++repos}`);
  assert.equal((await swamp(["repo", "init", vaultRepo, "--json"], { env: env() })).code, 0);
  const refused = await run(vaultRepo, ["vault", "create", "@test/memory-vault", "mem", "--json"]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(parseJson(refused.stderr).error.message, /swamp extension trust add test/);
  await trust(vaultRepo, "test");
  const created = await run(vaultRepo, ["vault", "create", "@test/memory-vault", "mem", "--json"]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(parseJson(created.stdout).type, "@test/memory-vault");
  assert.deepEqual(Object.keys(await lockfile(vaultRepo)), ["@test/memory-vault"]);
});

const ERASE = ERASE_LINE;

/** swamp in a real pseudo-terminal, in `repo` with this file's environment; Ctrl-C once `interruptWhen` shows. */
function inTerminal(repo: string, args: string[], opts: { extra?: Record<string, string | undefined>; interruptWhen?: RegExp } = {}): Promise<{ code: number; output: string }> {
  const cues: Cue[] = opts.interruptWhen ? [[opts.interruptWhen, CTRL_C]] : [];
  return runInTerminal([process.execPath, SWAMP_BIN, ...args, "--repo-dir", repo], cues, { cwd: repo, env: env(opts.extra), columns: 100 });
}

/** A registry in front of Verdaccio whose tarballs send half their bytes and then stall. */
async function stallingRegistry(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer(async (req, res) => {
    const path = req.url ?? "/";
    if (path.startsWith("/tarball/")) {
      const bytes = Buffer.from(await (await fetch(decodeURIComponent(path.slice("/tarball/".length)))).arrayBuffer());
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
      res.write(bytes.subarray(0, bytes.length >> 1)); // …and never the rest
      return;
    }
    const upstream = await fetch(`${registry.url}${path.slice(1)}`, { headers: { accept: "application/json" } });
    const pack = (await upstream.json()) as any;
    for (const v of Object.values<any>(pack.versions ?? {})) v.dist.tarball = `${base}/tarball/${encodeURIComponent(v.dist.tarball)}`;
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(JSON.stringify(pack));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test("downloads show progress on a terminal only, erased when done and on Ctrl-C; piped output has no progress bytes", async () => {
  const repo = await userRepo();
  const tty = await inTerminal(repo, ["extension", "pull", `@test/greeter@${V1}`]);
  assert.equal(tty.code, 0, tty.output);
  assert.match(tty.output, /Downloading @test\/greeter@2026\.01\.01\.1 +\d+(\.\d)?K?B \/ \d+(\.\d)?K?B \(\d+%\)/);
  const lastDraw = Math.max(tty.output.lastIndexOf("Downloading"), tty.output.lastIndexOf("Installing"));
  const erased = tty.output.indexOf(ERASE, lastDraw);
  assert.ok(erased > lastDraw && erased < tty.output.indexOf("Pulled @test/greeter"), "the line is erased before the result is printed");

  const piped = await run(repo, ["extension", "pull", `@test/greeter@${V1}`, "-f"]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr + piped.stdout, /\r|\x1b\[|Downloading/);
  const json = await inTerminal(repo, ["extension", "pull", `@test/greeter@${V1}`, "-f", "--json"]);
  assert.equal(json.code, 0, json.output);
  assert.doesNotMatch(json.output, /\x1b\[|Downloading/, "--json draws no progress, even on a terminal");

  // Ctrl-C in the middle of a download: the line is erased, nothing is left half-installed.
  const stalling = await stallingRegistry();
  try {
    const fresh = await userRepo();
    const stopped = await inTerminal(fresh, ["extension", "pull", `@test/greeter@${V1}`], { extra: { SWAMP_EXTENSION_REGISTRY: stalling.url }, interruptWhen: /Downloading .*%/ });
    assert.equal(stopped.code, 130, stopped.output);
    assert.ok(stopped.output.lastIndexOf(ERASE) > stopped.output.lastIndexOf("Downloading"), JSON.stringify(stopped.output));
    assert.deepEqual(await pulledTree(fresh), [], "no staging files are left");
    assert.equal(existsSync(join(fresh, LOCKFILE)), false);
  } finally {
    await stalling.close();
  }
});
