/**
 * The terminal side of the output layer, against the real binary: colour (only on a terminal,
 * NO_COLOR / FORCE_COLOR, never in JSON), tables that fit the terminal, confirmation of
 * destructive commands under --json, and `-` for stdin.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { inTerminal, swampCommand } from "../helpers/terminal.js";

const ESC = "\u001b[";
const LONG_DESCRIPTION = "Deploys every service of the platform to the staging cluster and then runs the full smoke test suite";

async function writeWorkflow(repo: string): Promise<void> {
  await mkdir(join(repo, "workflows"), { recursive: true });
  const yaml = [
    "id: 3b0d7c1e-5a52-4d8e-9a43-0c1f9e2b7a10",
    "name: deploy-staging",
    `description: ${LONG_DESCRIPTION}`,
    "jobs:",
    "  - name: main",
    "    steps:",
    "      - name: hello",
    "        task: { type: model_method, modelIdOrName: nothing, methodName: execute }",
    "",
  ].join("\n");
  await writeFile(join(repo, "workflows", "workflow-deploy-staging.yaml"), yaml);
}

test("colour on a terminal, per stream; none with NO_COLOR, when piped or in JSON; FORCE_COLOR colours a pipe", async () => {
  await withRepo(async (repo) => {
    await writeWorkflow(repo);
    const doctor = swampCommand(["doctor", "workflows", "--repo-dir", repo]);
    const missing = swampCommand(["model", "get", "no-such-model", "--repo-dir", repo]);
    const search = swampCommand(["workflow", "search", "--repo-dir", repo]);

    // A terminal: status, error and table header are coloured. Decided per stream: the last
    // command's stdout goes into a pipe and is plain.
    const tty = await inTerminal(`${doctor}; ${missing}; ${search}; ${doctor} | cat`, { columns: 200 });
    assert.match(tty.output, /Workflows: \u001b\[32mpass\u001b\[39m/);
    assert.match(tty.output, /\u001b\[31mError:\u001b\[39m Model not found/);
    assert.match(tty.output, /\u001b\[1mNAME/);
    assert.match(tty.output, /Workflows: pass \(/);

    // NO_COLOR: not one escape code.
    const plain = await inTerminal(`${doctor}; ${missing}; ${search}`, { columns: 200, env: { NO_COLOR: "1" } });
    assert.ok(!plain.output.includes(ESC), JSON.stringify(plain.output));
    assert.match(plain.output, /Workflows: pass/);

    // Piped: none; FORCE_COLOR=1 piped: coloured; --json never, even forced.
    const piped = await swamp(["model", "get", "no-such-model", "--repo-dir", repo]);
    assert.ok(!piped.stderr.includes(ESC));
    const forced = await swamp(["doctor", "workflows", "--repo-dir", repo], { env: { FORCE_COLOR: "1" } });
    assert.ok(forced.stdout.includes(`${ESC}32mpass`), forced.stdout);
    const forcedJson = await swamp(["model", "get", "no-such-model", "--json", "--repo-dir", repo], { env: { FORCE_COLOR: "1" } });
    assert.equal(parseJson(forcedJson.stderr).error.code, "model_not_found");
    const forcedJsonOut = await swamp(["workflow", "search", "--json", "--repo-dir", repo], { env: { FORCE_COLOR: "1" } });
    assert.ok(!forcedJsonOut.stdout.includes(ESC) && !forcedJsonOut.stderr.includes(ESC));
  });
});

test("tables fit the terminal by cutting the free-text column; piped tables are never cut", async () => {
  await withRepo(async (repo) => {
    await writeWorkflow(repo);
    const tty = await inTerminal(swampCommand(["workflow", "search", "--repo-dir", repo]), { columns: 60, env: { NO_COLOR: "1" } });
    const row = tty.output.split("\n").find((l) => l.startsWith("deploy-staging"));
    assert.ok(row, tty.output);
    assert.equal([...row].length, 60, row);
    assert.match(row, /^deploy-staging\s+1\s+Deploys every service.*…$/);
    const piped = await swamp(["workflow", "search", "--repo-dir", repo]);
    assert.ok(piped.stdout.includes(LONG_DESCRIPTION), piped.stdout);
  });
});
