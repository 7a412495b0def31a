/**
 * Help, "did you mean" and shell completion through the real binary: grouped help, the same
 * text from `swamp help <command>` as from `--help`, one-line usage errors that name what was
 * wrong and the nearest commands, options and model types, and bash completing a model name
 * in a real pseudo-terminal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJson, SWAMP_BIN, swamp, withRepo } from "../helpers/cli.js";
import { inTerminal } from "../helpers/pty.js";

test("help by noun, help for a command, and usage errors that name the nearest commands, options and types", async () => {
  const top = await swamp(["--help"]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /^  data +Read, search/m);
  assert.match(top.stdout, /^  completion +Print a shell completion script/m);
  assert.ok(!top.stdout.includes("#0") && top.stdout.split("\n").length < 30, top.stdout);
  const bare = await swamp([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, top.stdout);

  const stray = await swamp(["--bogus"]);
  assert.equal(stray.code, 2);
  assert.equal(stray.stderr, "Error: unknown option '--bogus' (see 'swamp --help')\n");

  const group = await swamp(["data", "--help"]);
  assert.equal(group.code, 0);
  assert.match(group.stdout, /^  list +List the data of a model/m);

  // An alias that is also a group's name, alone: the group.
  const history = await swamp(["workflow", "history"]);
  assert.equal(history.code, 2);
  assert.match(history.stdout, /^  logs +Print the log of a workflow run/m);

  const viaFlag = await swamp(["model", "method", "run", "--help"]);
  assert.equal(viaFlag.code, 0);
  assert.match(viaFlag.stdout, /--input, --arg <key=value>/);
  assert.match(viaFlag.stdout, /^Examples:$/m);
  assert.equal((await swamp(["help", "model", "method", "run"])).stdout, viaFlag.stdout);

  const typo = await swamp(["data", "lst"]);
  assert.equal(typo.code, 2);
  assert.equal(typo.stderr, "Error: unknown command 'data lst'; did you mean 'data list'?\n");
  assert.deepEqual(parseJson((await swamp(["data", "lst", "--json"])).stderr).error, { code: "usage", message: "unknown command 'data lst'; did you mean 'data list'?" });

  const option = await swamp(["data", "get", "x", "y", "--bogus"]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /^Error: unknown option '--bogus' for 'swamp data get'; its options are --model, --name, --version/);
  assert.match((await swamp(["data", "get", "x", "y", "--vresion", "1"])).stderr, /did you mean '--version'\?/);

  await withRepo(async (repo) => {
    const type = await swamp(["model", "create", "command/shel", "x", "--repo-dir", repo, "--json"]);
    assert.notEqual(type.code, 0);
    const error = parseJson(type.stderr).error;
    assert.equal(error.code, "unknown_model_type");
    assert.match(error.message, /Did you mean 'command\/shell'\?/);
    assert.deepEqual(error.details.suggestions, ["command/shell"]);
  });
});

test("bash completes a model name from the repo in a real terminal", async () => {
  await withRepo(async (repo) => {
    assert.equal((await swamp(["model", "create", "command/shell", "hello-world", "--repo-dir", repo])).code, 0);
    const bin = join(repo, "..", "bin");
    await mkdir(bin);
    await writeFile(join(bin, "swamp"), `#!/bin/sh\nexec '${process.execPath}' '${SWAMP_BIN}' "$@"\n`);
    await chmod(join(bin, "swamp"), 0o755);
    const prompt = "swamp-test$ ";
    const shown = await inTerminal(
      ["bash", "--norc", "--noprofile", "-i"],
      [
        // The prompt is set on the first line, spelled so that its echo does not look like it.
        [/[$#] $/, `PS1='swamp-''test$ '; source <(swamp completion bash)\r`],
        [prompt, "swamp model get hel\t"],
        ["hello-world", "\r"],
        [prompt, "exit\r"],
      ],
      { env: { PATH: `${bin}:${process.env.PATH}`, SWAMP_REPO_DIR: repo, INPUTRC: "/dev/null", TERM: "xterm" }, timeoutMs: 30_000 },
    );
    assert.match(shown, /swamp model get hello-world/);
    // The completed command ran: the definition was shown.
    assert.match(shown, /command\/shell/);
  });
});
