import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Cli } from "clipanion";
import type { CommandClass } from "clipanion";
import { simplifyMachine } from "../../cli/parser-machine.js";
import { ROUTES } from "../../cli/routes.js";

// clipanion's own parser internals: the machine its builder makes, and its simplifyMachine.
const core = createRequire(import.meta.url)("clipanion/lib/core.js") as {
  makeAnyOfMachine(machines: unknown[]): { nodes: unknown[] };
  simplifyMachine(machine: unknown): void;
};
const NODE_INITIAL = 0;

/** The unsimplified machine clipanion builds for these commands (a new one on every call). */
function rawMachine(commands: CommandClass[]): { nodes: never[] } {
  const cli = new Cli({ binaryName: "swamp" });
  for (const command of commands) cli.register(command);
  const builders = (cli as unknown as { builder: { builders: Array<{ compile(): { machine: unknown } }> } }).builder.builders;
  return core.makeAnyOfMachine(builders.map((b) => b.compile().machine)) as { nodes: never[] };
}

function assertSameAsClipanion(commands: CommandClass[], what: string): void {
  const theirs = rawMachine(commands);
  const ours = rawMachine(commands);
  assert.deepEqual(ours, theirs, `${what}: the builder is deterministic`);
  core.simplifyMachine(theirs);
  simplifyMachine(ours, NODE_INITIAL);
  // Tests are compared by identity when transitions are merged, so compare the structure and
  // the order of every node's transitions.
  assert.deepEqual(ours, theirs, what);
}

test("simplifyMachine builds the machine clipanion's own builds, for every command alone and for all of them together", async () => {
  const commands = [...new Set(await Promise.all(ROUTES.map(async (r) => (await r.load()).default)))];
  for (const command of commands) assertSameAsClipanion([command], command.paths?.[0]?.join(" ") ?? "?");
  assertSameAsClipanion(commands, "every command");
});

test("simplifyMachine merges a transition reached through two shortcuts once, as clipanion does", () => {
  const shared = ["isOption", "--json"];
  const machine = () => ({
    nodes: [
      { statics: {}, dynamics: [], shortcuts: [{ to: 1 }, { to: 2 }] },
      { statics: { x: [{ to: 3 }] }, dynamics: [[shared, { to: 3 }]], shortcuts: [{ to: 2 }] },
      { statics: { x: [{ to: 3 }] }, dynamics: [[shared, { to: 3 }], [["isOption", "--json"], { to: 3 }]], shortcuts: [] },
      { statics: {}, dynamics: [], shortcuts: [] },
    ],
  });
  const theirs = machine();
  const ours = machine();
  core.simplifyMachine(theirs);
  simplifyMachine(ours as never, NODE_INITIAL);
  assert.deepEqual(ours, theirs);
  // The shared test once, the equal-looking but distinct one kept.
  assert.equal(ours.nodes[0]!.dynamics.length, 2);
  assert.equal(ours.nodes[0]!.statics.x!.length, 1);
});
