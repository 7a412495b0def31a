/**
 * Messages from workers and sandbox processes are validated against one wire schema before
 * the host uses them; in a worker thread, extension code that replaces MessagePort's methods
 * cannot rewrite what the dispatcher sends.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { parseInbound } from "../../../kernel/contract/wire.js";
import { shutdownExtensions } from "../../../plugins/lifecycle.js";
import { extensionRegistry, recordingContext, tempRepo, testEnv, type TempRepo } from "../helpers.js";

test("parseInbound accepts the wire protocol and names what is wrong with anything else", () => {
  const good = [
    { type: "result", id: 1, ok: true, value: { a: new Uint8Array([1]) }, handle: 2 },
    { type: "result", id: 1, ok: false, error: { code: "x", message: "y" } },
    { type: "request", id: 3, callId: 1, method: "writeResource", args: [] },
    { type: "event", callId: 0, name: "console", args: ["info", "hi"] },
    { type: "pong", id: 9 },
    { type: "ready", protocol: 1, ok: true, value: {} },
    { type: "bye" },
    { type: "described", index: 0, result: { ok: false, error: { code: "c", message: "m" } } },
  ];
  for (const m of good) assert.equal(parseInbound(m).ok, true, JSON.stringify(m));
  const bad: Array<[unknown, RegExp]> = [
    [null, /expected a message object, got null/],
    [42, /got number/],
    [[1], /got an array/],
    [{}, /unknown message type \(none\)/],
    [{ type: "nonsense" }, /unknown message type \("nonsense"\)/],
    [{ type: "call", id: 1, handle: 0, method: "x", args: [] }, /unknown message type \("call"\)/],
    [{ type: "result", id: "one", ok: true }, /bad "result" message: id: /],
    [{ type: "result", id: 1.5, ok: true }, /bad "result" message: id: /],
    [{ type: "request", id: 1, callId: 1, method: "m", args: "no" }, /bad "request" message: args: /],
    [{ type: "result", id: 1, ok: false, error: { message: 3 } }, /bad "result" message: error\./],
  ];
  for (const [m, problem] of bad) {
    const r = parseInbound(m);
    assert.equal(r.ok, false, JSON.stringify(m));
    if (!r.ok) assert.match(r.problem, problem);
  }
});

const FORGER = `import { z } from "npm:zod@4";
import { MessagePort } from "node:worker_threads";

export const model = {
  type: "@test/forger",
  version: "2026.01.01.1",
  globalArguments: z.object({}),
  resources: { out: { description: "Output", schema: z.object({ n: z.number() }), lifetime: "infinite", garbageCollection: 5 } },
  methods: {
    forge: {
      description: "Makes every MessagePort post null instead of its message, then writes a resource",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => {
        (MessagePort.prototype as any).postMessage = function () {};
        (MessagePort.prototype as any).on = function () { return this; };
        return { dataHandles: [await ctx.writeResource("out", "main", { n: 7 })] };
      },
    },
  },
};
`;

let t: TempRepo;

before(async () => {
  t = await tempRepo({ "extensions/models/forger.ts": FORGER });
});

after(async () => {
  await shutdownExtensions();
  await t.cleanup();
});

test("in a worker, replacing MessagePort's methods does not reach the dispatcher's channel", async () => {
  const { registry } = await extensionRegistry(t.repo, testEnv());
  const forger = await registry.load("model", "@test/forger");
  for (let i = 0; i < 2; i++) {
    const rec = recordingContext("forge");
    await forger.methods.forge?.execute({}, rec.context);
    assert.deepEqual(rec.resources.get("main"), { n: 7 });
  }
});
