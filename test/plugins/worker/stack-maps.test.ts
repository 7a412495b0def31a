import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mapBundleStacks } from "../../../plugins/worker/stack-maps.js";

const CODE = 'export function boom() { return new Error("boom"); }\n';
const inlineMap = (map: object) => `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}\n`;

test("bundle frames name their source when a stack is formatted; a map that does not parse or names a source with no local path leaves the frame as V8 wrote it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "swamp-stack-maps-"));
  const original = Error.prepareStackTrace;
  try {
    const cases = {
      mapped: inlineMap({ version: 3, sources: ["model.ts"], sourceRoot: "file:///work/extensions/", names: [], mappings: "AAAA" }),
      remote: inlineMap({ version: 3, sources: ["model.ts"], sourceRoot: "file://elsewhere/share/", names: [], mappings: "AAAA" }),
      torn: "//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjoz\n",
    };
    const stacks: Record<string, string> = {};
    for (const [name, map] of Object.entries(cases)) {
      const file = join(dir, `${name}.mjs`);
      writeFileSync(file, CODE + map);
      const url = `${pathToFileURL(file).href}?load=1`;
      mapBundleStacks(url, file);
      const { boom } = (await import(url)) as { boom(): Error };
      stacks[name] = boom().stack ?? "";
    }
    assert.match(stacks.mapped!, /^Error: boom\n {4}at boom \(\/work\/extensions\/model\.ts:1:1\)/);
    for (const name of ["remote", "torn"]) {
      assert.match(stacks[name]!, new RegExp(`^Error: boom\\n {4}at boom \\(file://[^)]*/${name}\\.mjs\\?load=1:1:33\\)`), stacks[name]);
    }
    // Loads of one bundle (a pooled thread serving several instances) share its map, read once.
    const file = join(dir, "mapped.mjs");
    const second = `${pathToFileURL(file).href}?load=2`;
    mapBundleStacks(second, file);
    const { boom } = (await import(second)) as { boom(): Error };
    writeFileSync(file, CODE + cases.torn);
    assert.match(boom().stack ?? "", /^Error: boom\n {4}at boom \(\/work\/extensions\/model\.ts:1:1\)/);

    // Frames outside any bundle are V8's own text.
    assert.match(new Error("here").stack ?? "", /^Error: here\n {4}at .*stack-maps\.test\.js:\d+:\d+/);
  } finally {
    Error.prepareStackTrace = original;
    rmSync(dir, { recursive: true, force: true });
  }
});
