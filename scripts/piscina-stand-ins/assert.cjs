// What piscina uses of node:assert (checks of its own invariants), for the bundle: loading
// node:assert costs the CLI ~4 ms per command that starts a worker (scripts/bundle.mjs).
"use strict";

function fail(message) {
  const err = new Error(message ?? "piscina: an internal assertion failed");
  err.code = "ERR_ASSERTION";
  throw err;
}

function assert(value, message) {
  if (!value) fail(message);
}

assert.notStrictEqual = (actual, expected, message) => {
  if (Object.is(actual, expected)) fail(message);
};

module.exports = assert;
