/**
 * User input has a size cap checked before it is held: `--input-file`, `@file` values, YAML
 * piped to `model edit` and a secret piped to `vault put`. Over the cap is `input_too_large`
 * with exit code 2 and nothing changed; the cap is 10 MiB unless SWAMP_INPUT_MAX_BYTES says.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

const SMALL_CAP = { SWAMP_INPUT_MAX_BYTES: "1000" };

function assertTooLarge(r: { code: number; stderr: string }, what: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const err = parseJson(r.stderr).error;
  assert.equal(err.code, "input_too_large", err.message);
  assert.match(err.message, what);
  assert.match(err.message, /SWAMP_INPUT_MAX_BYTES/);
}

test("inputs over the cap are refused before they are read: input_too_large, exit 2, nothing changed", async () => {
  await withRepo(async (repo) => {
    const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
      swamp([...args, "--json", "--repo-dir", repo], options);
    const created = parseJson((await cli(["model", "create", "command/shell", "m"])).stdout);
    await cli(["vault", "create", "local_encryption", "dev"]);
    const big = join(repo, "..", "big.yaml");
    await writeFile(big, `run: echo ${"x".repeat(2000)}\n`);
    const small = join(repo, "..", "small.yaml");
    await writeFile(small, "run: echo small\n");
    const before = await snapshotTree(repo);

    assertTooLarge(await cli(["model", "method", "run", "m", "execute", "--input-file", big], { env: SMALL_CAP }), /--input-file .*big\.yaml is 2\d\d\d bytes; inputs are limited to 1000 bytes/);
    assertTooLarge(await cli(["model", "method", "run", "m", "execute", "--input", `run=@${big}`], { env: SMALL_CAP }), /big\.yaml/);
    assertTooLarge(await cli(["model", "edit", "m"], { input: `name: m\n# ${"x".repeat(2000)}\n`, env: SMALL_CAP }), /definition on stdin/);
    assertTooLarge(await cli(["vault", "put", "dev", "k"], { input: "s".repeat(2000), env: SMALL_CAP }), /secret on stdin/);
    assert.deepEqual(await snapshotTree(repo), before, "nothing was written");

    // Under the cap all is as before.
    const ok = await cli(["model", "method", "run", "m", "execute", "--input-file", small], { env: SMALL_CAP });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await cli(["vault", "put", "dev", "k"], { input: "short", env: SMALL_CAP })).code, 0);

    // The default cap is 10 MiB: an 11 MiB (sparse) file is refused from its size alone.
    const huge = join(repo, "..", "huge.yaml");
    const handle = await open(huge, "w");
    await handle.truncate(11 * 1024 * 1024);
    await handle.close();
    assertTooLarge(await cli(["model", "method", "run", "m", "execute", "--input-file", huge]), /is 11\.0 MiB; inputs are limited to 10\.0 MiB/);

    const badCap = await cli(["model", "method", "run", "m", "execute", "--input-file", small], { env: { SWAMP_INPUT_MAX_BYTES: "lots" } });
    assert.equal(badCap.code, 2);
    assert.equal(parseJson(badCap.stderr).error.code, "usage");
    assert.ok(created.id);
  });
});

test("endless stdin is abandoned once it passes the cap", async () => {
  await withRepo(async (repo) => {
    assert.equal((await swamp(["model", "create", "command/shell", "m", "--repo-dir", repo])).code, 0);
    const child = spawn(process.execPath, [SWAMP_BIN, "model", "edit", "m", "--json", "--repo-dir", repo], {
      env: cleanEnv({ SWAMP_INPUT_MAX_BYTES: "100000" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {}); // the reader goes away mid-write
    const line = Buffer.from(`# ${"y".repeat(1021)}\n`);
    let exited = false;
    const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    void exit.then(() => (exited = true));
    // Keep writing until swamp gives up (at most 20 MiB: a reader without a running cap takes it all).
    const limit = 20 * 1024 * 1024;
    let written = 0;
    while (!exited && written < limit) {
      if (!child.stdin.write(line)) await new Promise((r) => setTimeout(r, 5));
      written += line.length;
      await new Promise((r) => setImmediate(r));
    }
    child.stdin.end();
    assert.equal(await exit, 2, stderr);
    assert.ok(written < limit, "swamp stopped reading long before the writer finished");
    assert.equal(parseJson(stderr).error.code, "input_too_large");
  });
});
