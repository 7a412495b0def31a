/**
 * Read commands do only the work their output needs: `data query` in text form never opens a
 * match's content (it prints none), while --json still does; `data get` streams content that
 * is not JSON instead of holding it (several times) in memory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataRepository } from "../../kernel/data/repository.js";
import { cleanEnv, parseJson, SWAMP_BIN, swamp, withRepo, type RunResult } from "../helpers/cli.js";

const COST_PROBE = fileURLToPath(new URL("../helpers/rss-probe.js", import.meta.url));

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

/** `swamp <args>` with a preloaded probe (test/helpers/rss-probe.ts): its output and its peak RSS in KiB. */
function measured(args: string[], discardStdout = false): { code: number; stdout: string; stderr: string; maxRssKb: number } {
  const dir = mkdtempSync(join(tmpdir(), "swamp-rss-"));
  try {
    const file = join(dir, "cost");
    const r = spawnSync(process.execPath, ["--import", COST_PROBE, SWAMP_BIN, ...args], {
      env: cleanEnv({ SWAMP_BENCH_COST: file }),
      stdio: ["ignore", discardStdout ? "ignore" : "pipe", "pipe"],
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
    });
    const { maxRssKb } = JSON.parse(readFileSync(file, "utf8")) as { maxRssKb: number };
    return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr, maxRssKb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("data get streams content that is not JSON: same output as before, flat memory, checksum verified after the bytes", async () => {
  await withRepo(async (repo) => {
    const created = parseJson((await swamp(["model", "create", "command/shell", "m", "--json", "--repo-dir", repo])).stdout);
    const data = new DataRepository({ dataRoot: join(repo, ".swamp", "data") });
    const spec = (name: string) => ({
      modelType: "command/shell",
      modelId: created.id,
      name,
      contentType: "text/plain",
      lifetime: "infinite",
      garbageCollection: 5,
      tags: { type: "file", modelName: "m" },
      ownerDefinition: { ownerType: "model-method", ownerRef: created.id },
    });
    // Written in chunks and compared only after the measurements: a child's peak RSS starts at
    // its parent's (Linux carries it across fork and exec), so this process stays small.
    const line = "0123456789abcdef ünïcödé line\n";
    const chunk = Buffer.from(line.repeat(Math.ceil((1024 * 1024) / Buffer.byteLength(line))));
    const CHUNKS = 48;
    await data.createWriter(spec("big")).writeStream((async function* () {
      for (let i = 0; i < CHUNKS; i++) yield chunk;
    })());
    const cases: Record<string, string> = { tiny: "hello\n", none: "no newline", two: "a\n\n", one: "\n", empty: "", split: "é" };
    for (const [name, text] of Object.entries(cases)) await data.save(spec(name), text);

    // Text and JSON output exactly as a whole read printed them.
    for (const [name, text] of Object.entries(cases)) {
      const plain = measured(["data", "get", "m", name, "--repo-dir", repo]);
      assert.equal(plain.code, 0, plain.stderr);
      const shown = text.replace(/\n$/, "");
      assert.ok(plain.stdout.endsWith(`\n\n${shown}${shown.endsWith("\n") || `\n\n${shown}`.endsWith("\n") ? "" : "\n"}`), `${name}: ${JSON.stringify(plain.stdout)}`);
      assert.match(plain.stdout, /^Data: /);
      const json = measured(["data", "get", "m", name, "--json", "--repo-dir", repo]);
      assert.equal(parseJson(json.stdout).content, text, name);
    }

    const tiny = measured(["data", "get", "m", "tiny", "--repo-dir", repo], true);
    const whole = measured(["data", "get", "m", "big", "--repo-dir", repo], true);
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(whole.stderr, "");
    // Well under the content's own size above a tiny item's peak (a whole read holds it several times).
    const extraMb = (whole.maxRssKb - tiny.maxRssKb) / 1024;
    assert.ok(extraMb < 40, `peak memory grew by ${extraMb.toFixed(0)} MiB for 48 MiB of content`);
    const asJsonCost = measured(["data", "get", "m", "big", "--json", "--repo-dir", repo], true);
    const jsonExtraMb = (asJsonCost.maxRssKb - tiny.maxRssKb) / 1024;
    assert.ok(jsonExtraMb < 40, `peak memory grew by ${jsonExtraMb.toFixed(0)} MiB for 48 MiB of content as JSON`);

    const expected = chunk.toString("utf8").repeat(CHUNKS);
    const plainBig = measured(["data", "get", "m", "big", "--repo-dir", repo]);
    assert.ok(plainBig.stdout.endsWith(`\n\n${expected}`.replace(/\n$/, "") + "\n"));
    const asJson = measured(["data", "get", "m", "big", "--json", "--repo-dir", repo]);
    assert.equal(parseJson(asJson.stdout).content, expected);

    // A changed byte near the end: served in full, then flagged; the JSON document stays valid.
    const raw = join(repo, parseJson(asJson.stdout).contentPath);
    const fd = openSync(raw, "r+");
    writeSync(fd, "X", CHUNKS * chunk.length - 5);
    closeSync(fd);
    const bad = measured(["data", "get", "m", "big", "--json", "--repo-dir", repo]);
    assert.equal(bad.code, 0);
    const doc = parseJson(bad.stdout);
    assert.equal(doc.content.length, expected.length);
    assert.match(doc.integrityWarning, /"big" version 1 does not match its checksum/);
    assert.equal(Object.keys(doc).at(-1), "integrityWarning");
    assert.match(bad.stderr, /^Warning: [^\n]*does not match its checksum[^\n]*\n$/);
    const badText = measured(["data", "get", "m", "big", "--repo-dir", repo]);
    assert.equal(badText.code, 0);
    assert.match(badText.stderr, /^Warning: [^\n]*does not match its checksum[^\n]*\n$/);
  });
});
