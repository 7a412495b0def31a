/**
 * A permission-model refusal always names what was refused: the permission and its resource,
 * or the refused API (`process.binding`, which Node reports with empty fields) — never an
 * empty operation or path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromWireError, type ExtensionIdentity } from "../../../plugins/host/faults.js";

const id: ExtensionIdentity = { kind: "model", type: "@t/x", source: "extensions/models/x.ts", isolation: "sandbox" };

test("denials name the permission and resource, or the refused API", () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ permission: "FileSystemWrite", resource: "/tmp/x" }, /was denied FileSystemWrite access to \/tmp\/x during run /],
    [{ permission: "ChildProcess" }, /was denied ChildProcess access during run /],
    [{ operation: "process.binding" }, /was denied access to process\.binding during run /],
    [{}, /was denied an operation during run /],
  ];
  for (const [details, message] of cases) {
    const err = fromWireError(id, { code: "ERR_ACCESS_DENIED", message: "Access to this API has been restricted", details }, "run");
    assert.equal(err.code, "extension_permission_denied");
    assert.match(err.message, message);
    assert.doesNotMatch(err.message, / {2}| to during/);
  }
});
