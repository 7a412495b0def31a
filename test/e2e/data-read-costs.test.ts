/**
 * Read commands do only the work their output needs: `data query` in text form never opens a
 * match's content (it prints none), while --json still does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo, type RunResult } from "../helpers/cli.js";

/**
 * Runs `run` while a writer waits on the FIFO at `fifo`: if the command opens it for reading,
 * it receives `body`. Reports whether it did (no clock involved: the writer's open returns only
 * once a reader has opened the FIFO, and the command cannot finish its read before that).
 */
async function watchingFifo(fifo: string, body: string, run: () => Promise<RunResult>): Promise<{ result: RunResult; opened: boolean }> {
  let opened = false;
  const writer = open(fifo, "w").then(async (handle) => {
    opened = true;
    await handle.writeFile(body);
    await handle.close();
  });
  const result = await run();
  const readByCommand = opened;
  if (!readByCommand) {
    // Nobody read it: open the read end ourselves so the pending writer returns.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    await writer;
    closeSync(fd);
  } else await writer;
  return { result, opened: readByCommand };
}

test("data query: text output never reads content, --json still does", async () => {
  await withRepo(async (repo) => {
    const cli = (args: string[]) => swamp([...args, "--repo-dir", repo]);
    assert.equal((await cli(["model", "create", "command/shell", "m"])).code, 0);
    assert.equal((await cli(["model", "method", "run", "m", "execute", "--input", "run=echo hello"])).code, 0);
    const meta = parseJson((await cli(["data", "get", "m", "result", "--no-content", "--json"])).stdout);
    const raw = join(repo, meta.contentPath);
    await rm(raw);
    execFileSync("mkfifo", [raw]);

    const text = await watchingFifo(raw, '{"stdout":"from fifo"}', () => cli(["data", "query", 'name == "result"']));
    assert.equal(text.result.code, 0, text.result.stderr);
    assert.match(text.result.stdout, /result\s+m\s/);
    assert.equal(text.opened, false, "text output read the content");

    const json = await watchingFifo(raw, '{"stdout":"from fifo"}', () => cli(["data", "query", 'name == "result"', "--json"]));
    assert.equal(json.result.code, 0, json.result.stderr);
    assert.equal(json.opened, true);
    assert.equal(parseJson(json.result.stdout).results[0].content.stdout, "from fifo");

    const selected = await watchingFifo(raw, "{}", () => cli(["data", "query", 'name == "result"', "--select", "name", "--json"]));
    assert.deepEqual(parseJson(selected.result.stdout).results, ["result"]);
    assert.equal(selected.opened, false);
  });
});
