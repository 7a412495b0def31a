import { test } from "node:test";
import assert from "node:assert/strict";
import { isTrusted, trustState } from "../../../plugins/registry/trust.js";

test("isTrusted: swamp and si by default, the configured list when set, by collective or full name", () => {
  assert.equal(isTrusted("swamp", {}), true);
  assert.equal(isTrusted("si", {}), true);
  assert.equal(isTrusted("@swamp/aws/ec2", {}), true);
  assert.equal(isTrusted("acme", {}), false);
  assert.equal(isTrusted("@acme/store", { trustedCollectives: ["acme"] }), true);
  assert.equal(isTrusted("swamp", { trustedCollectives: ["acme"] }), false);
  assert.equal(isTrusted("swamp", { trustedCollectives: [] }), false, "an empty list trusts nothing");
});

test("membership collectives count only when trustMemberCollectives is on", () => {
  assert.equal(isTrusted("team", {}, ["team"]), false);
  assert.equal(isTrusted("team", { trustMemberCollectives: true }, ["team"]), true);
  assert.deepEqual(trustState({ trustMemberCollectives: true }, ["swamp", "team"]), {
    explicit: ["swamp", "si"],
    membership: ["team"],
    resolved: ["swamp", "si", "team"],
    trustMemberCollectives: true,
  });
});
