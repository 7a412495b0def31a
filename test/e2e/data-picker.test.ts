/**
 * `swamp data search` on a terminal opens a picker (type to filter, arrows, Enter shows the item
 * as `data get` prints it, Esc and Ctrl-C quit leaving the terminal as it was); piped or with
 * --json it prints today's listing. Driven in a real pseudo-terminal.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJson, swamp } from "../helpers/cli.js";
import { KEYS, plain, swampInTerminal } from "../helpers/pty.js";

let dir = "";
let repo = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "swamp-picker-"));
  repo = join(dir, "repo");
  assert.equal((await swamp(["repo", "init", repo, "--json"])).code, 0);
  assert.equal((await swamp(["model", "create", "command/shell", "hello-world", "--json"], { cwd: repo })).code, 0);
  const run = await swamp(["model", "method", "run", "hello-world", "execute", "--input", "run=echo picked"], { cwd: repo });
  assert.equal(run.code, 0, run.stderr);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("picker: typing filters, an arrow moves, Enter prints the item exactly as data get does; the terminal is restored", async () => {
  // The two items "summary" matches, in the order search lists them.
  const listed = parseJson((await swamp(["data", "search", "summary", "--json"], { cwd: repo })).stdout).results.map((r: { name: string }) => r.name);
  assert.equal(listed.length, 2);
  const second = listed[1];
  const r = await swampInTerminal(
    ["data", "search"],
    [
      ["esc quit", "summary"],
      // The list once filtered: the two items, then the blank line before the help.
      [new RegExp(`filter: summary\n[^\n]*${listed[0]} [^\n]*\n[^\n]*${second} [^\n]*\n *\n`), KEYS.down],
      [`❯ ${second}`, KEYS.enter],
    ],
    { cwd: repo, then: "stty -a" },
  );
  assert.equal(r.code, 0, plain(r.output));
  const shown = plain(r.output);
  // While filtered, the other items were gone from the list.
  const filtered = shown.slice(shown.lastIndexOf("filter: summary"));
  assert.ok(!/\blog\s+v1/.test(filtered.slice(0, filtered.indexOf("esc quit"))), filtered);
  const expected = await swamp(["data", "get", "hello-world", second], { cwd: repo });
  assert.equal(expected.code, 0, expected.stderr);
  assert.ok(shown.includes(expected.stdout), `expected the data get output of ${second} in:\n${shown}`);
  // Raw mode and the cursor are given back.
  assert.match(shown, /[^-]icanon/);
  assert.match(shown, /[^-]echo /);
  assert.ok(r.output.includes("\x1b[?25h"), "cursor shown again");
});

test("picker: Esc exits 0 printing nothing; Ctrl-C exits 130; both leave the terminal in cooked mode; NO_COLOR is honoured", async () => {
  const esc = await swampInTerminal(["data", "search"], [["esc quit", KEYS.escape]], { cwd: repo, columns: 60, then: "echo AFTER; stty -a", env: { NO_COLOR: "1" } });
  assert.equal(esc.code, 0, plain(esc.output));
  const afterEsc = plain(esc.output);
  assert.ok(!afterEsc.includes("Data: "), afterEsc);
  // eslint-disable-next-line no-control-regex
  assert.ok(!/\x1b\[[0-9;]*m/.test(esc.output), "NO_COLOR: no colour codes");
  // On a narrow terminal the items are cut to fit beside the cursor, never wrapped.
  const items = afterEsc.split("\n").filter((l) => l.includes("v1 "));
  assert.ok(items.length >= 4 && items.every((l) => l.length <= 60 && (l.length < 58 || l.endsWith("…"))), items.join("\n"));
  // The list was erased: what follows the last erase is only what ran after swamp.
  assert.match(esc.output.slice(esc.output.lastIndexOf("\x1b[?25h")), /^\x1b\[\?25h\s*AFTER/);
  assert.match(afterEsc, /[^-]icanon/);

  const ctrlC = await swampInTerminal(["data", "search"], [["esc quit", KEYS.ctrlC]], { cwd: repo, then: "stty -a" });
  assert.equal(ctrlC.code, 130, plain(ctrlC.output));
  assert.ok(!plain(ctrlC.output).includes("Data: "));
  assert.match(plain(ctrlC.output), /[^-]icanon/);
});

test("data search piped or with --json prints the listing, never the picker", async () => {
  const piped = await swamp(["data", "search"], { cwd: repo });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /^NAME +VERSION +TYPE +MODEL/);
  assert.match(piped.stdout, /\n4 result\(s\)\n$/);
  const json = await swampInTerminal(["data", "search", "--json"], [], { cwd: repo });
  assert.equal(json.code, 0);
  assert.equal(parseJson(plain(json.output)).total, 4);
});
