/**
 * examples/reports/output-sizes: the report conformance suite, its output for runs with and
 * without data, then the example installed in a repository, required by a definition, and run
 * by the real CLI after a method — in the run's JSON and stored as the model's data.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import type { ReportPlugin } from "../../kernel/contract/index.js";
import { assertReportConformance, createReportTestContext, createTestDataHandle, importExtension } from "../../sdk/testing/index.js";
import { parseJson, withRepo } from "../helpers/cli.js";
import { example, inRepo, install } from "./helpers.js";

let report: ReportPlugin;

before(async () => {
  ({ report } = await importExtension<{ report: ReportPlugin }>(example("reports/output-sizes.ts")));
});

test("output-sizes passes the report conformance suite", async () => {
  const out = await assertReportConformance(
    report,
    createReportTestContext({
      definition: { id: "m", name: "web", version: 1, tags: {} },
      methodName: "deploy",
      dataHandles: [createTestDataHandle({ name: "state", size: 1_536, version: 4 }), createTestDataHandle({ name: "a|b", kind: "file", specName: "log", size: 200 })],
    }),
  );
  assert.equal(
    out.markdown,
    [
      "# web → deploy: succeeded",
      "",
      "| Name | Kind | Spec | Version | Size |",
      "| ---- | ---- | ---- | ------: | ---: |",
      "| state | resource | result | 4 | 1.5 KiB |",
      "| a\\|b | file | log | 1 | 200 B |",
      "",
      "**Total:** 1.7 KiB in 2 items.",
      "",
    ].join("\n"),
  );
  assert.deepEqual(out.json["items"], [
    { name: "state", kind: "resource", specName: "result", version: 4, size: 1_536 },
    { name: "a|b", kind: "file", specName: "log", version: 1, size: 200 },
  ]);
  assert.equal(out.json["totalBytes"], 1_736);
  const failed = await report.execute(createReportTestContext({ executionStatus: "failed", errorMessage: "boom", dataHandles: [] }));
  assert.match(failed.markdown, /: failed\n\nThe run failed: boom\.\n\nNo data was produced\.\n$/);
});

test("through the CLI: a definition requires the report; it runs after the method and is stored", async () => {
  await withRepo(async (repo) => {
    const swamp = inRepo(repo);
    await install(repo, "reports/output-sizes.ts", "extensions/reports/output-sizes.ts");
    const created = parseJson((await swamp(["model", "create", "command/shell", "hello", "--json"])).stdout);
    await appendFile(join(repo, created.path), 'reports:\n  require:\n    - "@examples/output-sizes"\n');

    const run = await swamp(["model", "method", "run", "hello", "execute", "--input", "run=echo hello", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const view = parseJson(run.stdout);
    const r = view.reports["@examples/output-sizes"];
    assert.ok(r, `report missing: ${Object.keys(view.reports).join(", ")}`);
    assert.equal(r.success, true);
    assert.equal(r.json.method, "execute");
    assert.equal(r.json.status, "succeeded");
    assert.deepEqual(r.json.items.map((i: { name: string }) => i.name).sort(), ["log", "result"]);
    assert.match(r.markdown, /^# hello → execute: succeeded\n/);
    assert.ok(view.reports["@swamp/method-summary"], "the builtin summary still runs");

    const stored = await swamp(["data", "get", "hello", "report-examples-output-sizes-json", "--json"]);
    assert.equal(stored.code, 0, stored.stderr);
    const content = typeof parseJson(stored.stdout).content === "string" ? JSON.parse(parseJson(stored.stdout).content) : parseJson(stored.stdout).content;
    assert.equal(content.totalBytes, r.json.totalBytes);
  });
});
