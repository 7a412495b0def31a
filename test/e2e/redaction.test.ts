/**
 * Redaction never corrupts structure: vault secrets that look like JSON keys or JSON syntax
 * (`stdout`, `exitCode`, `","`, `{`, `"`, `methods`) are used by real runs of the CLI. Every run succeeds,
 * every stored resource and report parses with its keys intact, and the secret values are
 * replaced by `***` inside string values and log lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { parse } from "yaml";
import { parseJson, swamp, withTempDir, type RunResult } from "../helpers/cli.js";
import { shellDefinition } from "../helpers/definitions.js";

const SECRETS: Record<string, string> = {
  s1: "stdout",
  s2: "exitCode",
  s3: '","',
  s4: "{",
  s5: '"',
  s6: "methods",
};
const RESULT_KEYS = ["command", "durationMs", "executedAt", "exitCode", "stderr", "stdout"];

/** Every file below `dir` whose name is `name`. */
async function filesNamed(dir: string, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name === name) out.push(join(e.parentPath, e.name));
  }
  return out;
}

test("secrets equal to JSON keys or JSON syntax: runs succeed, stored JSON parses with its keys, values are redacted", async () => {
  await withTempDir(async (dir) => {
    const repo = join(dir, "repo");
    const env = { HOME: join(dir, "home"), SWAMP_HOME: join(dir, "home", ".swamp") };
    const run = (args: string[], input?: string): Promise<RunResult> =>
      swamp([...args, "--repo-dir", repo], { env, ...(input === undefined ? {} : { input }) });
    const ok = async (args: string[], input?: string): Promise<RunResult> => {
      const r = await run(args, input);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      return r;
    };
    assert.equal((await swamp(["repo", "init", repo, "--json"], { env })).code, 0);
    await ok(["vault", "create", "local_encryption", "dev"]);
    const models = join(repo, "models", "command", "shell");
    await mkdir(models, { recursive: true });
    let n = 0;
    for (const [key, value] of Object.entries(SECRETS)) {
      await ok(["vault", "put", "dev", key], value);
      n++;
      // The secret reaches the command as an env var; it is printed alone and inside JSON-looking text.
      await writeFile(
        join(models, `${key}.yaml`),
        shellDefinition({
          id: `a1b2c3d4-0000-4000-8000-00000000000${n}`,
          name: `m-${key}`,
          run: `printf 'hello %s\\n{"v":"%s"}\\n' "$S" "$S"`,
          env: { S: `"\${{ vault.get('dev', '${key}') }}"` },
        }),
      );
    }

    for (const [key, value] of Object.entries(SECRETS)) {
      const model = `m-${key}`;
      const view = parseJson((await ok(["model", "method", "run", model, "execute", "--json"])).stdout);
      assert.equal(view.status, "succeeded");
      const artifact = view.dataArtifacts.find((a: { name: string }) => a.name === "result");
      assert.deepEqual(Object.keys(artifact.attributes).sort(), RESULT_KEYS, `${key}: keys of the run view`);
      await ok(["model", "method", "run", model, "execute"]); // text mode, second version

      const got = parseJson((await ok(["data", "get", model, "result", "--json"])).stdout);
      assert.deepEqual(Object.keys(got.content).sort(), RESULT_KEYS, `${key}: keys of the stored resource`);
      assert.equal(got.content.exitCode, 0);
      const logs = (await ok(["model", "output", "logs", model])).stdout;
      if (value.length >= 3) {
        // Values of 3 characters or more are redacted wherever they occur in a value or a line.
        assert.equal(got.content.stdout, 'hello ***\n{"v":"***"}', `${key}: stdout value`);
        assert.match(logs, /hello \*\*\*/);
        assert.ok(!logs.includes(`hello ${value}`), `${key}: secret in the run log`);
        const log = (await ok(["data", "get", model, "log"])).stdout;
        assert.ok(!log.includes(`hello ${value}`), `${key}: secret in the log data`);
      } else {
        // Shorter values are not redacted (they would shred ordinary text) and reach the data unchanged.
        assert.equal(got.content.stdout, `hello ${value}\n{"v":"${value}"}`);
      }
    }

    // Every stored resource, report and evaluated definition is intact.
    for (const raw of await filesNamed(join(repo, ".swamp", "data"), "raw")) {
      if (raw.includes(`${sep}result${sep}`)) {
        const content = JSON.parse(await readFile(raw, "utf8")) as Record<string, unknown>;
        assert.deepEqual(Object.keys(content).sort(), RESULT_KEYS, raw);
      } else if (raw.includes("-json")) {
        const report = JSON.parse(await readFile(raw, "utf8")) as Record<string, unknown>;
        assert.equal(report.status, "succeeded", raw);
      }
    }
    const evaluated = (await readdir(join(repo, ".swamp", "definitions-evaluated"), { recursive: true })).filter((f) => f.endsWith(".yaml"));
    assert.equal(evaluated.length, Object.keys(SECRETS).length);
    for (const f of evaluated) {
      const definition = parse(await readFile(join(repo, ".swamp", "definitions-evaluated", f), "utf8"));
      assert.match(definition.methods.execute.arguments.run, /^printf/, f);
    }
  });
});
