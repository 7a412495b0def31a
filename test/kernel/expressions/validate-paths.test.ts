import { test } from "node:test";
import assert from "node:assert/strict";
import {
  envVarWarning,
  findEnvVarUsage,
  formatExpressionPathErrors,
  validateExpressionPaths,
} from "../../../kernel/expressions/validate-paths.js";
import type { ExpressionPathError, TypeInfo } from "../../../kernel/expressions/validate-paths.js";
import { FakeDefinitions, FakeTypes, summary } from "./fakes.js";

const shellType: TypeInfo = {
  resources: ["result"],
  files: ["log"],
  globalArguments: {
    type: "object",
    properties: { prefix: { type: "string" }, db: { type: "object", properties: { host: { type: "string" }, port: { type: "number" } } } },
    additionalProperties: false,
  },
};
const vpcType: TypeInfo = {
  resources: ["vpc", "subnet"],
  files: [],
  globalArguments: { type: "object", properties: { cidr: { type: "string" } } },
  resourceSchemas: { vpc: { type: "object", properties: { vpcId: { type: "string" }, tags: { type: "object", additionalProperties: { type: "string" } } } } },
};

const options = {
  definitions: new FakeDefinitions([summary("net", { cidr: "10.0.0.0/8" }, { type: "aws/vpc" }), summary("deploy-vpc", {}, { type: "aws/vpc" })]),
  types: new FakeTypes({ "command/shell": shellType, "aws/vpc": vpcType }),
};

async function errorsFor(expr: string, extra: Record<string, unknown> = {}): Promise<ExpressionPathError[]> {
  const result = await validateExpressionPaths({ type: "command/shell", globalArguments: { v: expr }, ...extra }, options);
  assert.equal(result.passed, result.errors.length === 0);
  return result.errors;
}

test("valid expressions pass", async () => {
  for (const expr of [
    "${{ self.name }}",
    "${{ self.globalArguments.prefix }}",
    "${{ self.globalArguments.db.host }}",
    "${{ self.anything.at.all }}",
    "${{ self.env.name }}",
    "${{ inputs.x }}",
    "${{ env.HOME }}",
    "${{ vault.get(dwh-infra-1password, API_KEY) }}",
    "${{ model.net.definition.globalArguments.cidr }}",
    "${{ model.net.input.globalArguments.cidr }}",
    "${{ model.net.definition.name }}",
    "${{ model.deploy-vpc.resource.vpc.main.attributes.vpcId }}",
    "${{ model.net.resource.vpc.main.attributes.tags.anything }}",
    "${{ model.net.resource.vpc.main.content }}",
    "${{ model.net.resource.vpc[inputs.i].attributes.vpcId }}",
    "${{ model.net.execution.status }}",
    "${{ data.latest('net', 'state').attributes.x }}",
    "${{ data.findBySpec('net', 'vpc') }}",
    "${{ data.query('modelName == \"net\"') }}",
    "${{ file.contents('net', 'log') }}",
    "${{ 42 }}",
    "${{ 'literal' }}",
    "${{ [1, 2].map(x, x * 2) }}",
    "${{ cel.bind(v, self.name, v + v) }}",
    "${{ type(self.version) == int }}",
    "${{ self.name }}-${{ self.version }}",
  ]) {
    assert.deepEqual(await errorsFor(expr), [], expr);
  }
});

test("syntax errors name the field", async () => {
  const result = await validateExpressionPaths(
    { type: "command/shell", methods: { execute: { arguments: { run: "echo ${{ self.name + }}" } } } },
    options,
  );
  assert.equal(result.passed, false);
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0]?.path, "methods.execute.arguments.run");
  assert.equal(result.errors[0]?.expression, "${{ self.name + }}");
  assert.match(result.errors[0]?.error ?? "", /^Syntax error in methods\.execute\.arguments\.run: /);
});

test("malformed wrappers", async () => {
  const errors = await errorsFor("a {{ self.name }} b ${inputs.x} c ${HOME}");
  assert.deepEqual(
    errors.map((e) => [e.expression, e.error, e.suggestion]),
    [
      ["{{ self.name }}", "Expression uses {{...}} instead of ${{...}}", 'Add "$" prefix: ${{...}}'],
      ["${inputs.x}", "Expression uses ${...} instead of ${{...}}", "Use double braces: ${{...}}"],
    ],
  );
});

test("model references: missing model, unknown kind, unknown spec, bad field, definition hint", async () => {
  assert.deepEqual((await errorsFor("${{ model.ghost.definition.globalArguments.x }}")).map((e) => e.error), [
    'Referenced model "ghost" not found',
  ]);

  const [kind] = await errorsFor("${{ model.net.globalArguments.cidr }}");
  assert.match(kind?.error ?? "", /^Unknown reference "globalArguments" on model "net"/);
  assert.deepEqual(kind?.available, ["definition", "input", "resource", "file", "execution"]);

  const [spec] = await errorsFor("${{ model.net.resource.vcp.main.attributes.vpcId }}");
  assert.equal(spec?.error, 'Unknown resource spec "vcp" on model "net"');
  assert.deepEqual(spec?.available, ["vpc", "subnet"]);
  assert.equal(spec?.suggestion, 'Did you mean "vpc"?');

  const [fileSpec] = await errorsFor("${{ model.net.file.log.main.path }}");
  assert.equal(fileSpec?.error, 'Unknown file spec "log" on model "net"');
  assert.equal(fileSpec?.suggestion, "Available file specs: none");

  const [field] = await errorsFor("${{ model.net.resource.vpc.main.atributes.vpcId }}");
  assert.equal(field?.error, 'Unknown field "atributes" on resource model.net.resource.vpc.main');
  assert.equal(field?.suggestion, 'Did you mean "attributes"?');

  const [attr] = await errorsFor("${{ model.net.resource.vpc.main.attributes.vpcID }}");
  assert.equal(attr?.error, 'Unknown field "vpcID" at model.net.resource.vpc.main.attributes');
  assert.deepEqual(attr?.available, ["vpcId", "tags"]);

  const [hint] = await errorsFor("${{ model.net.definition.attributes.cidr }}");
  assert.match(hint?.error ?? "", /continue with globalArguments/);
  assert.equal(hint?.suggestion, 'Did you mean "globalArguments" instead of "attributes"?');

  const [exec] = await errorsFor("${{ model.net.execution.state }}");
  assert.equal(exec?.error, 'Unknown field "state" on model.net.execution');
});

