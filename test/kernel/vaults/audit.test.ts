/**
 * Reading the vault audit trail: only the window's day files, filters, newest first,
 * truncation, and lines that are not entries skipped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readAuditTrail, VaultAuditLog } from "../../../kernel/vaults/audit.js";
import { withDir } from "./helpers.js";

test("readAuditTrail: window, filters, order, truncation, foreign lines", async () => {
  await withDir(async (dir) => {
    let now = new Date("2026-03-01T10:00:00.000Z");
    const log = new VaultAuditLog(dir, () => now);
    const at = async (iso: string, action: "get" | "put" | "delete" | "annotate", vaultName: string, secretKey: string) => {
      now = new Date(iso);
      await log.record({ action, vaultName, vaultType: "local_encryption", secretKey, callerContext: "test" });
    };
    await at("2026-02-27T23:59:59.000Z", "put", "dev", "a");
    await at("2026-02-28T00:00:00.000Z", "put", "dev", "b");
    await at("2026-03-01T09:00:00.000Z", "annotate", "dev", "a");
    await at("2026-03-01T09:00:00.000Z", "delete", "ops", "a");
    await writeFile(join(dir, "vault-audit-2026-03-01.jsonl"), '{"action":"put"}\nnot json\n{"action":"steal","timestamp":"2026-03-01T09:30:00Z","vaultName":"x","vaultType":"t","secretKey":"k","callerContext":"c"}\n', { flag: "a" });

    const q = { since: new Date("2026-02-28T00:00:00.000Z"), until: new Date("2026-03-01T23:59:59.999Z"), limit: 10 };
    const all = await readAuditTrail(dir, q);
    assert.deepEqual(all.entries.map((e) => `${e.action} ${e.vaultName}/${e.secretKey}`), ["delete ops/a", "annotate dev/a", "put dev/b"], "newest first; later line first on a tie");
    assert.equal(all.truncated, false);
    assert.deepEqual(Object.keys(all.entries[0]!), ["action", "timestamp", "vaultName", "vaultType", "secretKey", "callerContext"]);
    assert.deepEqual((await readAuditTrail(dir, { ...q, vault: "dev", key: "a" })).entries.map((e) => e.action), ["annotate"]);
    assert.deepEqual((await readAuditTrail(dir, { ...q, action: "put" })).entries.map((e) => e.secretKey), ["b"]);
    const page = await readAuditTrail(dir, { ...q, limit: 2 });
    assert.deepEqual([page.entries.length, page.truncated], [2, true]);
    const early = await readAuditTrail(dir, { since: new Date("2026-02-27T00:00:00Z"), until: new Date("2026-02-27T23:59:59.999Z"), limit: 5 });
    assert.deepEqual(early.entries.map((e) => e.secretKey), ["a"]);
    assert.deepEqual((await readAuditTrail(join(dir, "none"), q)).entries, []);
  });
});
