/**
 * The hand check of inbound worker messages (`quickInbound`) must accept only what the zod
 * schema accepts, and give exactly what zod gives; everything else is left to zod.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { messageSchemas, parseInbound, quickInbound } from "../../../kernel/contract/wire.js";

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  2 ** 53 - 1,
  -(2 ** 53),
  1e300,
  "",
  "1",
  "result",
  true,
  false,
  [],
  [1, "a"],
  {},
  { a: 1 },
  new Uint8Array([1, 2]),
  new Date(0),
  Object.create(null),
  JSON.parse('{"__proto__": {"x": 1}}'),
  10n,
  Symbol("s"),
  () => 1,
];

const VALID: unknown[] = [
  { type: "result", id: 1, ok: true, value: { a: new Uint8Array([1]) }, handle: 2 },
  { type: "result", id: 1, ok: true },
  { type: "result", id: 1, ok: false, error: { code: "x", message: "y" } },
  { type: "result", id: 1, ok: false, error: { code: "x", message: "y", stack: "Error: y\n    at f (a.ts:1:2)" } },
  { type: "result", id: 1, ok: false, error: { code: "x", message: "y", details: { a: 1 } } },
  { ok: true, value: [1, 2], id: 7, type: "result" },
  { type: "request", id: 3, callId: 1, method: "writeResource", args: ["a", { b: 1 }] },
  { type: "event", callId: 0, name: "console", args: ["info", "hi"] },
  { type: "pong", id: 9 },
  { type: "ready", protocol: 1, ok: true, value: { kind: "model" } },
  { type: "ready", protocol: 1, ok: false, error: { code: "c", message: "m" } },
  { type: "bye" },
  { type: "described", index: 0, result: { ok: true, descriptor: {} } },
];

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  }
  return v;
}

/** A valid message with one or two things changed: a value replaced, a key added or dropped. */
function mutate(message: unknown, next: () => number): unknown {
  const m = clone(message) as Record<string, unknown>;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const times = 1 + Math.floor(next() * 2);
  for (let i = 0; i < times; i++) {
    const error = m.error;
    const target = next() < 0.3 && error && typeof error === "object" && Object.getPrototypeOf(error) === Object.prototype ? (error as Record<string, unknown>) : m;
    const keys = Object.keys(target);
    const r = next();
    const set = (key: string, value: unknown) => Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    if (r < 0.5 && keys.length > 0) set(pick(keys), pick(ODD_VALUES));
    else if (r < 0.7 && keys.length > 0) delete target[pick(keys)];
    else if (r < 0.85) set(pick(["extra", "value", "handle", "error", "stack", "details", "then", "type"]), pick(ODD_VALUES));
    else Object.defineProperty(target, pick(["id", "ok", "extra"]), { get: () => 1, enumerable: true, configurable: true });
  }
  return m;
}

/** The hand check either declines, or agrees with zod: same acceptance, same value, same key order. */
function agrees(message: unknown): void {
  const quick = quickInbound(message);
  if (quick === undefined) return;
  const zod = messageSchemas().InboundMessageSchema.safeParse(message);
  assert.ok(zod.success, `hand check accepted what zod refuses: ${String(Object.keys(message as object))}`);
  assert.deepStrictEqual(quick, zod.data);
  const text = (v: unknown) => JSON.stringify(v, (_key, x: unknown) => (typeof x === "bigint" ? `${x}n` : x));
  assert.equal(text(quick), text(zod.data));
}

test("quickInbound takes the frequent valid messages and gives exactly what zod gives", () => {
  let taken = 0;
  for (const m of VALID) {
    agrees(m);
    if (quickInbound(m) !== undefined) taken++;
  }
  // Only errors with details and `described` messages are left to zod.
  assert.equal(taken, VALID.length - 2);
  // Unknown values pass through as zod passes them (same reference), arrays are copied like zod copies them.
  const value = { deep: [1] };
  const args = ["a"];
  const quick = quickInbound({ type: "request", id: 1, callId: 1, method: "m", args: [value] }) as { args: unknown[] };
  assert.equal(quick.args[0], value);
  const event = quickInbound({ type: "event", callId: 1, name: "n", args }) as { args: unknown[] };
  assert.notEqual(event.args, args);
  assert.deepEqual(event.args, args);
});

test("quickInbound never accepts a message zod refuses, on thousands of changed messages", () => {
  const next = rng(14);
  let declined = 0;
  for (let i = 0; i < 5000; i++) {
    const message = mutate(VALID[i % VALID.length], next);
    agrees(message);
    if (quickInbound(message) === undefined) declined++;
  }
  assert.ok(declined > 1000, "most changed messages are left to zod");
  for (const v of ODD_VALUES) agrees(v);
  for (const type of ["result", "request", "event", "pong", "ready", "bye"]) {
    for (const v of ODD_VALUES) agrees({ type, id: v, callId: v, ok: v, protocol: v, method: v, name: v, args: v });
  }
});

test("parseInbound still names the problem when the hand check declines", () => {
  assert.deepEqual(parseInbound({ type: "result", id: 1, ok: true, handle: 1.5 }), { ok: false, problem: 'bad "result" message: handle: Invalid input: expected int, received number' });
  const withDetails = parseInbound({ type: "result", id: 1, ok: false, error: { code: "c", message: "m", details: { a: 1 } } });
  assert.ok(withDetails.ok);
  assert.deepEqual(withDetails.message, { type: "result", id: 1, ok: false, error: { code: "c", message: "m", details: { a: 1 } } });
});
