/**
 * Extensions written for swamp (Deno programs) through the real CLI, in both isolation levels:
 * a model type that reads `Deno.env` at module scope and in its method, shells out with
 * `new Deno.Command(...).output()` and a `spawn()` with piped stdin/stdout, writes and reads
 * temp files with Deno's file APIs and catches `Deno.errors.NotFound` with instanceof. Under
 * `sandbox` isolation the module still loads and reads its (filtered) environment, and the
 * spawn and a file read outside its grants are refused as `extension_permission_denied`
 * naming the Deno call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { writeSource } from "../plugins/fixtures.js";

const DENO_MODEL = `import { z } from "npm:zod@4";

// Read at module scope, as many real extensions do.
const REGION = Deno.env.get("DENO_COMPAT_REGION") ?? "unset";

export const model = {
  type: "@test/deno-shell",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  resources: {
    report: { description: "What the method saw", schema: z.record(z.string(), z.unknown()), lifetime: "infinite", garbageCollection: 5 },
  },
  methods: {
    shell: {
      description: "Shells out and uses the file system the Deno way",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => {
        const out = await new Deno.Command("sh", {
          args: ["-c", 'echo "$GREETING $DENO_COMPAT_REGION"; echo warned >&2; exit 2'],
          env: { GREETING: "hi" },
        }).output();
        const child = new Deno.Command("sh", { args: ["-c", "tr a-z A-Z"], stdin: "piped", stdout: "piped" }).spawn();
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode("through a pipe"));
        await writer.close();
        const piped = await child.output();
        // spawn() inherits stdout by default: it must reach swamp's log, never swamp's stdout.
        const inherited = await new Deno.Command("sh", { args: ["-c", "echo inherited-line"] }).spawn().status;

        const dir = await Deno.makeTempDir({ prefix: "deno-compat-" });
        await Deno.writeTextFile(dir + "/state.json", JSON.stringify({ n: 1 }));
        await Deno.writeTextFile(dir + "/state.json", "", { append: true });
        const state = JSON.parse(await Deno.readTextFile(dir + "/state.json"));
        const names: string[] = [];
        for await (const entry of Deno.readDir(dir)) names.push(entry.name + (entry.isFile ? ":file" : ""));
        let missing = "not thrown";
        try {
          await Deno.readTextFile(dir + "/absent.json");
        } catch (err) {
          missing = err instanceof Deno.errors.NotFound ? "NotFound" : String(err);
        }
        await Deno.remove(dir, { recursive: true });
        let removed = false;
        try {
          Deno.statSync(dir);
        } catch (err) {
          removed = err instanceof Deno.errors.NotFound;
        }

        const handle = await ctx.writeResource("report", "main", {
          region: REGION,
          regionInMethod: Deno.env.get("DENO_COMPAT_REGION") ?? "unset",
          code: out.code,
          success: out.success,
          stdout: new TextDecoder().decode(out.stdout),
          stderr: new TextDecoder().decode(out.stderr),
          piped: new TextDecoder().decode(piped.stdout),
          pipedSuccess: piped.success,
          inherited: inherited.success,
          state,
          names,
          missing,
          removed,
          os: Deno.build.os,
        });
        return { dataHandles: [handle] };
      },
    },
    env: {
      description: "Reports what it sees of the environment",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => {
        const handle = await ctx.writeResource("report", "main", {
          region: REGION,
          hasPath: Deno.env.has("PATH"),
          names: Object.keys(Deno.env.toObject()).sort(),
          os: Deno.build.os,
          arch: Deno.build.arch,
        });
        return { dataHandles: [handle] };
      },
    },
    read: {
      description: "Reads a file",
      arguments: z.object({ path: z.string() }),
      execute: async (args: { path: string }) => {
        await Deno.readTextFile(args.path);
        return {};
      },
    },
    exit: { description: "Calls Deno.exit", arguments: z.object({}), execute: async () => Deno.exit(4) },
  },
};
`;

async function report(run: { code: number; stdout: string; stderr: string }, repo: string): Promise<Record<string, unknown>> {
  assert.equal(run.code, 0, run.stderr);
  const main = parseJson(run.stdout).dataArtifacts.find((a: { name: string }) => a.name === "main");
  return JSON.parse(await readFile(join(repo, main.path, "raw"), "utf8"));
}

test("a Deno extension runs unchanged under worker isolation: env, Command, spawn, files, errors", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/deno-shell.ts", DENO_MODEL);
    const env = { DENO_COMPAT_REGION: "eu-west-1" };
    const created = await swamp(["model", "create", "@test/deno-shell", "box", "--json", "--repo-dir", repo], { env });
    assert.equal(created.code, 0, created.stderr);

    const shell = await swamp(["model", "method", "run", "box", "shell", "--json", "--repo-dir", repo], { env });
    assert.ok(!shell.stdout.includes("inherited-line"), "a child's inherited stdout stays out of swamp's --json stdout");
    const seen = await report(shell, repo);
    assert.deepEqual(seen, {
      region: "eu-west-1",
      regionInMethod: "eu-west-1",
      code: 2,
      success: false,
      stdout: "hi eu-west-1\n",
      stderr: "warned\n",
      piped: "THROUGH A PIPE",
      pipedSuccess: true,
      inherited: true,
      state: { n: 1 },
      names: ["state.json:file"],
      missing: "NotFound",
      removed: true,
      os: process.platform === "darwin" ? "darwin" : "linux",
    });

    const exit = await swamp(["model", "method", "run", "box", "exit", "--json", "--repo-dir", repo], { env });
    assert.equal(parseJson(exit.stderr).error.code, "extension_crashed");
    assert.match(parseJson(exit.stderr).error.message, /exit\(4\)/);
  });
});

test("under sandbox isolation the Deno global works within the grants; a spawn and a foreign read are refused naming the call", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/deno-shell.ts", DENO_MODEL);
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    const secret = join(repo, "..", "secret.txt");
    await writeFile(secret, "top secret\n");
    const env = { DENO_COMPAT_REGION: "eu-west-1" };
    const created = await swamp(["model", "create", "@test/deno-shell", "box", "--json", "--repo-dir", repo], { env });
    assert.equal(created.code, 0, created.stderr);

    const seen = await report(await swamp(["model", "method", "run", "box", "env", "--json", "--repo-dir", repo], { env }), repo);
    assert.equal(seen.region, "unset", "the sandbox's filtered environment does not carry the CLI's variables");
    assert.equal(seen.hasPath, true);
    for (const name of seen.names as string[]) assert.ok(["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ"].includes(name), `unexpected variable ${name}`);
    assert.ok(["x86_64", "aarch64"].includes(seen.arch as string));

    const spawned = await swamp(["model", "method", "run", "box", "shell", "--json", "--repo-dir", repo], { env });
    assert.equal(spawned.code, 1, spawned.stdout);
    const spawnError = parseJson(spawned.stderr).error;
    assert.equal(spawnError.code, "extension_permission_denied", spawnError.message);
    assert.match(spawnError.message, /model extension @test\/deno-shell \(extensions\/models\/deno-shell\.ts\) was denied ChildProcess access to sh by Deno\.Command/);

    const read = await swamp(["model", "method", "run", "box", "read", "--input", `path=${secret}`, "--json", "--repo-dir", repo], { env });
    assert.equal(read.code, 1, read.stdout);
    const readError = parseJson(read.stderr).error;
    assert.equal(readError.code, "extension_permission_denied", readError.message);
    assert.ok(readError.message.includes(`was denied FileSystemRead access to ${secret} by Deno.readTextFile`), readError.message);
  });
});
