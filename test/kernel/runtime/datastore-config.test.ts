import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDatastoreString, resolveDatastoreSpec, swampHome } from "../../../kernel/runtime/datastore-config.js";
import { expandPath, collapseHome } from "../../../kernel/runtime/env-path.js";
import { ExcludeMatcher } from "../../../kernel/runtime/exclude.js";
import { RepoPaths, effectiveDirectories } from "../../../kernel/runtime/paths.js";

const env = { HOME: "/home/u", DATA: "/srv/data", EMPTY: "" };

test("expandPath expands ~, $VAR and ${VAR}; unset or empty variables are errors", () => {
  assert.equal(expandPath("~/x", env), "/home/u/x");
  assert.equal(expandPath("~", env), "/home/u");
  assert.equal(expandPath("$DATA/a/${DATA}", env), "/srv/data/a//srv/data");
  assert.equal(expandPath("/plain/~path", env), "/plain/~path");
  assert.throws(() => expandPath("$NOPE/x", env), { code: "env_var_unset", message: /"NOPE" is not set or empty \(referenced in path "\$NOPE\/x"\)/ });
  assert.throws(() => expandPath("${EMPTY}/x", env), { code: "env_var_unset" });
  assert.equal(collapseHome("/home/u/store", env), "$HOME/store");
  assert.equal(collapseHome("/home/user2/store", env), "/home/user2/store");
});

test("SWAMP_DATASTORE / --datastore strings", () => {
  assert.deepEqual(parseDatastoreString("filesystem:$DATA/s", env, "SWAMP_DATASTORE"), {
    type: "filesystem", source: "env", config: { path: "/srv/data/s" },
  });
  assert.deepEqual(parseDatastoreString('@acme/store:{"bucket":"b"}', env, "--datastore"), {
    type: "@acme/store", source: "flag", config: { bucket: "b" },
  });
  assert.deepEqual(parseDatastoreString("@acme/store:", env, "--datastore").config, {});
  assert.deepEqual(parseDatastoreString("s3:bucket/pre/fix", env, "SWAMP_DATASTORE").config, { bucket: "bucket", prefix: "pre/fix" });
  assert.throws(() => parseDatastoreString("nocolon", env, "SWAMP_DATASTORE"), { code: "datastore_config_invalid" });
  assert.throws(() => parseDatastoreString("filesystem:", env, "SWAMP_DATASTORE"), { code: "datastore_config_invalid" });
  assert.throws(() => parseDatastoreString("filesystem:rel", env, "SWAMP_DATASTORE"), /must be absolute/);
  assert.throws(() => parseDatastoreString("@a/b:[1]", env, "SWAMP_DATASTORE"), /must be a JSON object/);
  assert.throws(() => parseDatastoreString("@a/b:{x", env, "SWAMP_DATASTORE"), /Invalid JSON config for datastore type "@a\/b"/);
});

test("resolution priority and the default", () => {
  const marker = { datastore: { type: "filesystem", path: "/from/yaml", exclude: ["telemetry/**"] } };
  const base = { repoDir: "/repo", markerFile: "/repo/.swamp.yaml" };
  assert.equal(resolveDatastoreSpec({ ...base, marker: {}, env: {} }).config.path, "/repo/.swamp");
  assert.equal(resolveDatastoreSpec({ ...base, marker: {}, env: {} }).source, "default");
  const yaml = resolveDatastoreSpec({ ...base, marker, env: {} });
  assert.equal(yaml.config.path, "/from/yaml");
  assert.deepEqual(yaml.exclude, ["telemetry/**"]);
  assert.equal(resolveDatastoreSpec({ ...base, marker, env: {}, flag: "filesystem:/flag" }).config.path, "/flag");
  assert.equal(resolveDatastoreSpec({ ...base, marker, env: { SWAMP_DATASTORE: "filesystem:/env" }, flag: "filesystem:/flag" }).config.path, "/env");
  assert.throws(
    () => resolveDatastoreSpec({ ...base, marker: { datastore: { type: "filesystem", directories: ["bogus"], path: "/x" } }, env: {} }),
    /datastore\.directories: unknown directory "bogus"/,
  );
  const legacy = resolveDatastoreSpec({ ...base, marker: { datastore: { type: "s3", bucket: "b", region: "eu-west-1" } }, env: {} });
  assert.deepEqual(legacy.config, { bucket: "b", region: "eu-west-1" });
});

test("swampHome prefers SWAMP_HOME, then ~/.swamp", () => {
  assert.equal(swampHome({ SWAMP_HOME: "/opt/sw", HOME: "/h" }), "/opt/sw");
  assert.equal(swampHome({ HOME: "/h" }), "/h/.swamp");
  assert.throws(() => swampHome({}), /Cannot determine home directory/);
});

test("exclude patterns: last match wins, * stops at /, ** crosses, anchored", () => {
  const m = new ExcludeMatcher(["# comment", "", "telemetry/**", "data/**/secret-*", "!data/keep/secret-ok", "logs/*.log"]);
  assert.equal(m.matches("telemetry/a/b"), true);
  assert.equal(m.matches("telemetry"), false, "no implicit directory match");
  assert.equal(m.matches("data/x/y/secret-1"), true);
  assert.equal(m.matches("data/secret-1"), true, "**/ matches zero directories");
  assert.equal(m.matches("data/keep/secret-ok"), false, "negation");
  assert.equal(m.matches("logs/a.log"), true);
  assert.equal(m.matches("logs/sub/a.log"), false, "* does not cross /");
  assert.equal(new ExcludeMatcher(["a[bc].txt", "x[y"]).matches("ab.txt"), true);
  assert.equal(new ExcludeMatcher(["x[y"]).matches("x[y"), true, "unclosed [ is literal");
});

test("paths route datastore-tier dirs to the datastore and the rest locally", () => {
  assert.deepEqual(effectiveDirectories(["data", "secrets", "outputs"]), ["data", "outputs"]);
  const paths = new RepoPaths("/repo", "/store", effectiveDirectories(undefined), ["telemetry/**"]);
  assert.equal(paths.resolve("data", "a", "b"), "/store/data/a/b");
  assert.equal(paths.resolve("secrets", "k"), "/repo/.swamp/secrets/k");
  assert.equal(paths.resolve("telemetry", "x"), "/repo/.swamp/telemetry/x");
  assert.equal(paths.resolve("bundles", "x"), "/repo/.swamp/bundles/x");
  assert.equal(paths.local("index"), "/repo/.swamp/index");
});
