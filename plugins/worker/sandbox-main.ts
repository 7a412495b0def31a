/**
 * Entry of a sandbox process: a child started by the host with Node's permission model
 * (filesystem reads and writes limited to what the port needs, no child processes, no
 * workers) and a filtered environment. It runs the same dispatcher as a worker thread, over
 * the IPC channel instead of a MessagePort. The first message says what to do.
 */
import { describeBundle, serveInstance, type WorkerChannel } from "./dispatch.js";
import type { InstanceInit } from "./protocol.js";

function ipcChannel(): WorkerChannel {
  const handlers: Array<(m: unknown) => void> = [];
  process.on("message", (m) => {
    for (const h of handlers) h(m);
  });
  return {
    post: (message) => {
      process.send?.(message);
    },
    onMessage: (handler) => handlers.push(handler),
    close: () => {},
  };
}

/** Exits once every message sent so far has been handed to the IPC channel. */
function exitAfterFlush(): void {
  if (!process.connected || !process.send) process.exit(0);
  process.send({ type: "bye" }, () => process.exit(0));
}

interface FirstMessage {
  op: "instance" | "describe";
  init?: InstanceInit;
  inits?: InstanceInit[];
}

process.once("message", (raw) => {
  const first = raw as FirstMessage;
  void (async () => {
    if (first.op === "describe") {
      // Several bundles in one process: each result is sent as soon as it is known.
      for (const [index, init] of (first.inits ?? []).entries()) {
        const result = await describeBundle(init);
        await new Promise<void>((resolve) => process.send?.({ type: "described", index, result }, () => resolve()));
      }
      exitAfterFlush();
      return;
    }
    if (first.init) await serveInstance(ipcChannel(), first.init);
    // Timers the extension left behind (heartbeats…) must not keep the process alive.
    exitAfterFlush();
  })();
});
