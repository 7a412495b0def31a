/**
 * The piscina worker entry. One task is one of:
 *  - `describe`: load a bundle, validate its export, return its descriptor (short task);
 *  - `instance`: load a bundle and serve it over the transferred MessagePort until the host
 *    sends `close` — a long-running task, so a provider, its locks and their heartbeats live
 *    in this one thread for the instance's lifetime.
 *
 * Stdout of the extension never reaches the CLI's stdout (console is routed to the host).
 */
import { MessagePort } from "node:worker_threads";
import { describeBundle, serveInstance, type WorkerChannel } from "./dispatch.js";
import type { DescribeResult, WorkerTask } from "./protocol.js";

// Taken before any extension code runs in this thread: an extension that replaces
// MessagePort's methods cannot intercept or rewrite what the dispatcher sends the host
// (which validates every message anyway).
const apply = Reflect.apply;
const { postMessage, on, close } = MessagePort.prototype as unknown as Record<"postMessage" | "on" | "close", (...args: unknown[]) => unknown>;

function portChannel(port: MessagePort): WorkerChannel {
  return {
    post: (message) => void apply(postMessage, port, [message]),
    onMessage: (handler) => void apply(on, port, ["message", handler]),
    close: () => void apply(close, port, []),
  };
}

export default async function run(task: WorkerTask): Promise<DescribeResult | null> {
  if (task.op === "describe") return describeBundle(task.init);
  await serveInstance(portChannel(task.port), task.init);
  return null;
}
