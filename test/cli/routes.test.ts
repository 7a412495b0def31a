import { test } from "node:test";
import assert from "node:assert/strict";
import { commandWords, findRoute, NOUNS, ROUTES, routePaths, routesFor } from "../../cli/routes.js";

test("the route table agrees with every command: paths, aliases and description; every command has an example", async () => {
  for (const route of ROUTES) {
    const command = (await route.load()).default;
    const where = route.path.join(" ");
    assert.deepEqual(routePaths(route), command.paths, `${where}: paths and aliases`);
    assert.equal(route.description, command.usage?.description, `${where}: description`);
    assert.ok((command.usage?.examples ?? []).length > 0, `${where}: at least one example`);
  }
});

test("every top-level word of a command is a noun help lists, and every noun has commands", () => {
  const first = new Set(ROUTES.flatMap((r) => routePaths(r).map((p) => p[0])));
  assert.deepEqual([...first].sort(), NOUNS.map((n) => n.name).sort());
});

test("findRoute: the longest spelling the words start with; positionals may follow", () => {
  assert.deepEqual(findRoute(["data", "get", "m", "n"])?.path, ["data", "get"]);
  assert.deepEqual(findRoute(["workflow", "run", "search"])?.path, ["workflow", "run", "search"]);
  assert.deepEqual(findRoute(["workflow", "run", "nightly"])?.path, ["workflow", "run"]);
  assert.deepEqual(findRoute(["model", "list"])?.route.path, ["model", "search"]);
  assert.equal(findRoute(["data", "lst"]), undefined);
  assert.equal(findRoute(["data"]), undefined);
  assert.deepEqual(commandWords(["data", "get", "--json", "x"]), ["data", "get"]);
  assert.deepEqual(routesFor(["model", "list"]).map((r) => r.path), [["model", "search"]]);
});
