/**
 * Refresh hooks: durations, staleness, running the command (exit status only, never its
 * output, in errors), and the service refreshing a stale secret on get.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isStale, parseDuration, runRefreshCommand } from "../../../kernel/vaults/refresh.js";
import { REFRESH_CALLER, valueTypeOf } from "../../../kernel/vaults/service.js";
import { serviceFor, withDir } from "./helpers.js";

test("parseDuration: units, combinations, and what is refused", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("7d"), 604_800_000);
  assert.equal(parseDuration("2w"), 1_209_600_000);
  assert.equal(parseDuration("250ms"), 250);
  for (const bad of ["", "1", "h", "1x", "-1h", "0s", "1.5h", "1h 30m", "soon"]) assert.equal(parseDuration(bad), null, bad);
});

test("isStale: never run, within and past the TTL, an unreadable date", () => {
  const now = new Date("2026-01-01T12:00:00Z");
  const hook = { command: "x", ttl: "1h", ttlMs: 3_600_000 };
  assert.equal(isStale({ ...hook, lastRefreshedAt: null }, now), true);
  assert.equal(isStale({ ...hook, lastRefreshedAt: "2026-01-01T11:30:00Z" }, now), false);
  assert.equal(isStale({ ...hook, lastRefreshedAt: "2026-01-01T11:00:00Z" }, now), true, "exactly the TTL is stale");
  assert.equal(isStale({ ...hook, lastRefreshedAt: "yesterday" }, now), true);
});

test("runRefreshCommand: trimmed stdout; failures name the status, never the output", async () => {
  await withDir(async (dir) => {
    assert.equal(await runRefreshCommand("printf 'tok-1\\n\\n'", dir), "tok-1");
    assert.equal(await runRefreshCommand("printf 'a\\nb'", dir), "a\nb");
    await assert.rejects(runRefreshCommand("echo leaked-9 >&2; echo leaked-8; exit 4", dir), (err: Error) => {
      assert.equal(err.message, "The refresh command exited with code 4");
      return true;
    });
    await assert.rejects(runRefreshCommand("true", dir), /printed nothing/);
    await assert.rejects(runRefreshCommand("sleep 30", dir, 200), /did not finish within/);
  });
});

test("the service refreshes a stale secret on get and keeps the stored value when the hook fails", async () => {
  await withDir(async (repo) => {
    const warnings: string[] = [];
    const vaults = serviceFor(repo, { warnings });
    await vaults.configs.create({ name: "dev", type: "local_encryption", config: { auto_generate: true } });
    await vaults.put("dev", "tok", "old", "test");
    const src = join(repo, "src.txt");
    await writeFile(src, "new-1\n");
    await vaults.setRefreshHook("dev", "tok", { command: `cat '${src}'`, ttl: "1h", ttlMs: 3_600_000, lastRefreshedAt: null });
    assert.equal(await vaults.get("dev", "tok", "test"), "new-1", "never refreshed: stale");
    await writeFile(src, "new-2\n");
    assert.equal(await vaults.get("dev", "tok", "test"), "new-1", "fresh for an hour");
    const open = await vaults.vault("dev");
    const hook = await vaults.refreshHook(open, "tok");
    assert.ok(hook?.lastRefreshedAt);
    await vaults.setRefreshHook("dev", "tok", { ...hook, command: "exit 9", lastRefreshedAt: "2020-01-01T00:00:00.000Z" });
    assert.equal(await vaults.get("dev", "tok", "test"), "new-1");
    assert.match(warnings.join("\n"), /refresh hook of secret 'tok' in vault 'dev' failed \(The refresh command exited with code 9\); using the stored value/);
    assert.equal(await vaults.get("dev", "tok", "test", { refresh: false }), "new-1");
    const auditDir = join(repo, ".swamp", "audit");
    const audit = await readFile(join(auditDir, (await readdir(auditDir))[0]!), "utf8");
    assert.match(audit, new RegExp(`"action":"put".*"secretKey":"tok","callerContext":"${REFRESH_CALLER}"`));
    assert.ok(!audit.includes("new-1"));
  });
});

test("valueTypeOf: JSON, several lines, one line", () => {
  assert.equal(valueTypeOf('{"a":1}'), "json");
  assert.equal(valueTypeOf(" [1,2]"), "json");
  assert.equal(valueTypeOf("{not json"), "string");
  assert.equal(valueTypeOf("-----BEGIN KEY-----\nAAA\n-----END KEY-----\n"), "multiline");
  assert.equal(valueTypeOf("plain"), "string");
});
