import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { findTypeScript, parseTscOutput } from "../../plugins/typecheck.js";
import { withTempDir } from "../helpers/cli.js";

test("parseTscOutput: file(line,col) diagnostics become repo-relative entries; continuation lines join their message", () => {
  const out = [
    "extensions/models/a.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.",
    "/elsewhere/b.ts(10,1): error TS2345: Argument of type 'x' is not assignable.",
    "  Type 'x' is missing the following properties: a, b",
    "error TS5083: Cannot read file '/tmp/tsconfig.json'.",
    "",
  ].join("\n");
  assert.deepEqual(parseTscOutput(out, "/repo"), [
    { file: "extensions/models/a.ts", line: 3, column: 7, code: "TS2322", message: "Type 'number' is not assignable to type 'string'." },
    { file: "/elsewhere/b.ts", line: 10, column: 1, code: "TS2345", message: "Argument of type 'x' is not assignable.\n  Type 'x' is missing the following properties: a, b" },
    { file: "tsconfig", line: 0, column: 0, code: "TS5083", message: "Cannot read file '/tmp/tsconfig.json'." },
  ]);
});

test("findTypeScript: the repository's typescript first, then the fallback's, else null", async () => {
  await withTempDir(async (dir) => {
    const repo = join(dir, "repo");
    const elsewhere = join(dir, "elsewhere");
    await mkdir(repo);
    await mkdir(elsewhere);
    const nowhere = pathToFileURL(join(elsewhere, "x.js")).href;
    assert.equal(findTypeScript(repo, nowhere), null);
    const pkg = join(repo, "node_modules", "typescript");
    await mkdir(join(pkg, "bin"), { recursive: true });
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "typescript", version: "5.9.3", bin: { tsc: "./bin/tsc", tsserver: "./bin/tsserver" } }));
    await writeFile(join(pkg, "bin", "tsc"), "");
    assert.deepEqual(findTypeScript(repo, nowhere), { tscPath: join(pkg, "bin", "tsc"), version: "5.9.3", from: "repository" });
    // swamp's own (this build's) when the repository has none.
    assert.equal(findTypeScript(elsewhere)?.from, "swamp");
  });
});
