/**
 * Progress for long work, in a real pseudo-terminal: `data gc`, `workflow run` and the copy of
 * `datastore setup filesystem` draw one line on stderr while they work, erase it before their
 * result, and erase it at once on Ctrl-C; piped or `--json` output carries no progress byte.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDataTree } from "../../bench/support/data-tree.js";
import { parseJson, SWAMP_BIN, swamp } from "../helpers/cli.js";
import { CTRL_C, ERASE_LINE, finalScreen, runInTerminal } from "../helpers/pty.js";
import { shellDefinition } from "../helpers/definitions.js";

let dir: string;
let repo: string;
let env: Record<string, string>;

const PROGRESS_BYTES = /\r(?!\n)|\x1b\[/;

/** swamp in a real pseudo-terminal, 100 columns wide; Ctrl-C once `interruptWhen` shows. */
const inTerminal = (args: string[], interruptWhen?: RegExp) =>
  runInTerminal([process.execPath, SWAMP_BIN, ...args, "--repo-dir", repo], interruptWhen ? [[interruptWhen, CTRL_C]] : [], { env, columns: 100 });

function shellModel(n: number, name: string, run: string): string {
  return shellDefinition({ id: `0f0e0d0c-0000-4000-8000-00000000070${n}`, name, run: JSON.stringify(run) });
}

function workflow(n: number, name: string, second: string): string {
  return `id: 0f0e0d0c-0000-4000-8000-00000000080${n}
name: ${name}
jobs:
  - name: main
    steps:
      - name: first
        task: { type: model_method, modelIdOrName: quick, methodName: execute }
      - name: ${second}
        dependsOn: [{ step: first, condition: { type: succeeded } }]
        task: { type: model_method, modelIdOrName: ${second === "nap" ? "napper" : "quick"}, methodName: execute }
`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "swamp-progress-"));
  repo = join(dir, "repo");
  env = { HOME: join(dir, "home"), SWAMP_HOME: join(dir, "home", ".swamp") };
  assert.equal((await swamp(["repo", "init", repo, "--json"], { env })).code, 0);
  const models = join(repo, "models", "command", "shell");
  await mkdir(models, { recursive: true });
  await writeFile(join(models, "quick.yaml"), shellModel(1, "quick", "echo done"));
  await writeFile(join(models, "napper.yaml"), shellModel(2, "napper", "sleep 30"));
  await mkdir(join(repo, "workflows"), { recursive: true });
  await writeFile(join(repo, "workflows", "workflow-pair.yaml"), workflow(1, "pair", "second"));
  await writeFile(join(repo, "workflows", "workflow-nap.yaml"), workflow(2, "nap", "nap"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("data gc: progress on a terminal, erased before the result; none when piped", async () => {
  const dataRoot = join(repo, ".swamp", "data");
  generateDataTree(dataRoot, { type: "bench/model", models: 4, names: 5, versions: 8 }); // policy keeps 5
  const pristine = join(dir, "data-copy");
  await cp(dataRoot, pristine, { recursive: true });

  const tty = await inTerminal(["data", "gc", "-y"]);
  assert.equal(tty.code, 0, tty.output);
  assert.match(tty.output, /Collecting garbage {2}\d+\/20 data items/);
  const lastDraw = tty.output.lastIndexOf("Collecting garbage");
  assert.ok(tty.output.indexOf(ERASE_LINE, lastDraw) > lastDraw, "the line is erased");
  const screen = finalScreen(tty.output);
  assert.ok(!screen.some((l) => l.includes("Collecting garbage")), JSON.stringify(screen));
  assert.match(screen.at(-1)!, /^GC complete: deleted 0 expired items, 60 excess versions reclaimed/);

  await rm(dataRoot, { recursive: true, force: true });
  await cp(pristine, dataRoot, { recursive: true });
  const piped = await swamp(["data", "gc", "-y", "--repo-dir", repo], { env });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "");
  assert.doesNotMatch(piped.stdout, PROGRESS_BYTES);
  assert.match(piped.stdout, /60 excess versions reclaimed/);
});

test("workflow run: steps done and running on a terminal, erased at the end and on Ctrl-C; none when piped", async () => {
  const tty = await inTerminal(["workflow", "run", "pair"]);
  assert.equal(tty.code, 0, tty.output);
  assert.match(tty.output, /Workflow pair {2}[0-2]\/2 steps/);
  const screen = finalScreen(tty.output);
  assert.ok(!screen.some((l) => /\d\/2 steps/.test(l)), JSON.stringify(screen));
  assert.ok(screen.some((l) => /✓ main\.first/.test(l)) && screen.some((l) => /✓ main\.second/.test(l)), "event lines are kept above the progress line");
  assert.match(screen.at(-1)!, /^Data: swamp data list --workflow pair/);

  const piped = await swamp(["workflow", "run", "pair", "--repo-dir", repo], { env });
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stdout + piped.stderr, PROGRESS_BYTES);
  assert.doesNotMatch(piped.stderr, /steps/);
  const json = await inTerminal(["workflow", "run", "pair", "--json"]);
  assert.equal(json.code, 0, json.output);
  assert.equal(parseJson(json.output.slice(json.output.indexOf("{"))).status, "succeeded", "--json prints only the document");

  const stopped = await inTerminal(["workflow", "run", "nap"], /Workflow nap {2}1\/2 steps · running main\.nap/);
  assert.equal(stopped.code, 130, stopped.output);
  assert.ok(stopped.output.lastIndexOf(ERASE_LINE) > stopped.output.lastIndexOf("running main.nap"), JSON.stringify(stopped.output));
  const after = finalScreen(stopped.output);
  assert.ok(!after.some((l) => l.includes("running main.nap")), JSON.stringify(after));
});

