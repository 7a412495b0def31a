/**
 * What the seeds promise about definitions, inputs, reports, drivers and datastores, checked
 * through the real CLI where an earlier version fell short.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { GREETER } from "./fixtures/greeter.js";

async function writeShellModel(repo: string, file: string, yaml: string): Promise<void> {
  await mkdir(join(repo, "models", "command", "shell"), { recursive: true });
  await writeFile(join(repo, "models", "command", "shell", file), yaml);
}

function resultStdout(stdout: string): unknown {
  return parseJson(stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout;
}

test("inputs: required means required (with or without expressions), nested values are coerced by the schema", async () => {
  await withRepo(async (repo) => {
    const inputs = [
      "inputs:",
      "  type: object",
      "  properties:",
      "    environment: { type: string, enum: [dev, staging, production] }",
      "    config:",
      "      type: object",
      "      properties:",
      "        verbose: { type: boolean, default: false }",
      "        level: { type: integer }",
      "      additionalProperties: true",
      "  required: [environment]",
    ].join("\n");
    await writeShellModel(
      repo,
      "env-aware.yaml",
      [
        "type: command/shell",
        "id: 6a1f0a36-0b5e-4c8e-9d43-1f2a3b4c5d6e",
        "name: env-aware",
        inputs,
        "methods:",
        "  execute:",
        "    arguments:",
        "      run: \"echo ${{ inputs.config.verbose == true ? 'loud' : 'quiet' }} ${{ inputs.config.level + 1 }}\"",
        "",
      ].join("\n"),
    );
    await writeShellModel(
      repo,
      "literal.yaml",
      ["type: command/shell", "id: 7b2f1b47-1c6f-4d9f-8e54-2a3b4c5d6e7f", "name: literal", inputs, "methods:", "  execute:", "    arguments:", "      run: echo fixed", ""].join("\n"),
    );

    for (const name of ["env-aware", "literal"]) {
      const missing = await swamp(["model", "method", "run", name, "execute", "--json", "--repo-dir", repo]);
      assert.equal(missing.code, 1, `${name}: ${missing.stdout}`);
      const error = parseJson(missing.stderr).error;
      assert.equal(error.code, "input_validation_failed", name);
      assert.match(error.message, /environment is required/, name);
    }

    const ok = await swamp(
      ["model", "method", "run", "env-aware", "execute", "--input", "environment=dev", "--input", "config.verbose=true", "--input", "config.level=2", "--json", "--repo-dir", repo],
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(resultStdout(ok.stdout), "loud 3");

    const literal = await swamp(["model", "method", "run", "literal", "execute", "--input", "environment=prod", "--json", "--repo-dir", repo]);
    assert.equal(literal.code, 1);
    assert.match(parseJson(literal.stderr).error.message, /environment must be one of: dev, staging, production/);
    const bad = await swamp(["model", "method", "run", "env-aware", "execute", "--input", "environment=dev", "--input", "config.verbose=maybe", "--json", "--repo-dir", repo]);
    assert.equal(bad.code, 1);
    assert.match(parseJson(bad.stderr).error.message, /config\.verbose must be a boolean/);
  });
});

test("the seed's complete greeter: validation and run agree that its unprovided required report is a warning", async () => {
  await withRepo(async (repo) => {
    await writeShellModel(repo, "greeter.yaml", GREETER);
    const warning =
      "Required report not found: execution-summary. No installed report has this name, so it is skipped; pull the extension that provides it, or remove it from reports.require.";

    const validated = parseJson((await swamp(["model", "validate", "greeter", "--json", "--repo-dir", repo])).stdout);
    assert.equal(validated.passed, true);
    assert.deepEqual(validated.warnings, [{ name: "Required report not found", message: warning }]);

    const text = await swamp(["model", "method", "run", "greeter", "execute", "--repo-dir", repo]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^swamp says: hello!\nCompleted execute on greeter succeeded/);
    assert.equal(text.stderr, `Warning: ${warning}\n`);

    const json = await swamp(["model", "method", "run", "greeter", "execute", "--json", "--repo-dir", repo]);
    assert.equal(json.code, 0, json.stderr);
    const view = parseJson(json.stdout);
    assert.equal(view.status, "succeeded");
    assert.deepEqual(view.reports["execution-summary"], { name: "execution-summary", scope: "method", success: true, warning });
    assert.equal(view.reports["@swamp/method-summary"].success, true);
  });
});

const VPC_MODEL = `import { z } from "npm:zod@4";
export const model = {
  type: "aws/ec2/vpc",
  version: "2026.03.01.1",
  globalArguments: z.object({ cidr: z.string() }),
  resources: { vpc: { description: "The VPC", schema: z.object({ cidr: z.string() }), lifetime: "infinite", garbageCollection: 5 } },
  methods: {
    create: {
      description: "Creates the VPC",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => ({ dataHandles: [await ctx.writeResource("vpc", "main", { cidr: ctx.globalArgs.cidr })] }),
    },
  },
};
`;

test("model edit compares normalized types and keeps typeVersion; get and validate say when a newer type version is installed", async () => {
  await withRepo(async (repo) => {
    await mkdir(join(repo, "extensions", "models"), { recursive: true });
    await writeFile(join(repo, "extensions", "models", "vpc.ts"), VPC_MODEL);
    await mkdir(join(repo, "models", "aws", "ec2", "vpc"), { recursive: true });
    const file = join(repo, "models", "aws", "ec2", "vpc", "net.yaml");
    await writeFile(file, "type: aws/ec2/vpc\ntypeVersion: 2026.01.15.1\nid: 0f3c2b1a-4d5e-4f60-8a7b-9c0d1e2f3a4b\nname: net\nglobalArguments:\n  cidr: 10.0.0.0/16\n");
    const cli = (args: string[], input?: string) => swamp([...args, "--repo-dir", repo], input === undefined ? {} : { input });

    const upgrade = { from: "2026.01.15.1", to: "2026.03.01.1" };
    assert.deepEqual(parseJson((await cli(["model", "get", "net", "--json"])).stdout).upgradeAvailable, upgrade);
    assert.match((await cli(["model", "get", "net"])).stdout, /^Type: {4}aws\/ec2\/vpc \(type version 2026\.01\.15\.1; 2026\.03\.01\.1 is available\)$/m);
    const validated = parseJson((await cli(["model", "validate", "net", "--json"])).stdout);
    assert.equal(validated.passed, true);
    assert.deepEqual(validated.warnings.map((w: { name: string }) => w.name), ["Type upgrade available"]);
    assert.match(validated.warnings[0].message, /records aws\/ec2\/vpc 2026\.01\.15\.1; the installed type is 2026\.03\.01\.1/);

    // The type as the user spells it; no typeVersion in the piped YAML: the recorded one stays.
    const edited = await cli(["model", "edit", "net", "--json"], "type: AWS::EC2::VPC\nname: net\nglobalArguments:\n  cidr: 10.1.0.0/16\n");
    assert.equal(edited.code, 0, edited.stderr);
    assert.equal(parseJson(edited.stdout).type, "aws/ec2/vpc");
    const saved = await cli(["model", "get", "net", "--json"]);
    assert.equal(parseJson(saved.stdout).typeVersion, "2026.01.15.1");
    assert.deepEqual(parseJson(saved.stdout).globalArguments, { cidr: "10.1.0.0/16" });
    const moved = await cli(["model", "edit", "net", "--json"], "type: aws/ec2/vpc\ntypeVersion: 2026.03.01.1\nname: net\nglobalArguments:\n  cidr: 10.1.0.0/16\n");
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(parseJson((await cli(["model", "get", "net", "--json"])).stdout).upgradeAvailable, undefined);
    assert.deepEqual(parseJson((await cli(["model", "validate", "net", "--json"])).stdout).warnings, []);

    const otherType = await cli(["model", "edit", "net", "--json"], "type: command/shell\nname: net\n");
    assert.equal(otherType.code, 1);
    assert.match(parseJson(otherType.stderr).error.message, /^The type cannot change \(aws\/ec2\/vpc → command\/shell\)/);
  });
});

test("model validate: duplicate names, unknown drivers and driver configs the driver refuses fail; a broken file is named with its reason", async () => {
  await withRepo(async (repo) => {
    const shell = (id: string, name: string, extra = "") => `type: command/shell\nid: ${id}\nname: ${name}\n${extra}`;
    await writeShellModel(repo, "twin-a.yaml", shell("a1a1a1a1-0000-4000-8000-000000000001", "twin"));
    await writeShellModel(repo, "twin-b.yaml", shell("b2b2b2b2-0000-4000-8000-000000000002", "twin"));
    await writeShellModel(repo, "warp.yaml", shell("c3c3c3c3-0000-4000-8000-000000000003", "warp", "driver: warp\n"));
    await writeShellModel(repo, "boxed.yaml", shell("d4d4d4d4-0000-4000-8000-000000000004", "boxed", "driver: docker\ndriverConfig:\n  memory: 512m\n"));
    await writeShellModel(repo, "fine.yaml", shell("e5e5e5e5-0000-4000-8000-000000000005", "fine", "driver: docker\ndriverConfig:\n  image: alpine:3\n"));
    await writeShellModel(repo, "f6f6f6f6-0000-4000-8000-000000000006.yaml", "{type: command/shell, id: f6f6f6f6-0000-4000-8000-000000000006, name: flowy, version: 0}\n");

    const all = await swamp(["model", "validate", "--json", "--repo-dir", repo]);
    assert.equal(all.code, 1);
    const byName = new Map<string, Array<{ validations: Array<{ name: string; passed: boolean; error?: string }>; passed: boolean }>>();
    for (const m of parseJson(all.stdout).models) byName.set(m.modelName, [...(byName.get(m.modelName) ?? []), m]);
    const schemaError = (name: string, i = 0) => byName.get(name)?.[i]?.validations.find((v) => v.name === "Definition schema")?.error;
    assert.equal(byName.get("twin")?.length, 2);
    assert.equal(schemaError("twin", 0), 'Name "twin" is also used by models/command/shell/twin-b.yaml: names must be unique within the repository');
    assert.equal(schemaError("twin", 1), 'Name "twin" is also used by models/command/shell/twin-a.yaml: names must be unique within the repository');
    assert.match(schemaError("warp") ?? "", /^Unknown driver type: "warp"\. Available types: .*docker.*raw/);
    assert.match(schemaError("boxed") ?? "", /^Invalid config for driver "docker": image: /);
    assert.equal(byName.get("fine")?.[0]?.passed, true);
    const broken = byName.get("models/command/shell/f6f6f6f6-0000-4000-8000-000000000006.yaml")?.[0];
    assert.match(broken?.validations[0]?.error ?? "", /^models\/command\/shell\/f6f6f6f6-0000-4000-8000-000000000006\.yaml: version: /);

    const one = await swamp(["model", "validate", "flowy", "--json", "--repo-dir", repo]);
    assert.equal(one.code, 1);
    const error = parseJson(one.stderr).error;
    assert.equal(error.code, "definition_invalid");
    assert.match(error.message, /^models\/command\/shell\/f6f6f6f6-0000-4000-8000-000000000006\.yaml: version: /);
    const twin = await swamp(["model", "validate", "a1a1a1a1-0000-4000-8000-000000000001", "--json", "--repo-dir", repo]);
    assert.equal(twin.code, 1);
    assert.match(parseJson(twin.stdout).validations[0].error, /also used by models\/command\/shell\/twin-b\.yaml/);
  });
});

test("the docker driver reports the engine's own error, not its pointer to --help", async () => {
  await withRepo(async (repo) => {
    const bin = join(repo, "..", "bin");
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, "docker"),
      [
        "#!/bin/sh",
        "echo 'docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?.' >&2",
        "echo \"Run 'docker run --help' for more information\" >&2",
        "exit 125",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    await writeShellModel(repo, "boxed.yaml", "type: command/shell\nid: 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a\nname: boxed\ndriver: docker\ndriverConfig:\n  image: alpine:3\n");
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    const r = await swamp(["model", "method", "run", "boxed", "execute", "--input", "run=echo hi", "--json", "--repo-dir", repo], { env });
    assert.equal(r.code, 1);
    assert.equal(
      parseJson(r.stderr).error.message,
      "Container engine error (docker exited with code 125): docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?.",
    );
    const text = await swamp(["model", "method", "run", "boxed", "execute", "--input", "run=echo hi", "--repo-dir", repo], { env });
    assert.match(text.stderr, /^Error: Container engine error \(docker exited with code 125\): docker: Cannot connect to the Docker daemon/m);
    assert.doesNotMatch(text.stderr, /^Error: .*--help/m);
  });
});

const BUCKET_STORE = `import { z } from "npm:zod@4";
export const datastore = {
  type: "@myorg/bucket-store",
  name: "Bucket store",
  description: "Keeps runtime data in our object store",
  configSchema: z.object({ bucket: z.string() }),
  createProvider: (_config: Record<string, unknown>) => ({
    createLock: () => ({
      acquire: async () => {},
      release: async () => {},
      withLock: async <T>(fn: () => Promise<T>) => await fn(),
      inspect: async () => null,
      forceRelease: async (_nonce: string) => false,
    }),
    createVerifier: () => ({ verify: async () => ({ healthy: true, message: "OK", latencyMs: 1, datastoreType: "@myorg/bucket-store" }) }),
    createSyncService: (_repoDir: string, _cachePath: string) => ({
      pullChanged: async () => 2,
      pushChanged: async () => 1,
      markDirty: async () => {},
    }),
    resolveDatastorePath: (repoDir: string) => repoDir + "/.bucket-store",
    resolveCachePath: (repoDir: string) => repoDir + "/.bucket-cache",
  }),
};
`;

test("datastore sync names a custom datastore by its type and its own description, never as s3://", async () => {
  await withRepo(async (repo) => {
    await mkdir(join(repo, "extensions", "datastores", "bucket"), { recursive: true });
    await writeFile(join(repo, "extensions", "datastores", "bucket", "mod.ts"), BUCKET_STORE);
    await appendFile(join(repo, ".swamp.yaml"), 'datastore:\n  type: "@myorg/bucket-store"\n  config:\n    bucket: "team-data"\n');
    const r = await swamp(["datastore", "sync", "--repo-dir", repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Pulled 2 file(s) from @myorg/bucket-store (Keeps runtime data in our object store)\nPushed 1 file(s) to @myorg/bucket-store (Keeps runtime data in our object store)\n",
    );
  });
});

test("one-line data query errors, the log's content type in type describe, and a lock holder named by the real user", async () => {
  await withRepo(async (repo) => {
    const unknown = await swamp(["data", "query", 'foo == "x"', "--json", "--repo-dir", repo]);
    assert.equal(unknown.code, 1);
    const error = parseJson(unknown.stderr).error;
    assert.equal(error.code, "query_failed");
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, /^Unknown field "foo" in query predicate\. Available: attributes, content, contentType, .*, version, workflowName, workflowRunId$/);
    const text = await swamp(["data", "query", 'foo == "x"', "--repo-dir", repo]);
    assert.match(text.stderr, /^Error: Unknown field "foo" in query predicate\. Available: attributes, content, /);
    const none = await swamp(["data", "query", "--json", "--repo-dir", repo]);
    assert.equal(none.code, 2, none.stderr);
    assert.doesNotMatch(parseJson(none.stderr).error.message, /\n/);

    const described = await swamp(["model", "type", "describe", "command/shell", "--repo-dir", repo]);
    assert.match(described.stdout, /^ {2}log \[file\] — Shell command output, text\/plain \(infinite, streaming\)$/m);
    assert.match(described.stdout, /^ {2}result \[resource\] — Shell command execution result \(infinite\)$/m);

    // The method prints its own model's lock while holding it; no USER in the environment.
    const id = "5e4d3c2b-1a09-4876-8543-210fedcba987";
    await writeShellModel(repo, "locked.yaml", `type: command/shell\nid: ${id}\nname: locked\n`);
    const lockFile = join(repo, ".swamp", ".locks", "models", `command%2Fshell~${id}.lock`);
    const r = await swamp(["model", "method", "run", "locked", "execute", "--input", `run=cat '${lockFile}'`, "--json", "--repo-dir", repo], {
      env: { USER: undefined, USERNAME: undefined },
    });
    assert.equal(r.code, 0, r.stderr);
    const holder = JSON.parse(String(resultStdout(r.stdout))).holder;
    assert.equal(holder, `${userInfo().username}@${hostname()}`);
  });
});
