/**
 * `data get` checks a version's bytes against its stored checksum: a mismatch is served as it
 * is, with one warning line on stderr and `integrityWarning` in --json.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";

test("data get warns when the raw bytes no longer match the checksum, and still serves them", async () => {
  await withRepo(async (repo) => {
    const cli = (args: string[]) => swamp([...args, "--repo-dir", repo]);
    assert.equal((await cli(["model", "create", "command/shell", "m"])).code, 0);
    assert.equal((await cli(["model", "method", "run", "m", "execute", "--input", "run=echo hello"])).code, 0);

    const intact = await cli(["data", "get", "m", "result", "--json"]);
    assert.equal(intact.code, 0);
    assert.equal(intact.stderr, "");
    const meta = parseJson(intact.stdout);
    assert.equal(meta.integrityWarning, undefined);

    // Same length, other bytes: only the checksum can tell.
    const raw = join(repo, meta.contentPath);
    const text = await readFile(raw, "utf8");
    assert.ok(text.includes('"hello"'));
    await writeFile(raw, text.replace('"hello"', '"jello"'));

    const json = await cli(["data", "get", "m", "result", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const out = parseJson(json.stdout);
    assert.equal(out.content.stdout, "jello", "the data is still served");
    assert.match(out.integrityWarning, /does not match its checksum/);
    assert.equal(json.stderr.trim().split("\n").length, 1, json.stderr);
    assert.match(json.stderr, /^Warning: .*result.*version 1.*does not match its checksum/);

    const plain = await cli(["data", "get", "m", "result"]);
    assert.equal(plain.code, 0);
    assert.match(plain.stdout, /jello/);
    assert.equal(plain.stderr.trim().split("\n").length, 1, plain.stderr);
    assert.match(plain.stderr, /^Warning: .*does not match its checksum/);

    // Metadata only: a small item is still verified.
    const noContent = await cli(["data", "get", "m", "result", "--no-content", "--json"]);
    assert.match(parseJson(noContent.stdout).integrityWarning, /does not match its checksum/);

    // A file whose size changed is caught as well.
    await writeFile(raw, `${text}\n`);
    assert.match(parseJson((await cli(["data", "get", "m", "result", "--json"])).stdout).integrityWarning, /does not match its checksum/);
  });
});