/** Every file under `root`, relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
}

// Last: it moves the repo's datastore.
test("datastore setup filesystem: the copy shows progress on a terminal and leaves nothing behind; none when piped", async () => {
  generateDataTree(join(repo, ".swamp", "data"), { type: "bench/setup", models: 2, names: 10, versions: 3 });
  const moved = (await filesUnder(join(repo, ".swamp", "data"))).sort();
  const shared = join(dir, "shared");

  const tty = await inTerminal(["datastore", "setup", "filesystem", "--path", shared]);
  assert.equal(tty.code, 0, tty.output);
  assert.ok(tty.output.includes(`Copying the datastore to ${shared}`), JSON.stringify(tty.output));
  const lastDraw = tty.output.lastIndexOf("Copying the datastore");
  assert.ok(tty.output.indexOf(ERASE_LINE, lastDraw) > lastDraw, "the line is erased");
  const screen = finalScreen(tty.output);
  assert.ok(!screen.some((l) => l.includes("Copying")), JSON.stringify(screen));
  assert.equal(screen.at(-2), `Datastore set to ${shared}`);
  assert.match(screen.at(-1)!, /^Migrated \d+ file\(s\) \(\d+ bytes\) from /);
  assert.ok(screen.at(-1)!.endsWith(` from ${join(repo, ".swamp")}`), screen.at(-1));
  // Every data file moved, none left at the old place, and no temporary or lock file anywhere.
  assert.deepEqual((await filesUnder(join(shared, "data"))).sort(), moved);
  assert.deepEqual(await readdir(join(repo, ".swamp", "data")).catch(() => []), []);
  const leftovers = [...(await filesUnder(shared)), ...(await filesUnder(join(repo, ".swamp")))].filter((f) => /\.tmp|lock/i.test(f));
  assert.deepEqual(leftovers, []);
  assert.match(await readFile(join(repo, ".swamp.yaml"), "utf8"), new RegExp(`path: "${shared}"`));

  const again = join(dir, "shared-again");
  const piped = await swamp(["datastore", "setup", "filesystem", "--path", again, "--repo-dir", repo], { env });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "");
  assert.doesNotMatch(piped.stdout, PROGRESS_BYTES);
  assert.deepEqual((await filesUnder(join(again, "data"))).sort(), moved);
});
