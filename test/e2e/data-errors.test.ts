/**
 * Bad input to the data commands: one error line (text) or one error document with a stable
 * code (--json), a non-zero exit, and nothing changed on disk. Plus the locks the write
 * commands take (and the read-only ones do not).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelLockKey } from "../../kernel/contract/ports/datastore.js";
import { parseJson, swamp, type RunResult } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

const HOLDER = fileURLToPath(new URL("./fixtures/hold-lock.js", import.meta.url));

let dir = "";
let repo = "";
let modelId = "";

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

const cli = (args: string[], env?: Record<string, string>) => swamp(args, { cwd: repo, ...(env ? { env } : {}) });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "swamp-data-err-"));
  repo = join(dir, "repo");
  ok(await swamp(["repo", "init", repo, "--json"]), "repo init");
  modelId = parseJson(ok(await cli(["model", "create", "command/shell", "hello-world", "--json"]), "create").stdout).id;
  ok(await cli(["model", "method", "run", "hello-world", "execute", "--input", 'run=echo "Hello from the swamp!"']), "run");
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** [args, expected code, expected message pattern] — each must exit 1. */
const CASES: Array<[string[], string, RegExp]> = [
  [["data", "get", "nope", "result"], "model_not_found", /^Model not found: nope$/],
  [["data", "get", "hello-world", "missing"], "not_found", /^Data not found: "missing" for model "hello-world"$/],
  [["data", "get", "hello-world", "result", "--version", "9"], "not_found", /^Data not found: "result" for model "hello-world" \(version 9\)$/],
  [["data", "get", "hello-world", "result", "--version", "x"], "validation_failed", /--version must be a positive integer/],
  [["data", "get", "hello-world", "../result"], "validation_failed", /must not contain/],
  [["data", "get", "hello-world", "a\\b"], "validation_failed", /must not contain/],
  [["data", "list", "nope"], "model_not_found", /^Model not found: nope$/],
  [["data", "versions", "hello-world", "missing"], "not_found", /^Data not found: "missing" for model "hello-world"$/],
  [["data", "versions", "hello-world", "x/y"], "validation_failed", /must not contain/],
  [["data", "search", "--since", "5s"], "validation_failed", /^Invalid duration format: "5s"\. Expected format like 1h, 1d, 7d, 1w, 1mo$/],
  [["data", "search", "--model", "nope"], "model_not_found", /^Model not found: nope$/],
  [["data", "search", "--tag", "novalue"], "validation_failed", /KEY=VALUE/],
  [["data", "query", "name == "], "query_failed", /./],
  [["data", "query", "(((name"], "query_failed", /./],
  [["data", "query", 'bogus == "x"'], "query_failed", /^Unknown field "bogus" in query predicate\./],
  [["data", "query", "true", "--select", "nope"], "query_failed", /^Unknown field "nope"/],
  [["data", "query", "true", "--limit", "0"], "validation_failed", /--limit must be a positive integer/],
  [["data", "rename", "hello-world", "result", "latest"], "validation_failed", /^Invalid new name "latest": .*reserved/],
  [["data", "rename", "hello-world", "result", "LaTeSt"], "validation_failed", /^Invalid new name "LaTeSt": .*reserved/],
  [["data", "rename", "hello-world", "result", "a..b"], "validation_failed", /^Invalid new name "a\.\.b"/],
  [["data", "rename", "hello-world", "result", "a/b"], "validation_failed", /^Invalid new name "a\/b"/],
  [["data", "rename", "hello-world", "result", "a\\b"], "validation_failed", /^Invalid new name/],
  [["data", "rename", "hello-world", "result", "result"], "validation_failed", /^Old name and new name must be different\.$/],
  [["data", "rename", "nope", "result", "x"], "model_not_found", /^Model not found: nope$/],
  [["data", "rename", "hello-world", "missing", "x"], "not_found", /^Data "missing" not found$/],
  [["data", "rename", "hello-world", "result", "log"], "conflict", /^Data "log" already exists$/],
  [["data", "delete", "nope", "result", "-y"], "model_not_found", /^Model not found: nope$/],
  [["data", "delete", "hello-world", "missing", "-y"], "not_found", /^No data named "missing" exists for model hello-world$/],
  [["data", "delete", "hello-world", "result", "--version", "5", "-y"], "not_found", /^Version 5 does not exist for "result" \(available versions: 1\)$/],
  [["data", "delete", "hello-world", "../log", "-y"], "validation_failed", /must not contain/],
  [["data", "delete", "hello-world", "--prefix", "zzz", "-y"], "not_found", /^No data matching prefix "zzz" found for model hello-world$/],
];

