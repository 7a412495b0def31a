/**
 * Every message from a sandbox process is untrusted input: a sandboxed model method that
 * posts `null`, `42`, an unknown message type or a result with a wrong id shape on the IPC
 * channel ends as `extension_crashed` for that extension — one line, no stack trace, the
 * model lock released and the next run fine. A `process.binding` refusal names the operation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { writeSource } from "../plugins/fixtures.js";

const ROGUE_MODEL = `import { z } from "npm:zod@4";

const RAW: Record<string, unknown> = {
  null: null,
  number: 42,
  nonsense: { type: "nonsense" },
  "bad-id": { type: "result", id: "one", ok: true },
};

export const model = {
  type: "@test/rogue",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  resources: {
    out: { description: "Output", schema: z.object({ n: z.number() }), lifetime: "infinite", garbageCollection: 5 },
  },
  methods: {
    send: {
      description: "Posts a raw message on the IPC channel, then waits",
      arguments: z.object({ what: z.string() }),
      execute: async (args: { what: string }) => {
        (process as any).send(RAW[args.what]);
        return new Promise(() => {});
      },
    },
    binding: {
      description: "Reaches for process.binding",
      arguments: z.object({}),
      execute: async () => {
        (process as any).binding("fs");
        return {};
      },
    },
    ok: {
      description: "Writes a resource",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => ({ dataHandles: [await ctx.writeResource("out", "main", { n: 1 })] }),
    },
  },
};
`;

/** Lock files anywhere under `dir`. */
function lockFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) => /\.lock$/.test(p));
}

test("a malformed message from a sandbox process is extension_crashed, with locks released", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/rogue.ts", ROGUE_MODEL);
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    const run = (method: string, input: string[] = [], json = true) =>
      swamp(["model", "@test/rogue", "method", "run", method, "r", ...input, ...(json ? ["--json"] : []), "--repo-dir", repo], { timeoutMs: 30_000 });

    const cases: Array<[string, RegExp]> = [
      ["null", /expected a message object, got null/],
      ["number", /expected a message object, got number/],
      ["nonsense", /unknown message type \("nonsense"\)/],
      ["bad-id", /bad "result" message: id: /],
    ];
    for (const [what, problem] of cases) {
      const r = await run("send", ["--input", `what=${what}`]);
      assert.equal(r.code, 1, `${what}: ${r.stdout}\n${r.stderr}`);
      const error = parseJson(r.stderr).error;
      assert.equal(error.code, "extension_crashed", `${what}: ${error.message}`);
      assert.match(error.message, /The model extension @test\/rogue \(extensions\/models\/rogue\.ts\) sent a malformed message during /);
      assert.match(error.message, problem);
      assert.doesNotMatch(r.stderr, /TypeError|\n\s+at /, `${what}: no stack trace`);
      assert.deepEqual(lockFiles(join(repo, ".swamp")), [], `${what}: locks released`);
    }

    const text = await run("send", ["--input", "what=null"], false);
    assert.equal(text.code, 1);
    // The usual failed-run report (run header, log file) with the error as one line, no stack.
    const errors = text.stderr.split("\n").filter((l) => /malformed/.test(l));
    assert.equal(errors.length, 1, text.stderr);
    assert.match(errors[0] ?? "", /^Error: The model extension @test\/rogue .* sent a malformed message .*got null\); it was stopped$/);
    assert.doesNotMatch(text.stderr, /TypeError|\n\s+at /);

    const ok = await run("ok");
    assert.equal(ok.code, 0, ok.stderr);
  });
});

test("a sandbox denial of process.binding names the operation and no empty path", async () => {
  await withRepo(async (repo) => {
    await writeSource(repo, "extensions/models/rogue.ts", ROGUE_MODEL);
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    const r = await swamp(["model", "@test/rogue", "method", "run", "binding", "r", "--json", "--repo-dir", repo]);
    assert.equal(r.code, 1, r.stdout);
    const error = parseJson(r.stderr).error;
    assert.equal(error.code, "extension_permission_denied");
    assert.match(error.message, /was denied access to process\.binding during /);
    assert.doesNotMatch(error.message, /denied {2}|access to {2}| to during/);
  });
});
