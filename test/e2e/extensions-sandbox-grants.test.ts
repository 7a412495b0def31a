/**
 * A sandboxed datastore's filesystem grant is decided by the host, never by the extension: a
 * hostile datastore that answers `$HOME/.ssh`, `/proc/<ppid>` or `<repo>/models` as its path
 * fails with `extension_permission_denied` naming that path, before it is granted anything, and
 * reads and writes nothing there. A configured path that is a symlink into a refused area is
 * refused; a well-behaved sandboxed datastore keeps working.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { appendFile, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseJson, swamp, withRepo } from "../helpers/cli.js";
import { FS_STORE, FS_STORE_LIB, GREETER_MODEL, writeSource } from "../plugins/fixtures.js";

/**
 * Answers whatever path it is told (`ppid`: the CLI's /proc entry); its verifier reads the
 * keys and environment it finds there and plants an `authorized_keys` file.
 */
const HOSTILE_STORE = `import { z } from "npm:zod@4";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const Config = z.object({ answer: z.string(), path: z.string().optional() });

export const datastore = {
  type: "@test/hostile-store",
  name: "Hostile store",
  description: "Claims a datastore path it was not given",
  configSchema: Config,
  createProvider: (config: Record<string, unknown>) => {
    const c = Config.parse(config);
    const target = c.answer === "ppid" ? "/proc/" + process.ppid : c.answer;
    const plant = () => {
      let stolen = "";
      for (const name of ["id_rsa", "environ"]) {
        try {
          stolen += readFileSync(join(target, name), "utf8");
        } catch {}
      }
      try {
        writeFileSync(join(target, "authorized_keys"), "ssh-ed25519 AAAA hostile\\n");
      } catch {}
      return stolen;
    };
    return {
      resolveDatastorePath: () => target,
      createLock: () => ({
        acquire: async () => void plant(),
        release: async () => {},
        inspect: async () => null,
        forceRelease: async () => false,
      }),
      createVerifier: () => ({
        verify: async () => ({ healthy: true, message: "stolen: " + plant(), latencyMs: 1, datastoreType: "@test/hostile-store" }),
      }),
    };
  },
};
`;

const SECRET = "AKIAHOSTILETESTSECRET";

test("a sandboxed datastore answering a path it was not given is refused, and touches nothing there", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    const ssh = join(home, ".ssh");
    await mkdir(ssh, { recursive: true });
    await writeFile(join(ssh, "id_rsa"), "-----BEGIN FAKE KEY-----\n");
    await writeSource(repo, "extensions/datastores/hostile/mod.ts", HOSTILE_STORE);
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    const env = { HOME: home, AWS_SECRET_ACCESS_KEY: SECRET };
    const modelsBefore = readdirSync(join(repo, "models"));

    const answers: Array<[string, string, RegExp]> = [
      ["~/.ssh", ssh, new RegExp(`resolved its datastore path to ${ssh}`)],
      ["/proc/<ppid>", "ppid", /resolved its datastore path to \/proc\/\d+/],
      ["<repo>/models", join(repo, "models"), new RegExp(`resolved its datastore path to ${join(repo, "models")}`)],
    ];
    for (const [what, answer, message] of answers) {
      const r = await swamp(["datastore", "status", "--json", "--repo-dir", repo], {
        env: { ...env, SWAMP_DATASTORE: `@test/hostile-store:${JSON.stringify({ answer })}` },
      });
      assert.equal(r.code, 1, `${what}: ${r.stdout}`);
      const error = parseJson(r.stderr).error;
      assert.equal(error.code, "extension_permission_denied", `${what}: ${error.message}`);
      assert.match(error.message, message);
      assert.match(error.message, /datastore extension @test\/hostile-store \(extensions\/datastores\/hostile\/mod\.ts\)/);
      assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `${what}: the CLI's environment leaked`);
      assert.ok(!r.stdout.includes("FAKE KEY") && !r.stderr.includes("FAKE KEY"), `${what}: the key leaked`);
    }
    assert.deepEqual(readdirSync(ssh), ["id_rsa"], "nothing planted in ~/.ssh");
    assert.deepEqual(readdirSync(join(repo, "models")), modelsBefore, "nothing planted in models/");

    // A configured path that is a symlink into ~/.ssh is judged by where it leads.
    const link = join(repo, "..", "store-link");
    await symlink(ssh, link);
    const viaLink = await swamp(["datastore", "status", "--json", "--repo-dir", repo], {
      env: { ...env, SWAMP_DATASTORE: `@test/hostile-store:${JSON.stringify({ answer: link, path: link })}` },
    });
    assert.equal(viaLink.code, 1, viaLink.stdout);
    const refused = parseJson(viaLink.stderr).error;
    assert.equal(refused.code, "datastore_path_refused", refused.message);
    assert.match(refused.message, /resolves to .*\.ssh/);
    assert.deepEqual(readdirSync(ssh), ["id_rsa"]);
  });
});

test("a well-behaved sandboxed datastore, at swamp's default path or a configured one, still works", async () => {
  await withRepo(async (repo) => {
    const home = join(repo, "..", "home");
    await mkdir(home);
    await writeSource(repo, "extensions/datastores/fs-store/mod.ts", FS_STORE);
    await writeSource(repo, "extensions/datastores/fs-store/_lib/body.ts", FS_STORE_LIB);
    await writeSource(repo, "extensions/models/greeter.ts", GREETER_MODEL);
    await appendFile(join(repo, ".swamp.yaml"), "extensions:\n  isolation: sandbox\n");
    for (const path of [join(repo, ".swamp"), join(repo, "..", "store")]) {
      const env = { HOME: home, SWAMP_DATASTORE: `@test/fs-store:${JSON.stringify({ path })}` };
      const run = await swamp(["model", "@test/greeter", "method", "run", "greet", "boxed", "--input", "name=box", "--json", "--repo-dir", repo], { env });
      assert.equal(run.code, 0, run.stderr);
      const main = parseJson(run.stdout).dataArtifacts.find((a: { name: string }) => a.name === "main");
      const written = resolve(repo, main.path);
      assert.ok(written.startsWith(join(path, "data")), `${written} is in ${path}`);
      assert.equal(JSON.parse(await readFile(join(written, "raw"), "utf8")).message, "hello box");
    }
  });
});
