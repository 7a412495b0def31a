import { test } from "node:test";
import assert from "node:assert/strict";
import { commandUsageMessage, unknownCommandMessage } from "../../cli/suggest.js";
import { findRoute } from "../../cli/routes.js";
import { nearestMatches, nearestTypes, quotedChoices } from "../../kernel/runtime/suggest.js";

test("unknown commands name what was typed and the nearest commands", () => {
  assert.equal(unknownCommandMessage(["data", "lst"]), "unknown command 'data lst'; did you mean 'data list'?");
  assert.equal(unknownCommandMessage(["data", "lst", "hello", "x"]), "unknown command 'data lst'; did you mean 'data list'?");
  assert.equal(unknownCommandMessage(["modle", "get", "x"]), "unknown command 'modle'; did you mean 'model get'?");
  assert.equal(unknownCommandMessage(["workflow", "histroy", "logs"]), "unknown command 'workflow histroy'; did you mean 'workflow history logs'?");
  assert.equal(unknownCommandMessage(["data", "zzzzzz"]), "unknown command 'data zzzzzz' (see 'swamp data --help')");
  assert.equal(unknownCommandMessage(["zzzzzz"]), "unknown command 'zzzzzz' (see 'swamp --help')");
  assert.match(unknownCommandMessage(["vault", "typ"]), /did you mean 'vault type'\?/);
});

test("unknown options are named, with the nearest options of that command", async () => {
  const found = findRoute(["data", "get"]);
  assert.ok(found);
  const command = (await found.route.load()).default;
  assert.equal(
    commandUsageMessage(["data", "get", "x", "y", "--vresion", "2"], found.path, command, "Command not found; did you mean one of:"),
    "unknown option '--vresion' for 'swamp data get'; did you mean '--version'? (see 'swamp data get --help')",
  );
  const bogus = commandUsageMessage(["data", "get", "x", "y", "--bogus"], found.path, command, "Command not found");
  assert.match(bogus, /^unknown option '--bogus' for 'swamp data get'; its options are --model, --name, --version, /);
  assert.ok(!bogus.includes("--repo-dir"), "not the global options");
  // --no-<flag>, --opt=value, short flags and anything after -- are fine.
  assert.match(commandUsageMessage(["data", "get", "--no-content", "--model=x", "a", "b", "c"], found.path, command, "Command not found"), /^wrong arguments for 'swamp data get'; usage: swamp data get \[model\] \[data_name\]/);
  const del = findRoute(["data", "delete"]);
  assert.ok(del);
  assert.match(commandUsageMessage(["data", "delete", "-yq"], del.path, (await del.route.load()).default, "x"), /^unknown option '-q' for 'swamp data delete'/);
  assert.equal(commandUsageMessage(["data", "get", "--model"], found.path, command, "Not enough arguments to option --model."), "Not enough arguments to option --model (see 'swamp data get --help')");
});

test("nearest matches and types", () => {
  assert.deepEqual(nearestMatches("lst", ["list", "get", "last", "versions"]), ["last", "list"]);
  assert.deepEqual(nearestMatches("ge", ["get", "gc"]), ["gc", "get"]);
  assert.deepEqual(nearestMatches("zzz", ["get"]), []);
  assert.deepEqual(nearestTypes("shel", ["command/shell", "@acme/shelf", "aws/vpc"]), ["@acme/shelf", "command/shell"]);
  assert.deepEqual(nearestTypes("@command/shel", ["command/shell", "aws/vpc"]), ["command/shell"]);
  assert.deepEqual(nearestTypes("aws/nothing", ["command/shell"]), []);
  assert.equal(quotedChoices(["a"]), "'a'");
  assert.equal(quotedChoices(["a", "b"]), "'a' or 'b'");
  assert.equal(quotedChoices(["a", "b", "c"]), "one of 'a', 'b' or 'c'");
});
