import assert from "node:assert/strict";
import { test } from "node:test";
import { oneLine } from "../../../kernel/contract/errors.js";

test("oneLine joins the lines after the first onto it, dropping blank lines and CRs", () => {
  assert.equal(oneLine("single"), "single");
  assert.equal(oneLine("a\r\n\r\nb\n c \n"), "a — b; c");
  assert.equal(oneLine("Problems:\n- x\n- y"), "Problems: - x; - y");
  assert.equal(oneLine("\n\n"), "");
});
