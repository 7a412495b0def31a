/**
 * What the seeds promise about definitions, inputs, reports, drivers and datastores, checked
 * through the real CLI where an earlier version fell short.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { GREETER } from "./fixtures/greeter.js";

async function writeShellModel(repo: string, file: string, yaml: string): Promise<void> {
  await mkdir(join(repo, "models", "command", "shell"), { recursive: true });
  await writeFile(join(repo, "models", "command", "shell", file), yaml);
}

function resultStdout(stdout: string): unknown {
  return parseJson(stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout;
}

test("inputs: required means required (with or without expressions), nested values are coerced by the schema", async () => {
  await withRepo(async (repo) => {
    const inputs = [
      "inputs:",
      "  type: object",
      "  properties:",
      "    environment: { type: string, enum: [dev, staging, production] }",
      "    config:",
      "      type: object",
      "      properties:",
      "        verbose: { type: boolean, default: false }",
      "        level: { type: integer }",
      "      additionalProperties: true",
      "  required: [environment]",
    ].join("\n");
    await writeShellModel(
      repo,
      "env-aware.yaml",
      [
        "type: command/shell",
        "id: 6a1f0a36-0b5e-4c8e-9d43-1f2a3b4c5d6e",
        "name: env-aware",
        inputs,
        "methods:",
        "  execute:",
        "    arguments:",
        "      run: \"echo ${{ inputs.config.verbose == true ? 'loud' : 'quiet' }} ${{ inputs.config.level + 1 }}\"",
        "",
      ].join("\n"),
    );
    await writeShellModel(
      repo,
      "literal.yaml",
      ["type: command/shell", "id: 7b2f1b47-1c6f-4d9f-8e54-2a3b4c5d6e7f", "name: literal", inputs, "methods:", "  execute:", "    arguments:", "      run: echo fixed", ""].join("\n"),
    );

    for (const name of ["env-aware", "literal"]) {
      const missing = await swamp(["model", "method", "run", name, "execute", "--json", "--repo-dir", repo]);
      assert.equal(missing.code, 1, `${name}: ${missing.stdout}`);
      const error = parseJson(missing.stderr).error;
      assert.equal(error.code, "input_validation_failed", name);
      assert.match(error.message, /environment is required/, name);
    }

    const ok = await swamp(
      ["model", "method", "run", "env-aware", "execute", "--input", "environment=dev", "--input", "config.verbose=true", "--input", "config.level=2", "--json", "--repo-dir", repo],
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(resultStdout(ok.stdout), "loud 3");

    const literal = await swamp(["model", "method", "run", "literal", "execute", "--input", "environment=prod", "--json", "--repo-dir", repo]);
    assert.equal(literal.code, 1);
    assert.match(parseJson(literal.stderr).error.message, /environment must be one of: dev, staging, production/);
    const bad = await swamp(["model", "method", "run", "env-aware", "execute", "--input", "environment=dev", "--input", "config.verbose=maybe", "--json", "--repo-dir", repo]);
    assert.equal(bad.code, 1);
    assert.match(parseJson(bad.stderr).error.message, /config\.verbose must be a boolean/);
  });
});

test("the seed's complete greeter: validation and run agree that its unprovided required report is a warning", async () => {
  await withRepo(async (repo) => {
    await writeShellModel(repo, "greeter.yaml", GREETER);
    const warning =
      "Required report not found: execution-summary. No installed report has this name, so it is skipped; pull the extension that provides it, or remove it from reports.require.";

    const validated = parseJson((await swamp(["model", "validate", "greeter", "--json", "--repo-dir", repo])).stdout);
    assert.equal(validated.passed, true);
    assert.deepEqual(validated.warnings, [{ name: "Required report not found", message: warning }]);

    const text = await swamp(["model", "method", "run", "greeter", "execute", "--repo-dir", repo]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^swamp says: hello!\nCompleted execute on greeter succeeded/);
    assert.equal(text.stderr, `Warning: ${warning}\n`);

    const json = await swamp(["model", "method", "run", "greeter", "execute", "--json", "--repo-dir", repo]);
    assert.equal(json.code, 0, json.stderr);
    const view = parseJson(json.stdout);
    assert.equal(view.status, "succeeded");
    assert.deepEqual(view.reports["execution-summary"], { name: "execution-summary", scope: "method", success: true, warning });
    assert.equal(view.reports["@swamp/method-summary"].success, true);
  });
});