test("globalArguments paths are checked against the JSON Schema of the target type", async () => {
  const [other] = await errorsFor("${{ model.net.definition.globalArguments.cdir }}");
  assert.equal(other?.error, 'Unknown field "cdir" at model.net.definition.globalArguments');
  assert.equal(other?.suggestion, 'Did you mean "cidr"?');
  assert.deepEqual(other?.available, ["cidr"]);

  const [own] = await errorsFor("${{ self.globalArguments.prefx }}");
  assert.equal(own?.error, 'Unknown field "prefx" at self.globalArguments');
  assert.equal(own?.suggestion, 'Did you mean "prefix"?');

  const [nested] = await errorsFor("${{ self.globalArguments.db.hots }}");
  assert.equal(nested?.error, 'Unknown field "hots" at self.globalArguments.db');
  assert.deepEqual(nested?.available, ["host", "port"]);
});

test("unknown types of referenced models are reported", async () => {
  const defs = new FakeDefinitions([summary("odd", {}, { type: "not/loaded" })]);
  const result = await validateExpressionPaths(
    { globalArguments: { v: "${{ model.odd.resource.x.y.attributes }}" } },
    { definitions: defs, types: new FakeTypes({}) },
  );
  assert.equal(result.errors[0]?.error, 'Model type "not/loaded" of model "odd" is not loaded');
});

test("bare identifiers and unknown roots, with the reference's messages", async () => {
  assert.deepEqual((await errorsFor("${{ foo }}")).map((e) => e.error), ["Expression must reference model, self, or env"]);
  const [prefix] = await errorsFor("${{ net.definition.globalArguments.cidr }}");
  assert.equal(prefix?.error, 'Missing "model." prefix and path structure');
  assert.deepEqual((await errorsFor("${{ foo + bar }}")).map((e) => e.error), [
    "Expression does not contain valid model, self, or env references",
  ]);
  const [mixed] = await errorsFor("${{ self.name + sefl.version }}");
  assert.equal(mixed?.error, 'Unknown identifier "sefl"');
  assert.equal(mixed?.suggestion, 'Did you mean "self"?');
  // Extra roots (workflow variables) can be allowed.
  const result = await validateExpressionPaths({ v: "${{ run.id }}" }, { ...options, extraRoots: ["run"] });
  assert.equal(result.passed, true);
});

test("env-var usage warnings with paths", async () => {
  const definition = {
    globalArguments: { baseUrl: "${{ env.JENKINS_BASE_URL }}", notEnv: "${{ self.env.X }}" },
    methods: { execute: { arguments: { run: "curl ${{ env.HOST }}:${{ env['PORT'] }} ${{ env.HOST }}" } } },
  };
  const usages = findEnvVarUsage(definition);
  assert.deepEqual(usages, [
    { path: "globalArguments.baseUrl", envVar: "JENKINS_BASE_URL" },
    { path: "methods.execute.arguments.run", envVar: "HOST" },
    { path: "methods.execute.arguments.run", envVar: "PORT" },
  ]);
  const result = await validateExpressionPaths(definition, options);
  assert.deepEqual(result.warnings, usages);
  assert.equal(envVarWarning([]), null);
  assert.equal(envVarWarning(usages)?.name, "Environment variables detected");
  assert.match(envVarWarning(usages)?.message ?? "", /^Data stored under this model will vary/);
});

test("formatExpressionPathErrors renders the reference's lines", () => {
  assert.equal(
    formatExpressionPathErrors([
      { path: "p", expression: "${{ x }}", error: "E", suggestion: "S", available: ["a", "b"] },
      { path: "q", expression: "${{ y }}", error: "F" },
    ]),
    "  - ${{ x }}\n    E\n    S\n    Available: a, b\n  - ${{ y }}\n    F",
  );
});

test("referenced definitions and types are looked up once per validation", async () => {
  const defs = new FakeDefinitions([summary("net", { cidr: "x" }, { type: "aws/vpc" })]);
  const types = new FakeTypes({ "aws/vpc": vpcType });
  await validateExpressionPaths(
    {
      globalArguments: {
        a: "${{ model.net.definition.globalArguments.cidr }}",
        b: "${{ model.net.resource.vpc.main.attributes.vpcId }}",
        c: "${{ model.net.input.globalArguments.cidr }}",
      },
    },
    { definitions: defs, types },
  );
  assert.deepEqual(defs.calls, ["net"]);
  assert.deepEqual(types.calls, ["aws/vpc"]);
});
