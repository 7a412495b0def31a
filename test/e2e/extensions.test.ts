/**
 * Extensions as a user meets them through the real CLI: the seed's quick-start datastore, a
 * working extension datastore holding a model run's data, an extension model type (with a
 * check, a report and a driver from extensions) run by name and by `@type`, listing and
 * doctor, and that commands which use no extension load no esbuild and start no worker thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";
import { ECHO_DRIVER, FS_STORE, FS_STORE_LIB, GREETER_EXTENSION, GREETER_ID, GREETER_MODEL, greeterDefinition, markerModel, SEED_STORE, SUMMARY_REPORT, writeSource } from "../plugins/fixtures.js";

async function installAll(repo: string): Promise<void> {
  await writeSource(repo, "extensions/datastores/fs-store/mod.ts", FS_STORE);
  await writeSource(repo, "extensions/datastores/fs-store/_lib/body.ts", FS_STORE_LIB);
  await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
  await writeSource(repo, "extensions/models/more/greeter-ext.ts", GREETER_EXTENSION);
  await writeSource(repo, "extensions/drivers/echo.ts", ECHO_DRIVER);
  await writeSource(repo, "extensions/reports/summary.ts", SUMMARY_REPORT);
  await appendFile(join(repo, ".swamp.yaml"), 'datastore:\n  type: "@test/fs-store"\n');
  await writeSource(repo, `models/@test/greeter/${GREETER_ID}.yaml`, greeterDefinition("hi", 'reports:\n  require:\n    - "@test/summary"\n'));
}

async function lockFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith(".lock")) out.push(join(d, e.name));
    }
  }
  await walk(dir);
  return out;
}

test("the seed's quick-start datastore, saved verbatim, is healthy in `datastore status --json`", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/datastores/my-store/mod.ts", SEED_STORE);
    await appendFile(join(repo, ".swamp.yaml"), 'datastore:\n  type: "@myorg/my-store"\n  config:\n    endpoint: "https://storage.example.com"\n    bucket: "my-data"\n');
    const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    const status = parseJson(r.stdout);
    assert.equal(status.type, "@myorg/my-store");
    assert.equal(status.healthy, true);
    assert.equal(status.message, "OK");
    assert.equal(status.path, undefined, "path is shown for filesystem datastores only");

    const doctor = await swamp(["doctor", "extensions", "--json", "--repo-dir", repo]);
    assert.equal(doctor.code, 0, doctor.stderr);
    const report = parseJson(doctor.stdout);
    assert.equal(report.overallStatus, "pass");
    assert.deepEqual(Object.keys(report.registries), ["model", "vault", "datastore", "driver", "report"]);
    assert.equal(report.sources[0].state, "Indexed");
    assert.deepEqual(report.loaderErrors, {});

    // The same type through SWAMP_DATASTORE, and a config error naming its field.
    await writeFile(join(repo, ".swamp.yaml"), (await readFile(join(repo, ".swamp.yaml"), "utf8")).replace(/datastore:[\s\S]*$/, ""));
    const viaEnv = await swamp(["datastore", "status", "--json", "--repo-dir", repo], {
      env: { SWAMP_DATASTORE: '@myorg/my-store:{"endpoint":"https://storage.example.com","bucket":"b"}' },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(parseJson(viaEnv.stdout).healthy, true);
    const bad = await swamp(["datastore", "status", "--json", "--repo-dir", repo], { env: { SWAMP_DATASTORE: '@myorg/my-store:{"endpoint":"nope"}' } });
    assert.equal(bad.code, 1);
    const err = parseJson(bad.stderr).error;
    assert.equal(err.code, "datastore_config_invalid");
    assert.match(err.message, /endpoint: must be a valid uri|bucket: is required/);
  });
});

test("an extension datastore holds a model run's data; extension model, check, report and driver work end to end", async () => {
  await withRepo(async (repo) => {
    await installAll(repo);
    const status = await swamp(["datastore", "status", "--json", "--repo-dir", repo]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(parseJson(status.stdout).type, "@test/fs-store");

    const search = parseJson((await swamp(["model", "type", "search", "--json", "--repo-dir", repo])).stdout);
    const found = search.results.find((r: { raw: string }) => r.raw === "@test/greeter");
    assert.equal(found?.origin, "extension");
    const described = await swamp(["model", "type", "describe", "@test/greeter", "--json", "--repo-dir", repo]);
    assert.equal(described.code, 0, described.stderr);
    const d = parseJson(described.stdout);
    assert.deepEqual(d.methods.find((m: { name: string }) => m.name === "greet").arguments.required, ["name"]);
    assert.ok(d.methods.some((m: { name: string }) => m.name === "shout"), "methods from `export const extension` files are merged");

    const run = await swamp(["model", "method", "run", "greeter", "greet", "--input", "times=2", "--json", "--repo-dir", repo]);
    assert.equal(run.code, 0, run.stderr);
    const view = parseJson(run.stdout);
    assert.equal(view.status, "succeeded");
    assert.deepEqual(view.dataArtifacts.map((a: { name: string }) => a.name).filter((n: string) => !n.startsWith("report-")).sort(), ["main", "transcript"]);
    assert.equal(view.reports["@test/summary"].json.handles, 2, "the extension report ran and saw the method's data");
    // The datastore extension's resolveDatastorePath decided where the data went.
    const data = join(repo, ".fs-store", "data", "@test", "greeter", GREETER_ID);
    assert.equal(await readFile(join(data, "transcript", "1", "raw"), "utf8"), "hi world #1\nhi world #2\n");
    assert.deepEqual(JSON.parse(await readFile(join(data, "main", "1", "raw"), "utf8")), { message: "hi world", count: 2 });
    assert.equal(existsSync(join(repo, ".swamp", "data", "@test")), false, "nothing went to the default datastore");
    assert.deepEqual(await lockFiles(join(repo, ".fs-store")), [], "every lock was released");

    // ajv validates extension arguments.
    const invalid = await swamp(["model", "method", "run", "greeter", "greet", "--input", "times=0", "--json", "--repo-dir", repo]);
    assert.equal(invalid.code, 1);
    assert.match(parseJson(invalid.stderr).error.message, /times: must be >= 1/);

    // A driver from an extension, and a direct `@type` run of a method added by another file.
    const driven = await swamp(["model", "method", "run", "greeter", "greet", "--driver", "@test/echo-driver", "--json", "--repo-dir", repo]);
    assert.equal(driven.code, 0, driven.stderr);
    assert.equal(parseJson(driven.stdout).driver, "@test/echo-driver");
    const direct = await swamp(["model", "@test/greeter", "method", "run", "shout", "loud-one", "--input", "name=bob", "--json", "--repo-dir", repo]);
    assert.equal(direct.code, 0, direct.stderr);
    assert.ok(parseJson(direct.stdout).dataArtifacts.some((a: { name: string }) => a.name === "loud"));

    // The type's check runs before mutating methods.
    await writeSource(repo, `models/@test/greeter/${GREETER_ID}.yaml`, greeterDefinition("forbidden"));
    const checked = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(checked.code, 1);
    const checkError = parseJson(checked.stderr).error;
    assert.equal(checkError.code, "checks_failed");
    assert.match(checkError.message, /prefix-allowed: prefix 'forbidden' is not allowed/);

    const list = parseJson((await swamp(["extension", "list", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(
      list.catalog.map((e: { kind: string; type: string; state: string }) => `${e.kind} ${e.type} ${e.state}`).sort(),
      ["datastore @test/fs-store Indexed", "driver @test/echo-driver Indexed", "model @test/greeter Indexed", "model @test/greeter Indexed", "report @test/summary Indexed"],
    );
  });
});

test("faults through the CLI: coded errors, data written before the fault kept, locks released, the next command works", async () => {
  await withRepo(async (repo) => {
    await installAll(repo);
    const crash = await swamp(["model", "method", "run", "greeter", "crash", "--json", "--repo-dir", repo]);
    assert.equal(crash.code, 1);
    const crashError = parseJson(crash.stderr).error;
    assert.equal(crashError.code, "extension_crashed");
    assert.match(crashError.message, /model extension @test\/greeter \(extensions\/models\/greeter\.ts\) crashed during method crash/);
    const kept = join(repo, ".fs-store", "data", "@test", "greeter", GREETER_ID, "before-crash", "1", "raw");
    assert.deepEqual(JSON.parse(await readFile(kept, "utf8")), { message: "kept", count: 1 }, "no data lost");

    const exit = await swamp(["model", "method", "run", "greeter", "exit", "--json", "--repo-dir", repo]);
    assert.equal(parseJson(exit.stderr).error.code, "extension_crashed");
    assert.match(parseJson(exit.stderr).error.message, /process\.exit\(3\)/);

    const loop = await swamp(["model", "method", "run", "greeter", "loop", "--json", "--repo-dir", repo], { env: { SWAMP_EXTENSION_UNRESPONSIVE_MS: "2000" } });
    assert.equal(loop.code, 1);
    assert.equal(parseJson(loop.stderr).error.code, "extension_timeout");

    const thrown = await swamp(["model", "method", "run", "greeter", "fail", "--input", "code=lock_timeout", "--json", "--repo-dir", repo]);
    assert.equal(thrown.code, 75, "an extension's lock_timeout keeps exit 75");

    assert.deepEqual(await lockFiles(join(repo, ".fs-store")), [], "locks were released after every fault");
    const next = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(parseJson(next.stdout).status, "succeeded");

    const dsFault = await swamp(["datastore", "status", "--json", "--repo-dir", repo], { env: { SWAMP_DATASTORE: '@test/fs-store:{"misbehave":"oom"}' } });
    assert.equal(dsFault.code, 1);
    assert.match(parseJson(dsFault.stderr).error.message, /datastore extension @test\/fs-store .* ran out of memory during verify/);
  });
});

test("a broken edit fails the command with esbuild's file:line; fixing it works again", async () => {
  await withRepo(async (repo) => {
    await installAll(repo);
    const ok = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(ok.code, 0, ok.stderr);
    const source = join(repo, "extensions", "models", "greeter.ts");
    await writeFile(source, GREETER_MODEL.replace("const handle = await ctx.writeResource(", "const handle = await ctx.writeResource(("));
    const broken = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(broken.code, 1);
    const error = parseJson(broken.stderr.slice(broken.stderr.indexOf("{"))).error;
    assert.equal(error.code, "extension_build_failed");
    assert.match(error.message, /extensions\/models\/greeter\.ts failed to build: .*greeter\.ts:\d+:\d+: /);
    assert.match(broken.stderr, /^warning: The model extension extensions\/models\/greeter\.ts failed to build/m);
    const doctor = await swamp(["doctor", "extensions", "--json", "--repo-dir", repo]);
    assert.equal(doctor.code, 1);
    const report = parseJson(doctor.stdout);
    assert.equal(report.overallStatus, "fail");
    assert.equal(report.registries.model.status, "fail");
    assert.equal(report.sources.find((s: { sourcePath: string }) => s.sourcePath === source).state, "BundleBuildFailed");

    await writeFile(source, GREETER_MODEL);
    const fixed = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(fixed.code, 0, fixed.stderr);
  });
});

test("listing types, describing one and --help never load extension code", async () => {
  await withRepo(async (repo) => {
    const marker = join(repo, "..", "loaded.txt");
    await writeSource(repo, "extensions/models/marked.ts", markerModel(marker));
    assert.equal((await swamp(["extension", "list", "--json", "--repo-dir", repo])).code, 0);
    assert.equal(existsSync(marker), true, "a new extension is loaded once to describe it");
    await rm(marker);
    for (const args of [
      ["model", "type", "search", "--json"],
      ["model", "type", "describe", "@test/marked", "--json"],
      ["extension", "list", "--json"],
      ["model", "method", "describe", "--help"],
    ]) {
      const r = await swamp([...args, "--repo-dir", repo]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assert.equal(existsSync(marker), false, "no command loaded the extension's code");
  });
});

async function importsSeen(repo: string, args: string[], dir: string): Promise<string[]> {
  const log = join(dir, "imports.log");
  await writeFile(join(dir, "hooks.mjs"), `import { appendFileSync } from "node:fs";\nexport async function resolve(spec, ctx, next) {\n  if (spec === "esbuild") appendFileSync(${JSON.stringify(log)}, spec + "\\n");\n  return next(spec, ctx);\n}\n`);
  // piscina is bundled into the CLI, so what costs is a worker thread: every one started is logged too.
  await writeFile(
    join(dir, "register.mjs"),
    [
      `import { appendFileSync } from "node:fs";`,
      `import { createRequire, register } from "node:module";`,
      `register(${JSON.stringify(`file://${join(dir, "hooks.mjs")}`)});`,
      `const threads = createRequire(import.meta.url)("node:worker_threads");`,
      `const Worker = threads.Worker;`,
      `threads.Worker = class extends Worker { constructor(...args) { appendFileSync(${JSON.stringify(log)}, "worker thread\\n"); super(...args); } };`,
      "",
    ].join("\n"),
  );
  await rm(log, { force: true });
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", join(dir, "register.mjs"), SWAMP_BIN, ...args, "--repo-dir", repo], { env: cleanEnv(), stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  assert.equal(code, 0, `${args.join(" ")} failed`);
  return existsSync(log) ? (await readFile(log, "utf8")).split("\n").filter(Boolean) : [];
}

test("commands that use no extension load no esbuild and start no worker thread", async () => {
  await withRepo(async (repo) => {
    const dir = join(repo, "..", "hooks");
    await mkdir(dir, { recursive: true });
    assert.deepEqual(await importsSeen(repo, ["datastore", "status", "--json"], dir), []);
    await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
    const building = await importsSeen(repo, ["extension", "list", "--json"], dir);
    assert.ok(building.includes("esbuild"), "a new extension is built (the hook sees imports)");
    assert.ok(building.includes("worker thread"), "and described in a worker (the preload sees threads)");
    assert.deepEqual(await importsSeen(repo, ["datastore", "status", "--json"], dir), [], "cached extensions cost no esbuild and no worker thread");
    assert.deepEqual(await importsSeen(repo, ["model", "type", "describe", "@test/greeter", "--json"], dir), []);
  });
});

test("concurrent CLI processes building the same extensions do not corrupt the cache", async () => {
  await withRepo(async (repo) => {
    await installAll(repo);
    const runs = await Promise.all([1, 2, 3].map(() => swamp(["extension", "list", "--json", "--repo-dir", repo])));
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(parseJson(r.stdout).catalog.filter((e: { state: string }) => e.state === "Indexed").length, 5);
    }
    for (const kind of ["datastore", "model", "driver", "report"]) {
      const manifest = JSON.parse(await readFile(join(repo, ".swamp", `${kind}-bundles`, "manifest.json"), "utf8"));
      for (const entry of Object.values(manifest.entries) as Array<{ bundlePath: string; state: string }>) {
        assert.equal(entry.state, "Indexed");
        assert.ok(existsSync(entry.bundlePath), `${entry.bundlePath} exists`);
      }
    }
    const run = await swamp(["model", "method", "run", "greeter", "greet", "--json", "--repo-dir", repo]);
    assert.equal(run.code, 0, run.stderr);
  });
});
