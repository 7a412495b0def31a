import { test } from "node:test";
import assert from "node:assert/strict";
import { ExpressionContext, selfFromDefinition } from "../../../kernel/expressions/context.js";
import {
  SecretBag,
  evaluateDefinition,
  findVaultCalls,
  needsRuntimePhase,
  resolveRuntimeExpressions,
  revealSecrets,
} from "../../../kernel/expressions/evaluate.js";
import { FakeData, FakeDefinitions, FakeVault, record, summary } from "./fakes.js";

const definition = {
  type: "command/shell",
  id: "id-greeter",
  name: "greeter",
  version: 2,
  tags: { env: "dev" },
  globalArguments: {
    prefix: "swamp says",
    both: "${{ self.name }}-${{ self.version }}",
    count: "${{ inputs.count }}",
    list: "${{ [1, 2, inputs.count] }}",
    map: '${{ {"name": self.name, "n": 1} }}',
    flag: "${{ inputs.count > 1 }}",
    nothing: "${{ null }}",
    home: "${{ env.HOME }}",
    selfEnv: "${{ self.env.name }}",
    nullSafe: "${{ self.env == null }}",
    secret: "${{ vault.get('infra', 'api-key') }}",
    missing: "${{ inputs.missing }}",
    broken: "${{ self.name + }}",
    upstream: "${{ model.net.definition.globalArguments.cidr }}",
    addr: "${{ data.latest('net', 'state').attributes.ip }}:${{ inputs.count }}",
    nested: { deep: ["${{ self.tags.env }}", "plain"] },
  },
  methods: {
    execute: { arguments: { run: 'echo "${{ self.globalArguments.prefix }}: hello ${{ env.USER }}"' } },
  },
};

function context(): ExpressionContext {
  const data = new FakeData().add(record("net", "state", 1, { ip: "10.1.1.1" }));
  const definitions = new FakeDefinitions([summary("net", { cidr: "10.0.0.0/8" })]);
  return new ExpressionContext({ self: selfFromDefinition(definition), inputs: { count: 3 }, definitions, data });
}

test("phase 1 evaluates, preserves native types, interpolates both expressions, defers env/vault", async () => {
  const before = JSON.stringify(definition);
  const { definition: out, unresolved, deferred } = await evaluateDefinition(definition, context());
  assert.equal(JSON.stringify(definition), before, "input untouched");
  const g = out.globalArguments as Record<string, unknown>;
  assert.equal(g.prefix, "swamp says");
  assert.equal(g.both, "greeter-2");
  assert.equal(g.count, 3);
  assert.deepEqual(g.list, [1, 2, 3]);
  assert.deepEqual(g.map, { name: "greeter", n: 1 });
  assert.equal(g.flag, true);
  assert.equal(g.nothing, null);
  assert.equal(g.upstream, "10.0.0.0/8");
  assert.equal(g.addr, "10.1.1.1:3");
  assert.deepEqual(g.nested, { deep: ["dev", "plain"] });
  // Runtime expressions stay raw and are listed as deferred.
  assert.equal(g.home, "${{ env.HOME }}");
  assert.equal(g.secret, "${{ vault.get('infra', 'api-key') }}");
  assert.equal((out.methods.execute.arguments as { run: string }).run, 'echo "swamp says: hello ${{ env.USER }}"');
  assert.deepEqual(deferred, [
    { path: "globalArguments.home", expression: "${{ env.HOME }}" },
    { path: "globalArguments.secret", expression: "${{ vault.get('infra', 'api-key') }}" },
    { path: "methods.execute.arguments.run", expression: "${{ env.USER }}" },
  ]);
  // self.env is not the env root: evaluated in phase 1 (null-safe comparison works, a read of null fails).
  assert.equal(g.nullSafe, true);
  assert.equal(g.selfEnv, "${{ self.env.name }}");
  // Failures keep the raw text and are reported, with the field path.
  assert.deepEqual(
    unresolved.map((u) => [u.path, u.expression]),
    [
      ["globalArguments.selfEnv", "${{ self.env.name }}"],
      ["globalArguments.missing", "${{ inputs.missing }}"],
      ["globalArguments.broken", "${{ self.name + }}"],
    ],
  );
  assert.equal(g.missing, "${{ inputs.missing }}");
  assert.match(unresolved[1]?.error ?? "", /No such key: missing/);
  assert.match(unresolved[2]?.error ?? "", /^Invalid CEL syntax: /);
});

test("needsRuntimePhase reads the AST: env/vault roots, not self.env or strings", () => {
  assert.equal(needsRuntimePhase("env.HOME"), true);
  assert.equal(needsRuntimePhase('env["HOME"] + "x"'), true);
  assert.equal(needsRuntimePhase("self.name + env.USER"), true);
  assert.equal(needsRuntimePhase("vault.get('a', 'b')"), true);
  assert.equal(needsRuntimePhase("vault.get(dwh-infra-1password, KEY)"), true);
  assert.equal(needsRuntimePhase("self.env.name"), false);
  assert.equal(needsRuntimePhase("data.latest('m', 'n').attributes.env.x"), false);
  assert.equal(needsRuntimePhase("'env.HOME'"), false);
  assert.equal(needsRuntimePhase("[1].map(env, env + 1)"), false);
});

