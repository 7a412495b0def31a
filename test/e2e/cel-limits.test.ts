/**
 * CEL through the real CLI under hostile expressions: a catastrophic-backtracking regex runs in
 * linear time, a regex RE2 cannot compile is a clear `invalid_regex`, and a comprehension of
 * 10^7 elements stops at the evaluation budget. A hang fails through the helper's subprocess
 * timeout (the child is killed), never through a timed assertion.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo, type RunResult } from "../helpers/cli.js";
import { shellDefinition } from "../helpers/definitions.js";

/** Exponential backtracking for a backtracking engine: 2^38 ways to split the a's. */
const EVIL_INPUT = `${"a".repeat(38)}!`;
const EVIL_PATTERN = "^(a+)+$";
/** Ten million elements: 1000 × 1000 × 10, from list literals (cel-js caps a literal at 1000). */
const THOUSAND = `[${Array.from({ length: 1000 }, (_, i) => i).join(",")}]`;
const TEN_MILLION = `${THOUSAND}.map(x, ${THOUSAND}.map(y, [0,1,2,3,4,5,6,7,8,9].map(z, z))).size()`;

async function writeShellModel(repo: string, name: string, run: string): Promise<void> {
  await mkdir(join(repo, "models", "command", "shell"), { recursive: true });
  const yaml = shellDefinition({ id: "6d1f0c4e-5a7b-4c8d-9e0f-1a2b3c4d5e6f", name, run: JSON.stringify(run) });
  await writeFile(join(repo, "models", "command", "shell", `${name}.yaml`), yaml);
}

function stdoutOf(r: RunResult): string {
  assert.equal(r.code, 0, r.stderr);
  return parseJson(r.stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout;
}

/** The --json error of a failed command, after checking its text form is one line. */
async function failure(args: string[]): Promise<{ code: string; message: string }> {
  const json = await swamp([...args, "--json"]);
  assert.equal(json.code, 1, json.stdout + json.stderr);
  const text = await swamp(args);
  assert.equal(text.code, 1);
  assert.equal(text.stderr.trim().split("\n").length, 1, `one line, no stack trace: ${text.stderr}`);
  assert.doesNotMatch(text.stderr, /\n\s+at /);
  return parseJson(json.stderr).error;
}

test("a definition with a catastrophic regex evaluates to the right booleans (linear-time engine)", async () => {
  await withRepo(async (repo) => {
    await writeShellModel(
      repo,
      "evil",
      `echo \${{ '${EVIL_INPUT}'.matches('${EVIL_PATTERN}') }} \${{ '${"a".repeat(38)}'.matches('${EVIL_PATTERN}') }} \${{ 'Prod-1'.matches('(?i)^prod-[0-9]+$') }}`,
    );
    const r = await swamp(["model", "method", "run", "evil", "execute", "--json", "--repo-dir", repo]);
    assert.equal(stdoutOf(r), "false true true");
    const status = parseJson((await swamp(["datastore", "lock", "status", "--json", "--repo-dir", repo])).stdout);
    assert.deepEqual(status.models, [], "no lock left behind");
  });
});

test("a regex RE2 cannot compile fails the run with invalid_regex", async () => {
  await withRepo(async (repo) => {
    await writeShellModel(repo, "lookahead", "echo ${{ 'ab'.matches('a(?=b)') }}");
    const err = await failure(["model", "method", "run", "lookahead", "execute", "--repo-dir", repo]);
    assert.equal(err.code, "invalid_regex", err.message);
    assert.match(err.message, /a\(\?=b\)/, "names the pattern");
  });
});

test("a 10^7-element comprehension fails fast with expression_budget_exceeded", async () => {
  await withRepo(async (repo) => {
    await writeShellModel(repo, "huge", `echo \${{ ${TEN_MILLION} }}`);
    const err = await failure(["model", "method", "run", "huge", "execute", "--repo-dir", repo]);
    assert.equal(err.code, "expression_budget_exceeded", err.message);
    assert.match(err.message, /methods\.execute\.arguments\.run/, "names the field");
  });
});

test("data query with a catastrophic regex predicate completes; invalid regexes and huge predicates are clear errors", async () => {
  await withRepo(async (repo) => {
    const empty = await failure(["data", "query", 'name.matches("a(?=b)")', "--repo-dir", repo]);
    assert.equal(empty.code, "invalid_regex", "a literal pattern is checked even when there is no data to match");

    const created = await swamp(["model", "create", "command/shell", "src", "--repo-dir", repo]);
    assert.equal(created.code, 0, created.stderr);
    const wrote = await swamp(["model", "method", "run", "src", "execute", "--input", `run=printf '${EVIL_INPUT}'`, "--json", "--repo-dir", repo]);
    assert.equal(stdoutOf(wrote), EVIL_INPUT);

    const query = async (predicate: string) => {
      const r = await swamp(["data", "query", predicate, "--json", "--repo-dir", repo]);
      assert.equal(r.code, 0, r.stderr);
      return parseJson(r.stdout).results.map((rec: { name: string }) => rec.name);
    };
    assert.deepEqual(await query(`name == "result" && attributes.stdout.matches("${EVIL_PATTERN}")`), []);
    assert.deepEqual(await query(`name == "result" && attributes.stdout.matches("^(a+)+!$")`), ["result"]);

    const invalid = await failure(["data", "query", `attributes.stdout.matches("(a)\\\\1")`, "--repo-dir", repo]);
    assert.equal(invalid.code, "invalid_regex", invalid.message);
    const huge = await failure(["data", "query", `${TEN_MILLION} > 0`, "--repo-dir", repo]);
    assert.equal(huge.code, "expression_budget_exceeded", huge.message);
  });
});

test("an input schema pattern with catastrophic backtracking is checked in linear time", async () => {
  await withRepo(async (repo) => {
    await writeShellModel(repo, "patterned", "echo ${{ inputs.word }}");
    const file = join(repo, "models", "command", "shell", "patterned.yaml");
    const { appendFile } = await import("node:fs/promises");
    await appendFile(file, `inputs:\n  properties:\n    word: { type: string, pattern: ${JSON.stringify(EVIL_PATTERN)} }\n  required: [word]\n`);
    const bad = await failure(["model", "method", "run", "patterned", "execute", "--input", `word=${EVIL_INPUT}`, "--repo-dir", repo]);
    assert.equal(bad.code, "input_validation_failed", bad.message);
    const good = await swamp(["model", "method", "run", "patterned", "execute", "--input", `word=${"a".repeat(38)}`, "--json", "--repo-dir", repo]);
    assert.equal(stdoutOf(good).trim(), "a".repeat(38));
  });
});
