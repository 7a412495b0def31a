import { test } from "node:test";
import assert from "node:assert/strict";
import { toWireError } from "../../../kernel/contract/wire-error.js";

test("toWireError keeps what an error's getters give, and leaves out what throws", () => {
  const coded = Object.assign(new Error("no such vault"), { code: "not_found", details: { vault: "v" } });
  assert.deepEqual({ ...toWireError(coded), stack: undefined }, { code: "not_found", message: "no such vault", details: { vault: "v" }, stack: undefined });
  assert.match(toWireError(coded).stack ?? "", /^Error: no such vault\n {4}at /);

  // An extension's own Error.prepareStackTrace throws when the stack is read.
  const original = Error.prepareStackTrace;
  Error.prepareStackTrace = () => {
    throw new Error("formatter exploded");
  };
  try {
    assert.deepEqual(toWireError(new Error("the real failure")), { code: "extension_error", message: "the real failure" });
  } finally {
    Error.prepareStackTrace = original;
  }

  const hostile = {
    get message(): string {
      throw new Error("no");
    },
    toString(): string {
      throw new Error("no");
    },
  };
  assert.deepEqual(toWireError(hostile, "extension_crashed"), { code: "extension_crashed", message: "an error that cannot be shown as text" });
  assert.deepEqual(toWireError("plain text"), { code: "extension_error", message: "plain text" });
});
