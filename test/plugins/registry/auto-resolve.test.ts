import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withTempDir } from "../../helpers/cli.js";
import { candidateNames, typesUnder } from "../../../plugins/registry/type-refs.js";
import { pulledExtensionDirs, resolveSourceDirs } from "../../../plugins/registry/sources.js";

async function touch(path: string, text = ""): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
}

test("an extension providing a type is looked for under the type, then shorter names down to @collective/name", () => {
  assert.deepEqual(candidateNames("@acme/aws/ec2/instance"), ["@acme/aws/ec2/instance", "@acme/aws/ec2", "@acme/aws"]);
  assert.deepEqual(candidateNames("@Acme/Store"), ["@acme/store"]);
  assert.deepEqual(candidateNames("@acme"), []);
  assert.deepEqual(candidateNames("@acme/bad name"), []);
});

test("types come from the directories that hold YAML files, scoped ones only", async () => {
  await withTempDir(async (dir) => {
    await touch(join(dir, "models", "@acme", "store", "a.yaml"));
    await touch(join(dir, "models", "@acme", "aws", "ec2", "b.yml"));
    await touch(join(dir, "models", "@acme", "empty", "notes.txt"));
    await touch(join(dir, "models", "command", "shell", "c.yaml"));
    assert.deepEqual(await typesUnder(join(dir, "models")), ["@acme/aws/ec2", "@acme/store"]);
    assert.deepEqual(await typesUnder(join(dir, "missing")), []);
  });
});

test("pulled extensions' kind directories are scanned after the repo's own and the source mounts", async () => {
  await withTempDir(async (repo) => {
    await touch(join(repo, ".swamp", "pulled-extensions", "@acme", "store", "manifest.yaml"));
    await touch(join(repo, ".swamp", "pulled-extensions", "@acme", "store", "datastores", "s.ts"));
    await touch(join(repo, ".swamp", "pulled-extensions", "@acme", "aws", "ec2", "manifest.yaml"));
    await touch(join(repo, ".swamp", "pulled-extensions", "@acme", "aws", "ec2", "models", "m.ts"));
    await touch(join(repo, ".swamp", "pulled-extensions", ".staging-1", "@acme", "x", "manifest.yaml"));
    await touch(join(repo, ".swamp", "pulled-extensions", ".staging-1", "@acme", "x", "models", "m.ts"));
    const pulled = join(repo, ".swamp", "pulled-extensions");
    assert.deepEqual(await pulledExtensionDirs(repo), {
      model: [join(pulled, "@acme", "aws", "ec2", "models")],
      datastore: [join(pulled, "@acme", "store", "datastores")],
    });
    await touch(join(repo, "shared", "extensions", "models", "x.ts"), "export const model = {};\n");
    await writeFile(join(repo, ".swamp-sources.yaml"), "sources:\n  - path: shared\n");
    const { dirs } = await resolveSourceDirs(repo, {}, {});
    assert.deepEqual(dirs.model, [join(repo, "shared", "extensions", "models"), join(pulled, "@acme", "aws", "ec2", "models")]);
  });
});
