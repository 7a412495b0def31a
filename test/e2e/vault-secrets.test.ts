/**
 * The headline guarantee: a secret never lands on disk, in logs or in output in plain text.
 *
 * A repo with a vault and a secret that is also a shell-injection payload. Model runs use it
 * in method arguments, in `env` of command/shell, echo it to stdout and stderr, fail with it,
 * read it back through `data.latest`, and a model type writes it as a sensitive output (that
 * type is registered in-process: it runs through the compiled kernel against the same repo).
 * Then every byte of the repo, of the swamp home and of everything every command printed
 * (text and --json) is searched: the secret is nowhere, it was delivered to the commands
 * literally (files outside the repo compared byte for byte, the injection did nothing), and it
 * is still recoverable through `swamp vault read-secret` and `swamp data get --reveal`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runMethod } from "../../kernel/models/execute.js";
import { newDefinition } from "../../kernel/models/definition.js";
import { definitionRepository } from "../../kernel/models/service.js";
import { createKernel } from "../../kernel/runtime/kernel.js";
import { lazyVaultStore } from "../../kernel/vaults/lazy.js";
import { parseJson, swamp, withTempDir, type RunResult } from "../helpers/cli.js";
import { registryWithSensitiveModel, SENSITIVE_TYPE } from "../kernel/vaults/fixtures/sensitive-model.js";

const A = randomBytes(6).toString("hex");
const B = randomBytes(6).toString("hex");
/** Quotes, a command separator and a substitution: delivered literally or not at all. */
const SECRET = `tok-${A}"; rm -rf x; echo "$(touch pwned)${B}`;
const C = randomBytes(24).toString("base64");
const D = randomBytes(24).toString("base64");
/** A multi-line secret: commands print it line by line. */
const PEM = `-----BEGIN TEST KEY-----\n${C}\n${D}\n-----END TEST KEY-----\n`;
/** Fragments that appear in any plain-text rendering of the secrets (raw, JSON- or shell-escaped). */
const NEEDLES = [A, B, C, D];

function shellModel(id: string, name: string, args: string): string {
  return `type: command/shell\nid: ${id}\nname: ${name}\nversion: 1\ntags: {}\nglobalArguments: {}\nmethods:\n  execute:\n    arguments:\n${args}`;
}

/** Every file under `root` (any depth, hidden ones too) containing one of the needles. */
async function filesContaining(root: string, needles: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const bytes = await readFile(p);
        if (needles.some((n) => bytes.includes(Buffer.from(n)))) hits.push(p);
      }
    }
  };
  await walk(root);
  return hits;
}

