import { test } from "node:test";
import assert from "node:assert/strict";
import { commandHelp, groupHelp, helpFor, topLevelHelp } from "../../cli/help.js";
import { findRoute, NOUNS } from "../../cli/routes.js";

test("top-level help: one line per noun, no placeholders", () => {
  const text = topLevelHelp("1.2.3");
  const lines = text.split("\n");
  for (const noun of NOUNS) assert.ok(lines.some((l) => l.startsWith(`  ${noun.name} `) && l.trimEnd().endsWith(`  ${noun.description}`)), noun.name);
  assert.ok(!text.includes("#0"));
  assert.ok(text.split("\n").length < 30, text);
});

test("group help lists the group's commands with aliases, one line each", () => {
  const text = groupHelp(["model"]) ?? "";
  assert.match(text, /^  search \(list\) +List model definitions/m);
  assert.match(text, /^  type search \(type list\) +List the model types/m);
  assert.match(text, /Usage: swamp model <command>/);
  assert.match(groupHelp(["workflow", "history"]) ?? "", /^  get +Show one workflow run/m, "an alias equal to the group is not listed");
  assert.equal(groupHelp(["nothing"]), null);
  assert.equal(groupHelp(["data", "get"]), null, "a command, not a group");
});

test("command help names option values and shows examples", async () => {
  const found = findRoute(["model", "method", "run"]);
  assert.ok(found);
  const text = commandHelp(found.route, (await found.route.load()).default);
  assert.match(text, /^Usage: swamp model method run <model> <method> \[name\] \[options\]$/m);
  assert.match(text, /^  --input, --arg <key=value> +key=value/m);
  assert.match(text, /^  --repo-dir <dir> +Repository directory/m);
  assert.match(text, /^  --skip-checks +Skip pre-flight/m, "flags have no value");
  assert.match(text, /^Examples:\n  Run a shell model\n    \$ swamp model method run hello-world execute$/m);
  assert.ok(!text.includes("#0"));
  // A required option is part of the usage line.
  const fs = findRoute(["datastore", "setup", "filesystem"]);
  assert.ok(fs);
  assert.match(commandHelp(fs.route, (await fs.route.load()).default), /^Usage: swamp datastore setup filesystem --path <dir> \[options\]$/m);
});

test("helpFor: top level, group, command (with positionals after it), unknown", async () => {
  assert.equal(((await helpFor([], "1")) as { text: string }).text, topLevelHelp("1"));
  assert.equal(((await helpFor(["data"], "1")) as { text: string }).text, groupHelp(["data"]));
  assert.match(((await helpFor(["data", "get", "x"], "1")) as { text: string }).text, /^Show one version of a data item/);
  assert.match(((await helpFor(["workflow", "run"], "1")) as { text: string }).text, /^Usage: swamp workflow run <workflow_id_or_name>/m);
  assert.deepEqual(await helpFor(["data", "lst"], "1"), { error: "unknown command 'data lst'; did you mean 'data list'?" });
});
