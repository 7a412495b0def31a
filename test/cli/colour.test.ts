import { test } from "node:test";
import assert from "node:assert/strict";
import { colourEnabled, paintStatus, statusRole } from "../../cli/colour.js";

const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
const pipe = { isTTY: false } as unknown as NodeJS.WritableStream;

test("colour on a terminal only, decided per stream", () => {
  assert.equal(colourEnabled(tty, {}), true);
  assert.equal(colourEnabled(pipe, {}), false);
  assert.equal(colourEnabled(tty, { TERM: "dumb" }), false);
});

test("NO_COLOR (any non-empty value) turns colour off; FORCE_COLOR (non-zero) turns it on", () => {
  assert.equal(colourEnabled(tty, { NO_COLOR: "1" }), false);
  assert.equal(colourEnabled(tty, { NO_COLOR: "false" }), false);
  assert.equal(colourEnabled(tty, { NO_COLOR: "" }), true);
  assert.equal(colourEnabled(pipe, { FORCE_COLOR: "1" }), true);
  assert.equal(colourEnabled(pipe, { FORCE_COLOR: "3" }), true);
  assert.equal(colourEnabled(tty, { FORCE_COLOR: "0" }), false);
  assert.equal(colourEnabled(pipe, { FORCE_COLOR: "" }), false);
  // NO_COLOR wins over FORCE_COLOR.
  assert.equal(colourEnabled(pipe, { NO_COLOR: "1", FORCE_COLOR: "1" }), false);
});

test("status words map to their colour", () => {
  assert.equal(statusRole("succeeded"), "ok");
  assert.equal(statusRole("FAILED"), "fail");
  assert.equal(statusRole("cancelled"), "warn");
  assert.equal(statusRole("running"), "active");
  assert.equal(statusRole("whatever"), undefined);
  assert.equal(paintStatus(pipe, "failed"), "failed");
});