test("a vault secret reaches commands literally and is never written or printed in plain text", async () => {
  await withTempDir(async (dir) => {
    const home = join(dir, "home");
    const outside = join(dir, "outside");
    const work = join(dir, "work");
    await mkdir(home, { recursive: true });
    await mkdir(outside, { recursive: true });
    await mkdir(join(work, "x"), { recursive: true }); // the injection would remove it
    const repo = join(dir, "repo");
    const env = { HOME: home, SWAMP_HOME: join(home, ".swamp") };
    const printed: string[] = [];
    const run = async (args: string[], input?: string): Promise<RunResult> => {
      const r = await swamp([...args, "--repo-dir", repo], { env, ...(input === undefined ? {} : { input }) });
      printed.push(`$ swamp ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    const ok = async (args: string[], input?: string): Promise<RunResult> => {
      const r = await run(args, input);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return r;
    };

    assert.equal((await swamp(["repo", "init", repo, "--json"], { env })).code, 0);
    await ok(["vault", "create", "local_encryption", "dev"]);
    await ok(["vault", "put", "dev", "api"], SECRET);
    await ok(["vault", "put", "dev", "pem"], PEM);
    assert.equal((await ok(["vault", "read-secret", "dev", "api"])).stdout, SECRET);

    const models = join(repo, "models", "command", "shell");
    await mkdir(models, { recursive: true });
    // 1. In the command text (sentinel → env var reference), to a file, stdout and stderr.
    await writeFile(
      join(models, "args.yaml"),
      shellModel(
        "a1b2c3d4-0000-4000-8000-000000000001",
        "in-args",
        `      run: |\n        printf '%s' "\${{ vault.get('dev', 'api') }}" > ${outside}/args.out\n        echo "stdout: \${{ vault.get('dev', 'api') }}"\n        echo stderr: \${{ vault.get(dev, api) }} >&2\n      workingDir: ${work}\n`,
      ),
    );
    // 2. In env of command/shell.
    await writeFile(
      join(models, "env.yaml"),
      shellModel(
        "a1b2c3d4-0000-4000-8000-000000000002",
        "in-env",
        `      run: printf '%s' "$MY_SECRET" > ${outside}/env.out; echo "$MY_SECRET"; echo "$MY_SECRET" >&2\n      workingDir: ${work}\n      env:\n        MY_SECRET: "\${{ vault.get('dev', 'api') }}"\n`,
      ),
    );
    // 2b. A multi-line secret printed line by line.
    await writeFile(
      join(models, "pem.yaml"),
      shellModel(
        "a1b2c3d4-0000-4000-8000-000000000005",
        "pem-echo",
        `      run: printf '%s' "$P" > ${outside}/pem.out; printf '%s' "$P"; printf '%s' "$P" >&2\n      env:\n        P: "\${{ vault.get('dev', 'pem') }}"\n`,
      ),
    );
    // 3. A failing run that prints it first.
    await writeFile(
      join(models, "fail.yaml"),
      shellModel(
        "a1b2c3d4-0000-4000-8000-000000000003",
        "fails",
        `      run: echo "$S"; echo "$S" >&2; exit 3\n      env:\n        S: "\${{ vault.get('dev', 'api') }}"\n`,
      ),
    );
    for (const model of ["in-args", "in-env", "pem-echo"]) {
      const text = await ok(["model", "method", "run", model, "execute"]);
      assert.match(text.stdout + text.stderr, /\*\*\*/);
      await ok(["model", "method", "run", model, "execute", "--json"]);
    }
    for (const flags of [[], ["--json"], ["--verbose"]]) {
      const failed = await run(["model", "method", "run", "fails", "execute", ...flags]);
      assert.equal(failed.code, 1);
    }
    assert.equal(await readFile(join(outside, "args.out"), "utf8"), SECRET);
    assert.equal(await readFile(join(outside, "env.out"), "utf8"), SECRET);
    assert.equal(await readFile(join(outside, "pem.out"), "utf8"), PEM);
    assert.ok((await stat(join(work, "x"))).isDirectory(), "rm -rf x never ran");
    await assert.rejects(stat(join(work, "pwned")), "$(touch pwned) never ran");
    const result = parseJson((await ok(["data", "get", "in-env", "result", "--json"])).stdout);
    assert.equal(result.content.stdout, "***");
    assert.equal(result.content.stderr, "***");

    // 4. A sensitive output, written by a model type running in this process on the same repo.
    const kernel = await createKernel({ repoDir: repo, env: { ...process.env, ...env }, registry: registryWithSensitiveModel() });
    const def = newDefinition(SENSITIVE_TYPE, "sens", "2026.01.01.1");
    def.methods = { create: { arguments: { apiKey: "${{ vault.get('dev', 'api') }}", publicId: "pk_live_1" } } };
    await definitionRepository(kernel).save(def);
    const lines: string[] = [];
    const view = await runMethod(kernel, { ref: "sens", method: "create", vaults: lazyVaultStore(kernel), onOutput: (l) => lines.push(l) });
    printed.push(JSON.stringify(view), lines.join("\n"));
    const vaultKey = `test-sensitive-${def.id}-create-state-main-apiKey`;
    const reference = `\${{ vault.get('dev', '${vaultKey}') }}`;
    assert.equal(view.dataArtifacts.find((a) => a.name === "main")?.attributes?.apiKey, reference);

    // The data CLI prints the stored reference, never the value.
    const stored = parseJson((await ok(["data", "get", "sens", "main", "--json"])).stdout);
    assert.equal(stored.content.apiKey, reference);
    assert.equal(stored.content.note, "made with ***");
    assert.match((await ok(["data", "get", "sens", "main"])).stdout, /vault\.get\('dev', 'test-sensitive-/);

    // 5. Read back through data.latest in CEL: the value reaches the command as an env var.
    await writeFile(
      join(models, "reader.yaml"),
      shellModel(
        "a1b2c3d4-0000-4000-8000-000000000004",
        "reader",
        `      run: printf '%s' "\${{ data.latest('sens', 'main').attributes.apiKey }}" > ${outside}/data.out; echo "\${{ data.latest('sens', 'main').attributes.apiKey }}"\n      workingDir: ${work}\n`,
      ),
    );
    const reader = await ok(["model", "method", "run", "reader", "execute", "--json"]);
    assert.equal(parseJson(reader.stdout).dataArtifacts.find((a: { name: string }) => a.name === "result").attributes.stdout, "***");
    await ok(["model", "method", "run", "reader", "execute"]);
    assert.equal(await readFile(join(outside, "data.out"), "utf8"), SECRET);

    // Everything else a user might look at afterwards.
    for (const args of [
      ["data", "get", "in-args", "result"],
      ["data", "get", "in-args", "log", "--json"],
      ["data", "get", "in-env", "log"],
      ["data", "get", "pem-echo", "log"],
      ["data", "get", "pem-echo", "result", "--json"],
      ["data", "get", "reader", "result", "--json"],
      ["data", "list", "in-env", "--json"],
      ["model", "output", "search", "--json"],
      ["model", "output", "logs", "in-args"],
      ["model", "output", "logs", "fails"],
      ["model", "output", "logs", "reader"],
      ["model", "get", "in-env", "--json"],
      ["vault", "list-keys", "dev", "--json"],
      ["vault", "get", "dev", "--json"],
    ]) {
      await run(args);
    }

    // The value is recoverable only through the explicit command.
    assert.equal((await ok(["vault", "read-secret", "dev", vaultKey])).stdout, SECRET);
    printed.pop(); // that output is the secret by request
    const revealed = parseJson((await ok(["data", "get", "sens", "main", "--json", "--reveal"])).stdout);
    assert.equal(revealed.content.apiKey, SECRET, "data get --reveal returns the real value to the user who asks");
    printed.pop();
    printed.splice(printed.findIndex((p) => p.startsWith("$ swamp vault read-secret dev api")), 1);
    assert.ok(!printed.some((p) => p.startsWith("$ swamp vault read-secret")));

    const everything = printed.join("\n");
    for (const n of NEEDLES) assert.ok(!everything.includes(n), `printed output contains the secret:\n${everything.slice(Math.max(0, everything.indexOf(n) - 400), everything.indexOf(n) + 200)}`);
    assert.deepEqual(await filesContaining(repo, NEEDLES), [], "repo files holding the secret");
    assert.deepEqual(await filesContaining(home, NEEDLES), [], "swamp home files holding the secret");
    // Only the expected plain copies exist outside: the three files the commands wrote on purpose.
    assert.deepEqual((await filesContaining(dir, NEEDLES)).sort(), [join(outside, "args.out"), join(outside, "data.out"), join(outside, "env.out"), join(outside, "pem.out")]);
    // And the secret material exists at all only encrypted.
    assert.ok((await readdir(join(repo, ".swamp", "secrets", "local_encryption", "dev"))).includes("api.enc"));
  });
});
