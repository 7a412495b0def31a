/**
 * A method's output through every sink (terminal, run log, `log` data, `result`): batched
 * writes keep every line, in order, and a vault secret printed in two pieces (so it crosses
 * a read-chunk boundary of the pipe) is still redacted everywhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { parseJson, swamp, withTempDir, type RunResult } from "../helpers/cli.js";
import { shellDefinition } from "../helpers/definitions.js";

const SECRET = "hunter2-very-secret-value";
const ROWS = 20_000;

test("method output: every line in order in every sink; a secret split across chunks is redacted in each", async () => {
  await withTempDir(async (dir) => {
    const repo = join(dir, "repo");
    const env = { HOME: join(dir, "home"), SWAMP_HOME: join(dir, "home", ".swamp") };
    const ok = async (args: string[], input?: string): Promise<RunResult> => {
      const r = await swamp([...args, "--repo-dir", repo], { env, ...(input === undefined ? {} : { input }) });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      return r;
    };
    assert.equal((await swamp(["repo", "init", repo, "--json"], { env })).code, 0);
    await ok(["vault", "create", "local_encryption", "dev"]);
    await ok(["vault", "put", "dev", "token"], SECRET);
    const models = join(repo, "models", "command", "shell");
    await mkdir(models, { recursive: true });
    // Rows, then the secret in two writes with a pause between (two reads of the pipe), then stderr.
    const run = [
      `i=0; while [ $i -lt ${ROWS} ]; do echo "row $i"; i=$((i+1)); done`,
      `head="\${S%??????}"; printf 'before-%s' "$head"; sleep 0.3; printf '%s-after\\n' "\${S#"$head"}"`,
      "echo warn-line >&2",
    ].join("; ");
    await writeFile(
      join(models, "split.yaml"),
      shellDefinition({ id: "a1b2c3d4-0000-4000-8000-000000000001", name: "split", run: JSON.stringify(run), env: { S: `"\${{ vault.get('dev', 'token') }}"` } }),
    );
    const rows = Array.from({ length: ROWS }, (_, i) => `row ${i}`);

    // Text mode: the terminal gets every line, in order, redacted.
    const text = await ok(["model", "method", "run", "split", "execute"]);
    const printed = text.stdout.split("\n");
    assert.deepEqual(printed.slice(0, ROWS), rows);
    assert.equal(printed[ROWS], "before-***-after");
    assert.match(text.stderr, /^warn-line$/m);
    assert.ok(!text.stdout.includes(SECRET) && !text.stderr.includes(SECRET), "secret on the terminal");

    // JSON mode: the run log, the log data and the result.
    const view = parseJson((await ok(["model", "method", "run", "split", "execute", "--json"])).stdout);
    // Paths in the run view are relative to the repository.
    const inRepo = (path: string) => (isAbsolute(path) ? path : join(repo, path));
    const runLog = await readFile(inRepo(view.logFile), "utf8");
    assert.ok(!runLog.includes(SECRET), "secret in the run log");
    const logged = runLog.split("\n").filter((l) => / (INFO|WARN) /.test(l)).map((l) => l.replace(/^\S+ (INFO|WARN) /, ""));
    assert.deepEqual(logged, [...rows, "before-***-after", "warn-line"]);

    const result = view.dataArtifacts.find((a: { name: string }) => a.name === "result");
    assert.ok(result.attributes.stdout.endsWith(`row ${ROWS - 1}\nbefore-***-after`));
    assert.ok(!JSON.stringify(result.attributes).includes(SECRET), "secret in the result");

    const logData = view.dataArtifacts.find((a: { name: string }) => a.name === "log");
    const raw = await readFile(join(inRepo(logData.path), "raw"), "utf8");
    assert.equal(raw, ["[stdout]", ...rows, "before-***-after", "[stderr]", "warn-line"].join("\n"));
    const stored = JSON.stringify(await Promise.all((await readdir(join(repo, ".swamp"), { recursive: true })).map((f) => f)));
    assert.ok(!stored.includes(SECRET), "secret in a file name");
  });
});
