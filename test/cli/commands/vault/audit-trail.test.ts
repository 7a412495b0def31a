import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAuditDate } from "../../../../cli/commands/vault/audit-trail.js";

test("parseAuditDate: dates are whole UTC days, date-times without a zone are UTC, impossible days refused", () => {
  assert.equal(parseAuditDate("2026-01-31", false).toISOString(), "2026-01-31T00:00:00.000Z");
  assert.equal(parseAuditDate("2026-01-31", true).toISOString(), "2026-01-31T23:59:59.999Z");
  assert.equal(parseAuditDate("2026-01-31T12:30", true).toISOString(), "2026-01-31T12:30:00.000Z");
  assert.equal(parseAuditDate("2026-01-31T12:30:00+02:00", false).toISOString(), "2026-01-31T10:30:00.000Z");
  for (const bad of ["2026-02-30", "2026-13-01", "31/01/2026", "yesterday", "", "2026-01-31T25:00"]) {
    assert.throws(() => parseAuditDate(bad, false), /^UsageError: Invalid date: /, bad);
  }
});
