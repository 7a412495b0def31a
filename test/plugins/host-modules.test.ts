import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { hostModuleFor, installedVersion, packageRootOf, swampRoot } from "../../plugins/host-modules.js";
import { VERSION } from "../../cli/version.js";

test("the sdk is a host module under its scoped name and its earlier one; zod under every spelling", () => {
  for (const spec of ["@swamp-ts/sdk", "npm:@swamp-ts/sdk", "swamp-sdk", "npm:swamp-sdk"]) assert.equal(hostModuleFor(spec), "@swamp-ts/sdk", spec);
  assert.equal(hostModuleFor("npm:zod@4"), "zod");
  assert.equal(hostModuleFor("zod/v4/core"), "zod/v4/core");
  assert.equal(hostModuleFor("@swamp-ts/cli"), null);
  assert.equal(hostModuleFor("swamp-sdk-extra"), null);
});

test("swamp's root is the nearest package.json above its files, whatever the package is named", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-root-"));
  try {
    const pkg = join(dir, "lib", "node_modules", "@someone", "renamed");
    await mkdir(join(pkg, "dist", "bin", "chunks"), { recursive: true });
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "@someone/renamed" }));
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "outer" }));
    assert.equal(packageRootOf(join(pkg, "dist", "bin", "chunks")), pkg);
    assert.equal(packageRootOf(pkg), pkg);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // From this build: the clone's root, and the version read from its package.json.
  const root = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
  assert.equal(swampRoot(), root);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
  assert.notEqual(VERSION, "0.0.0");
});

test("installed versions are those of the packages swamp resolves", () => {
  for (const pkg of ["esbuild", "zod"]) {
    const dir = join(swampRoot(), "node_modules", pkg);
    assert.equal(installedVersion(pkg), (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version, pkg);
  }
  assert.equal(installedVersion("surely-not-a-package-swamp-has"), "?");
});
