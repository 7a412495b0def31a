/**
 * The terminal side of the output layer, against the real binary: colour (only on a terminal,
 * NO_COLOR / FORCE_COLOR, never in JSON), tables that fit the terminal, confirmation of
 * destructive commands under --json, and `-` for stdin.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { inTerminalShell, swampCommand } from "../helpers/pty.js";

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

test("colour on a terminal, per stream; none with NO_COLOR or in JSON; FORCE_COLOR colours a pipe; tables fit the terminal", async () => {
  await withRepo(async (repo) => {
    await writeWorkflow(repo);
    const doctor = swampCommand(["doctor", "workflows", "--repo-dir", repo]);
    const missing = swampCommand(["model", "get", "no-such-model", "--repo-dir", repo]);
    const search = swampCommand(["workflow", "search", "--repo-dir", repo]);
    /** The workflow's row of the search table, escape codes removed. */
    const row = (output: string) => stripVTControlCharacters(output).split("\n").find((l) => l.startsWith("deploy-staging")) ?? "";

    // A terminal: status, error and table header are coloured. Decided per stream: the last
    // command's stdout goes into a pipe and is plain.
    const tty = await inTerminalShell(`${doctor}; ${missing}; ${search}; ${doctor} | cat`, [], { columns: 60 });
    assert.match(tty.output, /Workflows: \u001b\[32mpass\u001b\[39m/);
    assert.match(tty.output, /\u001b\[31mError:\u001b\[39m Model not found/);
    assert.match(tty.output, /\u001b\[1mNAME/);
    assert.match(tty.output, /Workflows: pass \(/);
    // The table fits the 60 columns: the description gives way.
    assert.equal([...row(tty.output)].length, 60, tty.output);
    assert.match(row(tty.output), /^deploy-staging\s+1\s+Deploys every service.*…$/);

    // NO_COLOR: not one escape code.
    const plain = await inTerminalShell(`${doctor}; ${missing}; ${search}`, [], { columns: 60, env: { NO_COLOR: "1" } });
    assert.ok(!plain.output.includes(ESC), JSON.stringify(plain.output));
    assert.match(plain.output, /Workflows: pass/);
    assert.equal([...row(plain.output)].length, 60);

    // FORCE_COLOR=1 into a pipe: coloured, and a piped table is never cut.
    const forced = await swamp(["workflow", "search", "--repo-dir", repo], { env: { FORCE_COLOR: "1" } });
    assert.ok(forced.stdout.includes(`${ESC}1mNAME`), forced.stdout);
    assert.ok(forced.stdout.includes(LONG_DESCRIPTION), forced.stdout);
    // --json never, even forced: neither the document nor a JSON error.
    const forcedJson = await swamp(["model", "get", "no-such-model", "--json", "--repo-dir", repo], { env: { FORCE_COLOR: "1" } });
    assert.equal(parseJson(forcedJson.stderr).error.code, "model_not_found");
    const forcedJsonOut = await swamp(["workflow", "search", "--json", "--repo-dir", repo], { env: { FORCE_COLOR: "1" } });
    assert.ok(!forcedJsonOut.stdout.includes(ESC) && !forcedJsonOut.stderr.includes(ESC));
  });
});

test("confirmation: on a terminal --json deletes still ask ('n' keeps, 'y' deletes, Ctrl-C restores the terminal); piped --json deletes without asking", async () => {
  await withRepo(async (repo) => {
    for (const model of ["m", "m2"]) assert.equal((await swamp(["model", "create", "command/shell", model, "--repo-dir", repo])).code, 0);
    assert.equal((await swamp(["vault", "create", "local_encryption", "v", "--repo-dir", repo])).code, 0);
    for (const key of ["k", "a"]) assert.equal((await swamp(["vault", "put", "v", key, "--repo-dir", repo], { input: `value-of-${key}` })).code, 0);

    // Off a terminal: --json deletes without asking, as scripts expect; text mode refuses without --yes.
    const refused = await swamp(["vault", "delete", "v", "a", "--repo-dir", repo]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^Error: Refusing to delete the secret without confirmation.*--yes/);
    const deleted = await swamp(["vault", "delete", "v", "a", "--json", "--repo-dir", repo]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(parseJson(deleted.stdout).secretKey, "a");
    const model = await swamp(["model", "delete", "m2", "--json", "--repo-dir", repo]);
    assert.equal(model.code, 0, model.stderr);
    assert.equal(parseJson(model.stdout).deleted.name, "m2");

    // On a terminal: asked on stderr even under --json.
    const modelDelete = swampCommand(["model", "delete", "m", "--json", "--repo-dir", repo]);
    const vaultDelete = swampCommand(["vault", "delete", "v", "k", "--json", "--repo-dir", repo]);
    const r = await inTerminalShell(`${modelDelete}; ${vaultDelete}; ${modelDelete}; ${vaultDelete}`, [
      ["[y/N] ", "n\r"],
      ["[y/N] ", "n\r"],
      ["[y/N] ", "y\r"],
      ["[y/N] ", "y\r"],
    ]);
    assert.match(r.output, /Delete model m \(command\/shell\)\? \[y\/N\] /);
    assert.match(r.output, /Delete secret 'k' from vault 'v'\? \[y\/N\] /);
    // Declined twice; the 'y' runs then found both still there and deleted them.
    assert.equal(r.output.match(/"cancelled": true/g)?.length, 2, r.output);
    assert.match(r.output, /"deleted": \{\s*"id"/);
    assert.match(r.output, /"secretKey": "k"/);

    // Ctrl-C at the hidden prompt and at a line prompt: cancelled (130), echo and line mode back on.
    const put = swampCommand(["vault", "put", "v", "k2", "--repo-dir", repo]);
    const create = swampCommand(["vault", "create", "local_encryption", "--repo-dir", repo]);
    const c = await inTerminalShell(`${put}; echo "put-exit=$?"; stty -a; ${create}; echo "ask-exit=$?"; stty -a`, [
      ["Enter value for k2: ", "abc\u0003"],
      ["Vault name: ", "xyz\u0003"],
    ]);
    assert.match(c.output, /put-exit=130/);
    assert.match(c.output, /ask-exit=130/);
    const modes = c.output.split("\n").filter((l) => /\bicanon\b/.test(l));
    assert.equal(modes.length, 2, c.output);
    for (const line of modes) {
      assert.match(line, /(^|\s)icanon(\s|$)/);
      assert.match(line, /(^|\s)echo(\s|$)/);
    }

    assert.equal(parseJson((await swamp(["model", "get", "m", "--json", "--repo-dir", repo])).stderr).error.code, "model_not_found");
    assert.deepEqual(parseJson((await swamp(["vault", "list-keys", "v", "--json", "--repo-dir", repo])).stdout).secretKeys, []);
  });
});

test("'-' reads stdin: --input-file -, --input key=@-, --value-file -, model edit <model> - and model edit -", async () => {
  await withRepo(async (repo) => {
    const cli = (args: string[], input?: string) => swamp([...args, "--repo-dir", repo], input === undefined ? {} : { input });
    assert.equal((await cli(["model", "create", "command/shell", "m"])).code, 0);

    const fromFile = await cli(["model", "method", "run", "m", "execute", "--input-file", "-"], "run: echo from-input-file\n");
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /^from-input-file$/m);
    const fromValue = await cli(["model", "method", "run", "m", "execute", "--input", "run=@-"], "echo from-at-stdin");
    assert.equal(fromValue.code, 0, fromValue.stderr);
    assert.match(fromValue.stdout, /^from-at-stdin$/m);
    // stdin can be read once: two readers is a usage error, before anything runs.
    const twice = await cli(["model", "method", "run", "m", "execute", "--input-file", "-", "--input", "run=@-", "--json"], "run: echo x\n");
    assert.equal(twice.code, 2);
    assert.match(parseJson(twice.stderr).error.message, /stdin.*once/i);

    assert.equal((await cli(["vault", "create", "local_encryption", "v"])).code, 0);
    assert.equal((await cli(["vault", "put", "v", "k", "--value-file", "-"], "s3cret-from-stdin\n")).code, 0);
    assert.equal((await cli(["vault", "read-secret", "v", "k"])).stdout, "s3cret-from-stdin");

    const got = parseJson((await cli(["model", "get", "m", "--json"])).stdout);
    const named = await cli(["model", "edit", "m", "-", "--json"], `name: m\ntype: command/shell\nglobalArguments: {}\nmethods:\n  execute:\n    arguments: { run: echo edited-by-name }\n`);
    assert.equal(named.code, 0, named.stderr);
    assert.equal(parseJson(named.stdout).status, "updated");
    // `model edit -`: the document names the model it replaces (by id here).
    const byId = await cli(["model", "edit", "-", "--json"], `id: ${got.id}\nname: m\ntype: command/shell\nglobalArguments: {}\nmethods:\n  execute:\n    arguments: { run: echo edited-by-id }\n`);
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(parseJson(byId.stdout).version, parseJson(named.stdout).version + 1);
    const unnamed = await cli(["model", "edit", "-", "--json"], "type: command/shell\n");
    assert.equal(unnamed.code, 2);
    assert.match(parseJson(unnamed.stderr).error.message, /id or name/);
  });
});
