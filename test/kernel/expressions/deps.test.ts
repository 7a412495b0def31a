import { test } from "node:test";
import assert from "node:assert/strict";
import {
  definitionDependencies,
  orderByDependencies,
  referencedInputs,
  referencedModels,
} from "../../../kernel/expressions/deps.js";

const definition = {
  id: "id-app",
  name: "app",
  globalArguments: {
    vpc: "${{ model.deploy-vpc.resource.vpc.main.attributes.id }}",
    db: '${{ model["db-main"].definition.globalArguments.host }}',
    region: "${{ inputs.region }}",
  },
  methods: {
    create: { arguments: { size: '${{ inputs.size }}-${{ inputs["instance-type"] }}', ip: "${{ data.latest('net', 'state').attributes.ip }}" } },
    delete: { arguments: { force: "${{ inputs.force }}", log: "${{ file.contents('logger', 'out') }}" } },
    status: { arguments: {} },
  },
};

test("referencedModels: model.<name>.<kind>, bracket names, data.* and file.contents literals", () => {
  assert.deepEqual(referencedModels(definition), ["db-main", "deploy-vpc", "logger", "net"]);
  assert.deepEqual(referencedModels({ a: "${{ self.model.x.definition }}" }), []);
  assert.deepEqual(referencedModels({ a: "${{ data.findBySpec('s', 'x') }} ${{ data.findByTag('k', 'v') }}" }), ["s"]);
  // Unparseable expressions fall back to regexes.
  assert.deepEqual(referencedModels({ a: "${{ model.broken.definition.x + }}" }), ["broken"]);
});

test("referencedInputs: inputs.x and inputs[\"x\"], not model.x.inputs", () => {
  assert.deepEqual(referencedInputs(definition.methods.create), ["instance-type", "size"]);
  assert.deepEqual(referencedInputs({ a: "${{ model.x.definition.inputs.y }}" }), []);
});

test("definitionDependencies: inputs per method and in globalArguments", () => {
  const deps = definitionDependencies(definition);
  assert.deepEqual(deps.globalInputs, ["region"]);
  assert.deepEqual(deps.methodInputs, { create: ["instance-type", "size"], delete: ["force"], status: [] });
});

test("orderByDependencies sorts topologically by name or id; cycles are reported", () => {
  const a = { id: "id-a", name: "a", globalArguments: { x: "${{ model.b.definition.globalArguments.y }}" } };
  const b = { id: "id-b", name: "b", globalArguments: { y: "${{ model.id-c.definition.name }}" } };
  const c = { id: "id-c", name: "c", globalArguments: {} };
  assert.deepEqual(orderByDependencies([a, b, c]).map((d) => d.name), ["c", "b", "a"]);
  const cyclic = { id: "id-c", name: "c", globalArguments: { z: "${{ data.latest('a', 'x') }}" } };
  assert.throws(() => orderByDependencies([a, b, cyclic]), /^SwampError|Cyclic dependency detected: a -> b -> c -> a/);
  assert.throws(() => orderByDependencies([a, b, cyclic]), { message: "Cyclic dependency detected: a -> b -> c -> a" });
});
