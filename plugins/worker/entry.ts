/**
 * The piscina worker entry. One task is one of:
 *  - `describe`: load a bundle, validate its export, return its descriptor (short task);
 *  - `instance`: load a bundle and serve it over the transferred MessagePort until the host
 *    sends `close` — a long-running task, so a provider, its locks and their heartbeats live
 *    in this one thread for the instance's lifetime.
 *
 * Stdout of the extension never reaches the CLI's stdout (console is routed to the host).
 */
import type { MessagePort } from "node:worker_threads";
import { describeBundle, serveInstance, type WorkerChannel } from "./dispatch.js";
import type { DescribeResult, WorkerTask } from "./protocol.js";

if (typeof process.setSourceMapsEnabled === "function") process.setSourceMapsEnabled(true);

function portChannel(port: MessagePort): WorkerChannel {
  return {
    post: (message) => port.postMessage(message),
    onMessage: (handler) => port.on("message", handler),
    close: () => port.close(),
  };
}

export default async function run(task: WorkerTask): Promise<DescribeResult | null> {
  if (task.op === "describe") return describeBundle(task.init);
  await serveInstance(portChannel(task.port), task.init);
  return null;
}
