/**
 * The workflow repository over a folder: which files count, name-first lookups that read one
 * file when it is named after the workflow, broken files, create/rename, and never writing
 * over another workflow's file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkflowRepository, serializeWorkflow, workflowsDirFor } from "../../../kernel/workflows/repository.js";
import { defaultWorkflow } from "../../../kernel/workflows/schema.js";

const ID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const ID_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

async function withFolder(fn: (repo: WorkflowRepository, dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "swamp-wf-"));
  const dir = join(root, "workflows");
  await mkdir(dir);
  try {
    await fn(new WorkflowRepository({ dir, repoDir: root }), dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test("only workflow-*.yaml directly in the folder count; workflowsDir comes from the marker", async () => {
  await withFolder(async (repo, dir) => {
    await writeFile(join(dir, "workflow-a.yaml"), serializeWorkflow(defaultWorkflow(ID_A, "a")));
    await writeFile(join(dir, "other.yaml"), serializeWorkflow(defaultWorkflow(ID_B, "other")));
    await mkdir(join(dir, "nested"));
    await writeFile(join(dir, "nested", "workflow-b.yaml"), serializeWorkflow(defaultWorkflow(ID_B, "b")));
    const { workflows, broken } = await repo.list();
    assert.deepEqual(workflows.map((w) => w.workflow.name), ["a"]);
    assert.deepEqual(broken, []);
  });
  assert.equal(workflowsDirFor("/r", {}), "/r/workflows");
  assert.equal(workflowsDirFor("/r", { workflowsDir: "flows" }), "/r/flows");
  assert.equal(workflowsDirFor("/r", { workflowsDir: "/abs/flows" }), "/abs/flows");
});

test("lookups: the file named after the workflow is read alone; ids and other names fall back to the folder", async () => {
  await withFolder(async (_repo, dir) => {
    let scans = 0;
    class Counting extends WorkflowRepository {
      override async list() {
        scans++;
        return super.list();
      }
    }
    const repo = new Counting({ dir, repoDir: join(dir, "..") });
    await writeFile(join(dir, "workflow-deploy.yaml"), serializeWorkflow(defaultWorkflow(ID_A, "deploy")));
    await writeFile(join(dir, `workflow-${ID_B}.yaml`), serializeWorkflow(defaultWorkflow(ID_B, "@acme/ship")));
    assert.equal((await repo.find("deploy"))?.workflow.id, ID_A);
    assert.equal(scans, 0, "a name that names its file reads one file");
    assert.equal((await repo.find(ID_A))?.workflow.name, "deploy");
    assert.equal((await repo.find("@acme/ship"))?.workflow.id, ID_B);
    assert.equal(await repo.find("nope"), null);
    await assert.rejects(repo.require("nope"), { code: "workflow_not_found" });
  });
});

test("a broken file matching the name or id is workflow_load_failed, naming file and line", async () => {
  await withFolder(async (repo, dir) => {
    await writeFile(join(dir, "workflow-x.yaml"), `id: ${ID_A}\nname: renamed\njobs: oops\n`);
    await assert.rejects(repo.require("x"), (err: Error & { code?: string }) => {
      assert.equal(err.code, "workflow_load_failed");
      assert.match(err.message, /^Workflow 'x' exists but failed to load: workflow 'renamed': jobs: .* \(file: workflows\/workflow-x\.yaml:3\)$/);
      return true;
    });
    await assert.rejects(repo.require("renamed"), { code: "workflow_load_failed" });
    await assert.rejects(repo.require(ID_A), { code: "workflow_load_failed" });
    await assert.rejects(repo.create("renamed"), { code: "already_exists" }, "a broken file still holds its name");
  });
});

test("create names files after the name (or the id for scoped names); a rename moves the file; another workflow's file is never overwritten", async () => {
  await withFolder(async (repo, dir) => {
    const a = await repo.create("alpha");
    assert.match(a.path, /workflow-alpha\.yaml$/);
    const scoped = await repo.create("@acme/beta");
    assert.ok(scoped.path.endsWith(`workflow-${scoped.workflow.id}.yaml`));
    await assert.rejects(repo.create("alpha"), { code: "already_exists", message: "Workflow already exists: alpha" });
    await assert.rejects(repo.create("Alpha"), { code: "validation_failed" });

    const moved = await repo.update({ ...a.workflow, name: "gamma" }, a);
    assert.match(moved, /workflow-gamma\.yaml$/);
    assert.deepEqual((await readdir(dir)).sort(), [`workflow-${scoped.workflow.id}.yaml`, "workflow-gamma.yaml"]);

    // A hand-written file whose name does not match its file name still owns that file.
    await writeFile(join(dir, "workflow-delta.yaml"), serializeWorkflow(defaultWorkflow(ID_B, "legacy-name")));
    const gamma = (await repo.find("gamma"))!;
    await assert.rejects(repo.update({ ...gamma.workflow, name: "delta" }, gamma), { code: "already_exists" });
    assert.equal((await repo.find("legacy-name"))?.workflow.id, ID_B);
  });
});

test("extension directories join the lookup after the repo's own, read-only; clashes are shadowed, the repo's file wins", async () => {
  await withFolder(async (_repo, dir) => {
    const root = join(dir, "..");
    const pulled = join(root, "pulled", "workflows");
    const source = join(root, "source");
    const ID_C = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
    const ID_D = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
    await writeFile(join(dir, "workflow-deploy.yaml"), serializeWorkflow(defaultWorkflow(ID_A, "deploy")));
    await writeFile(join(dir, "workflow-half.yaml"), "id: x\nname: half\njobs: [\n");
    await mkdir(join(source, "ci", "deep"), { recursive: true });
    // Any YAML with a top-level jobs key, at any depth up to four levels; other YAML is not a workflow.
    await writeFile(join(source, "ci", "deep", "ship.yml"), serializeWorkflow(defaultWorkflow(ID_B, "ship")));
    await writeFile(join(source, "ci", "deploy.yaml"), serializeWorkflow(defaultWorkflow(ID_C, "deploy")));
    await writeFile(join(source, "notes.yaml"), "title: not a workflow\n");
    await writeFile(join(source, "bad.yaml"), "name: bad\njobs: 3\n");
    await mkdir(pulled, { recursive: true });
    await writeFile(join(pulled, "ship.yaml"), serializeWorkflow(defaultWorkflow(ID_D, "ship")));
    await writeFile(join(pulled, "half.yaml"), serializeWorkflow(defaultWorkflow(ID_D, "half")));
    await writeFile(join(pulled, "audit.yaml"), serializeWorkflow(defaultWorkflow(ID_C.replace(/c/g, "e"), "audit")));
    let asked = 0;
    const repo = new WorkflowRepository({
      dir,
      repoDir: root,
      extensionDirs: async () => {
        asked++;
        return [
          { dir, origin: { type: "source", source: "." } },
          { dir: source, origin: { type: "source", source: "../source" } },
          { dir: pulled, origin: { type: "pulled", extension: "@acme/flows" } },
        ];
      },
    });

    assert.equal((await repo.find("deploy"))?.origin, undefined, "the repo's own file answers without asking for extensions");
    assert.equal(asked, 0);
    const { workflows, broken, shadowed } = await repo.list();
    assert.deepEqual(
      workflows.map((w) => [w.workflow.name, w.origin ?? null]),
      [
        ["deploy", null],
        ["ship", { type: "source", source: "../source" }],
        ["audit", { type: "pulled", extension: "@acme/flows" }],
      ],
    );
    assert.deepEqual(
      shadowed.map((s) => [s.workflow.workflow.name, s.workflow.path, s.by]),
      [
        ["deploy", join(source, "ci", "deploy.yaml"), join(dir, "workflow-deploy.yaml")],
        ["half", join(pulled, "half.yaml"), join(dir, "workflow-half.yaml")],
        ["ship", join(pulled, "ship.yaml"), join(source, "ci", "deep", "ship.yml")],
      ],
    );
    assert.deepEqual(
      broken.map((b) => [b.path, b.origin ?? null]),
      [
        [join(dir, "workflow-half.yaml"), null],
        [join(source, "bad.yaml"), { type: "source", source: "../source" }],
      ],
    );

    const ship = await repo.require("ship");
    assert.equal(ship.path, join(source, "ci", "deep", "ship.yml"));
    assert.equal((await repo.require(ID_C.replace(/c/g, "e"))).workflow.name, "audit", "found by id too");
    await assert.rejects(repo.require("half"), { code: "workflow_load_failed" }, "a broken repo file is never answered by an extension");
    assert.equal(repo.readOnlyError(await repo.require("deploy"), "delete"), null);
    assert.equal(
      repo.readOnlyError(ship, "delete")?.message,
      "Cannot delete extension workflow 'ship'. Extension workflows are read-only. To remove it, delete the source file directly.",
    );
    assert.equal(repo.readOnlyError((await repo.brokenFor("bad"))!, "edit")?.code, "workflow_read_only");
    await assert.rejects(repo.update({ ...ship.workflow, description: "changed" }, ship), { code: "workflow_read_only" });
    await assert.rejects(repo.create("audit"), { code: "already_exists" }, "a name an extension uses is taken");
  });
});