/** Usage problems: exit 2, code usage. */
const USAGE: string[][] = [
  ["data", "get", "hello-world"],
  ["data", "versions", "hello-world"],
  ["data", "rename", "hello-world", "result"],
  ["data", "query"],
  ["data", "delete", "hello-world"],
  ["data", "delete", "hello-world", "result", "--dry-run"],
  ["data", "delete", "hello-world", "result", "--prefix", "r"],
  ["data", "delete", "hello-world", "--prefix", "r", "--all"],
  ["data", "delete", "hello-world", "--prefix", ""],
  ["data", "delete", "hello-world", "--all", "--version", "1"],
  ["data", "delete", "--all"],
];

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

test("bad input: exit 1, one error line, a stable code, nothing changed", async () => {
  const before = await snapshotTree(repo);
  // Renames take the model lock before their in-lock checks: run those one at a time.
  const renames = CASES.filter(([args]) => args[1] === "rename");
  const others = CASES.filter(([args]) => args[1] !== "rename");
  const check = async ([args, code, message]: [string[], string, RegExp]) => {
    const text = await cli(args);
    assert.equal(text.code, 1, `${args.join(" ")}: ${text.stderr}`);
    assert.equal(text.stdout, "", args.join(" "));
    const lines = text.stderr.replace(/\n$/, "").split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: one line, got ${JSON.stringify(text.stderr)}`);
    assert.match(lines[0] ?? "", /^Error: /);
    const json = await cli([...args, "--json"]);
    assert.equal(json.code, 1, args.join(" "));
    const err = parseJson(json.stderr).error;
    assert.equal(err.code, code, `${args.join(" ")}: ${err.message}`);
    assert.match(err.message, message, args.join(" "));
  };
  await pool(others, 4, check);
  for (const c of renames) await check(c);
  for (const args of USAGE) {
    const r = await cli([...args, "--json"]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(parseJson(r.stderr).error.code, "usage", args.join(" "));
  }
  assert.deepEqual(await snapshotTree(repo), before);
});

async function holdLock(lockKey: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, join(repo, ".swamp"), lockKey, "20000"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => d.includes("acquired") && resolve());
    child.on("exit", (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill();
  });
}

test("rename and delete wait for the model lock, gc for the global lock; reads and dry runs take none", async () => {
  const env = { SWAMP_LOCK_TIMEOUT_MS: "700" };
  const holder = await holdLock(modelLockKey("command/shell", modelId));
  try {
    const before = await snapshotTree(repo);
    const [rename, del, get, query] = await Promise.all([
      cli(["data", "rename", "hello-world", "result", "renamed", "--json"], env),
      cli(["data", "delete", "hello-world", "log", "-y", "--json"], env),
      cli(["data", "get", "hello-world", "result", "--json"], env),
      cli(["data", "query", "true", "--json"], env),
    ]);
    assert.equal(rename.code, 75, rename.stderr);
    assert.equal(parseJson(rename.stderr).error.code, "lock_timeout");
    assert.equal(del.code, 75, del.stderr);
    ok(get, "get under a model lock");
    ok(query, "query under a model lock");
    assert.deepEqual(await snapshotTree(repo), before);
  } finally {
    await stop(holder);
  }
  const global = await holdLock(".datastore.lock");
  try {
    const [gc, dry, list] = await Promise.all([
      cli(["data", "gc", "-y", "--json"], env),
      cli(["data", "gc", "--dry-run", "--json"], env),
      cli(["data", "list", "hello-world", "--json"], env),
    ]);
    assert.equal(gc.code, 75, gc.stderr);
    ok(dry, "gc --dry-run under the global lock");
    ok(list, "list under the global lock");
  } finally {
    await stop(global);
  }
});
