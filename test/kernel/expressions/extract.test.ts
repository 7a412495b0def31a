import { test } from "node:test";
import assert from "node:assert/strict";
import {
  collectExpressions,
  findExpressions,
  findMalformedExpressions,
  isSingleExpression,
  renderSite,
  collectSites,
  rewriteHyphenatedModelNames,
  stringifyForInterpolation,
} from "../../../kernel/expressions/extract.js";

test("findExpressions reads bodies, multi-line bodies, and braces/quotes inside the body", () => {
  assert.deepEqual(
    findExpressions("a ${{ self.name }} b ${{inputs.x}}").map((s) => s.body),
    ["self.name", "inputs.x"],
  );
  assert.deepEqual(findExpressions("${{\n  self.name +\n  'x'\n}}").map((s) => s.body), ["self.name +\n  'x'"]);
  assert.deepEqual(findExpressions('${{ {"a": {"b": 1}} }}').map((s) => s.body), ['{"a": {"b": 1}}']);
  assert.deepEqual(findExpressions('${{ "}}" + self.name }}').map((s) => s.body), ['"}}" + self.name']);
  assert.deepEqual(findExpressions("${{ unterminated"), []);
  const [span] = findExpressions("x ${{ a }} y");
  assert.equal(span?.raw, "${{ a }}");
  assert.equal(span?.start, 2);
  assert.equal(span?.end, 10);
});

test("single expression: exactly one match from offset 0, trailing whitespace only", () => {
  assert.equal(isSingleExpression("${{ self.name }}"), true);
  assert.equal(isSingleExpression("${{ self.name }}  \n"), true);
  assert.equal(isSingleExpression(" ${{ self.name }}"), false);
  assert.equal(isSingleExpression("${{ self.name }}-${{ self.version }}"), false);
  assert.equal(isSingleExpression("${{ self.name }}x"), false);
});

test("collectExpressions reports field paths through objects and arrays", () => {
  const found = collectExpressions({
    globalArguments: { url: "${{ self.name }}", list: ["plain", "${{ inputs.a }}"] },
    methods: { execute: { arguments: { run: "echo ${{ self.name }} ${{ inputs.b }}" } } },
    version: 1,
  });
  assert.deepEqual(
    found.map((f) => [f.path, f.body]),
    [
      ["globalArguments.url", "self.name"],
      ["globalArguments.list[1]", "inputs.a"],
      ["methods.execute.arguments.run", "self.name"],
      ["methods.execute.arguments.run", "inputs.b"],
    ],
  );
});

test("renderSite interpolates every expression, keeps unevaluated ones raw", () => {
  const [site] = collectSites({ v: "${{ a }}-${{ b }}-${{ c }}" });
  assert.ok(site);
  assert.equal(site.single, false);
  assert.equal(renderSite(site, [{ ok: true, value: "x" }, { ok: false }, { ok: true, value: null }]), "x-${{ b }}-");
  const [single] = collectSites({ v: "${{ a }}" });
  assert.ok(single);
  assert.deepEqual(renderSite(single, [{ ok: true, value: [1, 2] }]), [1, 2]);
  assert.equal(renderSite(single, [{ ok: false }]), "${{ a }}");
});

test("interpolation formats: null → empty, objects → 2-space JSON, others String()", () => {
  assert.equal(stringifyForInterpolation(null), "");
  assert.equal(stringifyForInterpolation(undefined), "");
  assert.equal(stringifyForInterpolation({ a: 1 }), '{\n  "a": 1\n}');
  assert.equal(stringifyForInterpolation([1, "b"]), '[\n  1,\n  "b"\n]');
  assert.equal(stringifyForInterpolation(3), "3");
  assert.equal(stringifyForInterpolation(true), "true");
});

test("hyphenated model names are rewritten to bracket form, outside string literals only", () => {
  assert.equal(rewriteHyphenatedModelNames("model.deploy-vpc.resource.vpc.main"), 'model["deploy-vpc"].resource.vpc.main');
  for (const kind of ["input", "resource", "file", "execution", "definition"]) {
    assert.equal(rewriteHyphenatedModelNames(`model.a-b.${kind}.x`), `model["a-b"].${kind}.x`);
  }
  assert.equal(
    rewriteHyphenatedModelNames("model.3f0c1a2b-1111-4222-8333-444455556666.definition.globalArguments.x"),
    'model["3f0c1a2b-1111-4222-8333-444455556666"].definition.globalArguments.x',
  );
  assert.equal(rewriteHyphenatedModelNames("model.plain.definition"), "model.plain.definition");
  assert.equal(rewriteHyphenatedModelNames("self.model.a-b.definition"), "self.model.a-b.definition");
  assert.equal(rewriteHyphenatedModelNames('"model.a-b.definition"'), '"model.a-b.definition"');
  assert.equal(rewriteHyphenatedModelNames("model.a-b.other"), "model.a-b.other");
});

test("malformed wrappers: {{…}} without $ and ${…} single brace, with the reference's texts", () => {
  const [missing] = findMalformedExpressions("url: {{ self.name }}");
  assert.equal(missing?.kind, "missing-dollar");
  assert.equal(missing?.raw, "{{ self.name }}");
  assert.equal(missing?.error, "Expression uses {{...}} instead of ${{...}}");
  assert.equal(missing?.suggestion, 'Add "$" prefix: ${{...}}');
  const [single] = findMalformedExpressions("x ${model.a.definition.globalArguments.b} y");
  assert.equal(single?.kind, "single-brace");
  assert.equal(single?.error, "Expression uses ${...} instead of ${{...}}");
  assert.equal(single?.suggestion, "Use double braces: ${{...}}");
  // Well-formed expressions, shell variables and Go templates are not reported.
  assert.deepEqual(findMalformedExpressions("${{ self.name }} and ${{ inputs.x }}"), []);
  assert.deepEqual(findMalformedExpressions("echo ${HOME} ${PATH:-/bin}"), []);
  assert.deepEqual(findMalformedExpressions("docker inspect -f '{{.State.Running}}'"), []);
});
