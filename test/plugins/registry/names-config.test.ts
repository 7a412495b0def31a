/**
 * The name/version mapping between swamp and npm, and where the registry URL and token come from.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveRegistry } from "../../../plugins/registry/config.js";
import {
  calVerToSemVer,
  compareCalVer,
  fromNpmName,
  isCalVer,
  parseExtensionRef,
  semVerToCalVer,
  toNpmName,
} from "../../../plugins/registry/names.js";

test("nested names map to one npm name and back", () => {
  assert.equal(toNpmName("@swamp/aws/ec2"), "@swamp/aws.ec2");
  assert.equal(toNpmName("@acme/s3-datastore"), "@acme/s3-datastore");
  assert.equal(fromNpmName("@swamp/aws.ec2"), "@swamp/aws/ec2");
  assert.equal(fromNpmName("@acme/under_score"), "@acme/under_score");
  assert.equal(fromNpmName("left-pad"), null);
  assert.throws(() => toNpmName("acme/x"), { code: "extension_name_invalid" });
  assert.throws(() => toNpmName("@Acme/x"), { code: "extension_name_invalid" });
});

test("CalVer maps to SemVer YYYY.MMDD.MICRO and back, keeping the order", () => {
  assert.equal(calVerToSemVer("2026.08.12.1"), "2026.812.1");
  assert.equal(calVerToSemVer("2026.01.01.0"), "2026.101.0");
  assert.equal(calVerToSemVer("2026.12.31.1750263600"), "2026.1231.1750263600");
  for (const v of ["2026.08.12.1", "2024.02.29.3", "2026.10.01.12"]) assert.equal(semVerToCalVer(calVerToSemVer(v)), v);
  assert.ok(isCalVer("2024.02.29.1"));
  assert.ok(!isCalVer("2026.02.29.1"));
  assert.ok(!isCalVer("2026.13.01.1"));
  assert.ok(!isCalVer("2026.8.12.1"));
  assert.ok(!isCalVer("2026.08.12.01"));
  assert.throws(() => calVerToSemVer("2026.02.30.1"), { code: "extension_version_invalid" });
  assert.equal(semVerToCalVer("1.2.3"), null);
  assert.equal(semVerToCalVer("2026.1332.1"), null);
  assert.ok(compareCalVer("2026.09.01.1", "2026.08.31.9") > 0);
  assert.ok(compareCalVer("2026.08.12.10", "2026.08.12.9") > 0);
  assert.deepEqual(parseExtensionRef("@acme/x/y@2026.08.12.1"), { name: "@acme/x/y", version: "2026.08.12.1" });
  assert.deepEqual(parseExtensionRef("@acme/x"), { name: "@acme/x" });
});

test("registry URL and token resolution follow the documented order; the token is never serialised", async () => {
  const dir = await mkdtemp(join(tmpdir(), "swamp-registry-config-"));
  try {
    const home = join(dir, "home");
    const repo = join(dir, "repo");
    await mkdir(home, { recursive: true });
    await mkdir(repo, { recursive: true });
    const base = { HOME: home, npm_config_userconfig: join(home, ".npmrc") };
    assert.equal((await resolveRegistry({ repoDir: repo, env: base })).url, "https://registry.npmjs.org/");

    await writeFile(join(home, ".npmrc"), "registry=https://user.example/npm\n//user.example/npm/:_authToken=USER_SECRET\n");
    let t = await resolveRegistry({ repoDir: repo, env: base, extension: "@acme/x" });
    assert.equal(t.url, "https://user.example/npm/");
    assert.equal(t.authorization(), "Bearer USER_SECRET");
    assert.ok(!JSON.stringify(t).includes("USER_SECRET"));
    assert.equal(t.redact("echo USER_SECRET"), "echo ***");

    await writeFile(join(repo, ".npmrc"), "@acme:registry=https://acme.example/\n//acme.example/:_authToken=${ACME}\n");
    t = await resolveRegistry({ repoDir: repo, env: { ...base, ACME: "ACME_SECRET" }, extension: "@acme/x" });
    assert.equal(t.url, "https://acme.example/");
    assert.equal(t.authorization(), "Bearer ACME_SECRET");
    t = await resolveRegistry({ repoDir: repo, env: base, extension: "@other/x" });
    assert.equal(t.url, "https://user.example/npm/");
    t = await resolveRegistry({ repoDir: repo, env: { ...base, npm_config_registry: "https://env.example" }, extension: "@other/x" });
    assert.equal(t.url, "https://env.example/");
    assert.equal(t.hasToken, false);
    t = await resolveRegistry({ repoDir: repo, env: { ...base, npm_config_registry: "https://env.example", NPM_TOKEN: "NT" } });
    assert.equal(t.authorization(), "Bearer NT");

    await writeFile(join(repo, ".swamp.yaml"), "extensions:\n  registry: https://marker.example/\n");
    t = await resolveRegistry({ repoDir: repo, env: base, extension: "@acme/x" });
    assert.equal(t.url, "https://marker.example/");
    t = await resolveRegistry({ repoDir: repo, env: { ...base, SWAMP_EXTENSION_REGISTRY: "http://127.0.0.1:1234" }, extension: "@acme/x" });
    assert.equal(t.url, "http://127.0.0.1:1234/");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
