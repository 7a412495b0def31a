import { test } from "node:test";
import assert from "node:assert/strict";
import { firstCalVer, scaffold, scaffoldStem } from "../../../plugins/scaffold/templates.js";

test("scaffold names: the path under the kind's folder and today's first CalVer", () => {
  assert.equal(scaffoldStem("@acme/greeter"), "greeter");
  assert.equal(scaffoldStem("@acme/aws/ec2"), "aws/ec2");
  assert.equal(firstCalVer(new Date("2026-03-04T23:59:00Z")), "2026.03.04.1");
});

test("each kind's scaffold declares its export, its type and imports its test from the written path", () => {
  const exportOf = { model: "model", datastore: "datastore", vault: "vault", driver: "driver", report: "report" } as const;
  for (const kind of Object.keys(exportOf) as (keyof typeof exportOf)[]) {
    const files = scaffold({ kind, name: "@acme/thing", sourcePath: `extensions/${kind}s/thing.ts`, version: "2026.01.02.1" }, `extensions/${kind}s/thing_test.ts`);
    assert.match(files.source, new RegExp(`export const ${exportOf[kind]} = define`));
    assert.match(files.source, kind === "report" ? /name: "@acme\/thing"/ : /"@acme\/thing"/);
    assert.match(files.test, new RegExp(`importExtension<[^>]*>\\("extensions/${kind}s/thing\\.ts"\\)`));
    assert.match(files.test, /npx tsx --test extensions\/\w+\/thing_test\.ts/);
    assert.match(files.test, /assert\w+Conformance\(/);
  }
});