test("findVaultCalls: quoted and unquoted arguments, literal text", () => {
  assert.deepEqual(
    findVaultCalls(`vault.get('a b', "k") + vault.get(\`x\`, y) + vault.get(my-vault, API_KEY) + vault.get(inputs.v, "k")`).map((c) => [
      c.vault,
      c.key,
    ]),
    [
      ["a b", "k"],
      ["x", "y"],
      ["my-vault", "API_KEY"],
      ["inputs.v", "k"],
    ],
  );
  assert.deepEqual(findVaultCalls("self.vault.get('a', 'b')"), []);
});

test("phase 2 substitutes vault calls with per-run sentinels and evaluates env with self/inputs", async () => {
  const ctx = context();
  const phase1 = await evaluateDefinition(definition, ctx);
  const vault = new FakeVault({ "infra/api-key": "s3cr3t", "my-vault/API_KEY": "k2" });
  const bag = new SecretBag();
  const { value, secrets } = await resolveRuntimeExpressions(phase1.definition, {
    env: { HOME: "/home/me", USER: "alice" },
    vault,
    context: ctx,
    secrets: bag,
  });
  const g = value.globalArguments as Record<string, unknown>;
  assert.equal(g.home, "/home/me");
  assert.match(String(g.secret), /^__SWAMP_VSEC_[0-9a-f]{8}_0__$/);
  assert.ok(String(g.secret).includes(bag.prefix));
  assert.equal(secrets.get(String(g.secret)), "s3cr3t");
  assert.equal((value.methods.execute.arguments as { run: string }).run, 'echo "swamp says: hello alice"');
  // Expressions that are not runtime ones are left alone.
  assert.equal(g.missing, "${{ inputs.missing }}");
  assert.equal(g.broken, "${{ self.name + }}");
  // The secret never appears in the value itself.
  assert.ok(!JSON.stringify(value).includes("s3cr3t"));
  assert.equal(revealSecrets(value, secrets).globalArguments.secret, "s3cr3t");

  // Unquoted (non-CEL) vault arguments, mixed with self/inputs/env, in one expression.
  const second = await resolveRuntimeExpressions(
    { header: "${{ 'Bearer ' + vault.get(my-vault, API_KEY) + '/' + self.name + '/' + string(inputs.count) + '/' + env.USER }}" },
    { env: { USER: "bob" }, vault, context: ctx, secrets: bag },
  );
  const header = second.value.header;
  assert.match(header, /^Bearer __SWAMP_VSEC_[0-9a-f]{8}_1__\/greeter\/3\/bob$/);
  assert.equal(revealSecrets(second.value, second.secrets).header, "Bearer k2/greeter/3/bob");
  // The same (vault, key) in the same run reuses its sentinel and is fetched once.
  await resolveRuntimeExpressions({ again: "${{ vault.get(\"infra\", 'api-key') }}" }, { vault, secrets: bag });
  assert.equal(vault.calls.filter(([v, k]) => v === "infra" && k === "api-key").length, 1);
});

test("phase 2 without a context still resolves env; type preservation applies", async () => {
  const { value } = await resolveRuntimeExpressions(
    { n: "${{ int(env.COUNT) + 1 }}", s: "x-${{ env.COUNT }}", keep: "${{ self.name }}" },
    { env: { COUNT: "41" } },
  );
  assert.deepEqual(value, { n: 42, s: "x-41", keep: "${{ self.name }}" });
});

test("phase 2 errors: expression_failed with the path; vault failures flattened", async () => {
  await assert.rejects(resolveRuntimeExpressions({ a: { b: "${{ env.NOPE }}" } }, { env: {} }), (err: unknown) => {
    const e = err as { code: string; message: string };
    assert.equal(e.code, "expression_failed");
    assert.match(e.message, /^Invalid expression at a\.b: No such key: NOPE$/);
    return true;
  });
  await assert.rejects(
    resolveRuntimeExpressions({ s: "${{ vault.get('v', 'missing') }}" }, { vault: new FakeVault({}) }),
    (err: unknown) => {
      const e = err as { code: string; message: string };
      assert.equal(e.code, "expression_failed");
      assert.equal(
        e.message,
        `Failed to resolve vault expression vault.get('v', 'missing'): Secret "missing" not found in vault "v" — second line`,
      );
      return true;
    },
  );
  await assert.rejects(
    resolveRuntimeExpressions({ s: "${{ env.HOME + }}" }, { env: { HOME: "/h" }, basePath: "methods.run.arguments" }),
    /Invalid expression at methods\.run\.arguments\.s: /,
  );
});

test("SecretBag prefixes are random per run", () => {
  const a = new SecretBag();
  const b = new SecretBag();
  assert.match(a.prefix, /^[0-9a-f]{8}$/);
  assert.notEqual(a.prefix, b.prefix);
  assert.throws(() => new SecretBag("xyz"), /8 lowercase hex/);
});
