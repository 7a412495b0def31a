/**
 * An extension's stack traces point at the user's TypeScript (the bundle carries a source
 * map, and the worker has Node map stacks through it): an error it logs to the console, a
 * stack the extension reads itself, and the stack of an error it throws (with --verbose).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { swamp, withRepo } from "../helpers/cli.js";
import { writeSource } from "../plugins/fixtures.js";

const THROWER = `import { z } from "npm:zod@4";

type Ctx = { logger: { info(text: string): void } };

function deep(): never {
  throw new Error("failed on purpose");
}

export const model = {
  type: "@test/thrower",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  methods: {
    tell: {
      description: "Logs stacks",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: Ctx) => {
        const own = new Error("own stack");
        console.log("read: " + own.stack);
        console.error(new Error("logged error"));
        ctx.logger.info("done");
        return {};
      },
    },
    fail: {
      description: "Throws",
      arguments: z.object({}),
      execute: async () => deep(),
    },
  },
};
`;

/** `line:column` of some text in the extension's source, as a mapped stack frame names it. */
function where(text: string): string {
  const lines = THROWER.split("\n");
  const line = lines.findIndex((l) => l.includes(text));
  return `${line + 1}:${lines[line]!.indexOf(text) + 1}`;
}

test("extension stack traces name the TypeScript source lines, in logged errors and in stacks read by the extension", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/thrower.ts", THROWER);
    const created = await swamp(["model", "create", "@test/thrower", "t", "--repo-dir", repo]);
    assert.equal(created.code, 0, created.stderr);

    const told = await swamp(["model", "method", "run", "t", "tell", "--repo-dir", repo]);
    assert.equal(told.code, 0, told.stderr);
    const out = told.stdout + told.stderr;
    assert.match(out, new RegExp(`read: Error: own stack\\s+at Object\\.execute \\([^)\\n]*thrower\\.ts:${where('new Error("own stack")')}\\)`), out);
    assert.match(out, new RegExp(`Error: logged error\\s+at Object\\.execute \\([^)\\n]*thrower\\.ts:${where('new Error("logged error")')}\\)`), out);
    assert.doesNotMatch(out, /thrower-[0-9a-f]+\.[cm]js/, "no frame left pointing into the bundle");
    // Frames name the file the user wrote, where it is, not a path beside the cached bundle.
    const frames = [...out.matchAll(/\((file:\/\/)?([^()\n]*thrower\.ts):\d+:\d+\)/g)].map((m) => m[2]!);
    assert.ok(frames.length >= 2, out);
    for (const frame of frames) assert.equal(frame, join(repo, "extensions", "models", "thrower.ts"), out);
  });
});

test("with --verbose, a method run that an extension's error ends shows the extension's own stack", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/thrower.ts", THROWER);
    assert.equal((await swamp(["model", "create", "@test/thrower", "t", "--repo-dir", repo])).code, 0);
    const frame = new RegExp(`Caused in the extension by: Error: failed on purpose\\s+at deep \\([^)\\n]*thrower\\.ts:${where('new Error("failed on purpose")')}\\)`);

    const plain = await swamp(["model", "method", "run", "t", "fail", "--repo-dir", repo]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /failed in method fail: failed on purpose/);
    assert.doesNotMatch(plain.stderr, /Caused in the extension|at deep/, "no stack without --verbose");

    const verbose = await swamp(["model", "method", "run", "t", "fail", "--verbose", "--repo-dir", repo]);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, frame, verbose.stderr);

    const json = await swamp(["model", "method", "run", "t", "fail", "--verbose", "--json", "--repo-dir", repo]);
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stderr) as { error: { code: string; stack?: string } };
    assert.equal(body.error.code, "extension_error");
    assert.match(body.error.stack ?? "", frame);
  });
});

test("under sandbox isolation too, stacks name the TypeScript source lines", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/thrower.ts", THROWER);
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    assert.equal((await swamp(["model", "create", "@test/thrower", "t", "--repo-dir", repo])).code, 0);
    const told = await swamp(["model", "method", "run", "t", "tell", "--repo-dir", repo]);
    assert.equal(told.code, 0, told.stderr);
    assert.match(told.stdout + told.stderr, new RegExp(`read: Error: own stack\\s+at Object\\.execute \\([^)\\n]*thrower\\.ts:${where('new Error("own stack")')}\\)`));
    const failed = await swamp(["model", "method", "run", "t", "fail", "--verbose", "--repo-dir", repo]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`at deep \\([^)\\n]*thrower\\.ts:${where('new Error("failed on purpose")')}\\)`), failed.stderr);
  });
});

test("an extension whose own Error.prepareStackTrace throws still fails with its error's message, not as a crash", async () => {
  await withRepo(async (repo) => {
    await writeSource(
      repo,
      "extensions/models/thrower.ts",
      THROWER.replace("execute: async () => deep(),", 'execute: async () => {\n        Error.prepareStackTrace = () => {\n          throw new Error("formatter exploded");\n        };\n        deep();\n      },'),
    );
    assert.equal((await swamp(["model", "create", "@test/thrower", "t", "--repo-dir", repo])).code, 0);
    const failed = await swamp(["model", "method", "run", "t", "fail", "--json", "--repo-dir", repo]);
    assert.equal(failed.code, 1);
    const body = JSON.parse(failed.stderr) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "extension_error", failed.stderr);
    assert.match(body.error.message, /failed in method fail: failed on purpose$/);
  });
});
