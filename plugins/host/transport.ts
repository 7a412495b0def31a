/**
 * The two ways an extension instance runs, behind one interface:
 *  - worker: a long-running piscina task in a worker thread (fault isolation), talking over a
 *    transferred MessagePort;
 *  - sandbox: a child process under Node's permission model, talking over IPC.
 * Both speak the same wire protocol; a transport moves messages, validates every inbound one
 * (a malformed message stops the instance: its fault is `protocol`) and reports how it ended.
 */
import type { ChildProcess } from "node:child_process";
import { MessageChannel } from "node:worker_threads";
import { parseInbound, type InboundMessage } from "../../kernel/contract/wire.js";
import type { Fault } from "./faults.js";
import type { InstanceInit } from "../worker/protocol.js";

export interface Transport {
  /** Process in which the extension runs (for lock holder checks after a crash). */
  readonly pid: number;
  send(message: unknown): void;
  /** Receives every inbound message that passed validation. */
  onMessage(handler: (message: InboundMessage) => void): void;
  /** Settles when the instance ends: null for a normal end, else what went wrong. */
  readonly ended: Promise<Fault | null>;
  /** Stops the instance at once (its worker thread or process is killed). */
  terminate(): void;
}

/**
 * Validates inbound messages for one transport: a valid one goes to the handlers, the first
 * invalid one records a `protocol` fault and stops the instance (`stop`); nothing after it is
 * delivered.
 */
class InboundGate {
  readonly handlers: Array<(m: InboundMessage) => void> = [];
  fault: Fault | null = null;

  constructor(private readonly stop: () => void) {}

  receive(raw: unknown): InboundMessage | null {
    if (this.fault) return null;
    const parsed = parseInbound(raw);
    if (parsed.ok) return parsed.message;
    this.fault = { reason: "protocol", problem: parsed.problem };
    this.stop();
    return null;
  }

  deliver(message: InboundMessage): void {
    for (const h of this.handlers) h(message);
  }
}

/** A worker's task failed: classify why. */
export function classifyWorkerEnd(err: unknown, memoryMb: number): Fault {
  const e = err as { code?: unknown; message?: unknown; stack?: unknown; name?: unknown };
  if (e && e.code === "ERR_WORKER_OUT_OF_MEMORY") return { reason: "oom", limitMb: memoryMb };
  const message = typeof e?.message === "string" ? e.message : String(err);
  const exit = /worker exited with code:? (-?\d+)/i.exec(message);
  if (exit) return { reason: "exit", code: Number(exit[1]) };
  if (e?.name === "AbortError" || /^Terminating worker thread/.test(message)) return { reason: "closed" };
  return { reason: "crash", message, ...(typeof e?.stack === "string" ? { stack: e.stack } : {}) };
}

export async function startWorkerTransport(init: InstanceInit, memoryMb: number): Promise<Transport> {
  const { workerPool } = await import("./pool.js");
  const pool = await workerPool();
  const { port1, port2 } = new MessageChannel();
  const abort = new AbortController();
  let stoppedByHost = false;
  const gate = new InboundGate(() => abort.abort());
  port1.on("message", (raw: unknown) => {
    const message = gate.receive(raw);
    if (message) gate.deliver(message);
  });
  const task = pool.run({ op: "instance", port: port2, init }, { transferList: [port2], signal: abort.signal });
  const ended: Promise<Fault | null> = task.then(
    () => gate.fault,
    (err: unknown) => gate.fault ?? (stoppedByHost ? { reason: "closed" as const } : classifyWorkerEnd(err, memoryMb)),
  );
  ended.then(() => port1.close(), () => port1.close());
  return {
    pid: process.pid,
    send: (message) => port1.postMessage(message),
    onMessage: (handler) => gate.handlers.push(handler),
    ended,
    terminate: () => {
      stoppedByHost = true;
      abort.abort();
    },
  };
}

/** Last lines a sandbox process wrote to stderr (for crash messages). */
function tailCollector(child: ChildProcess): () => string {
  let tail = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    tail = (tail + d).slice(-8192);
  });
  child.stdout?.setEncoding("utf8").on("data", () => {});
  return () => tail;
}

function crashMessage(stderr: string): string | null {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^(?:Uncaught )?[A-Za-z]*Error\b.*:/.test(l) || /^Error:/.test(l));
  return error ?? null;
}

export function startSandboxTransport(child: ChildProcess, first: unknown, memoryMb: number): Transport {
  const stderr = tailCollector(child);
  let stoppedByHost = false;
  let closing = false;
  const gate = new InboundGate(() => child.kill("SIGKILL"));
  child.on("message", (raw: unknown) => {
    const message = gate.receive(raw);
    if (!message) return;
    if (message.type === "bye") closing = true;
    else gate.deliver(message);
  });
  const ended = new Promise<Fault | null>((resolve) => {
    child.once("error", (err) => resolve({ reason: "crash", message: err.message }));
    // "close", not "exit": it comes after stderr and the IPC channel are drained, so the last
    // messages and the crash text are in hand when the end is classified.
    child.once("close", (code, signal) => {
      const text = stderr();
      if (gate.fault) return resolve(gate.fault);
      if (stoppedByHost) return resolve({ reason: "closed" });
      if (/heap out of memory|Allocation failed/i.test(text)) return resolve({ reason: "oom", limitMb: memoryMb });
      if (code === 0 && closing) return resolve(null);
      const crash = crashMessage(text);
      if (crash) return resolve({ reason: "crash", message: crash });
      const last = text.split("\n").map((l) => l.trim()).filter(Boolean).slice(-3).join(" | ");
      if (signal) return resolve({ reason: "crash", message: `the sandbox process was killed by ${signal}${last ? `: ${last}` : ""}` });
      return resolve({ reason: "exit", code: code ?? 1, ...(last ? { output: last } : {}) });
    });
  });
  child.send(first as never);
  return {
    pid: child.pid ?? -1,
    send: (message) => {
      if (child.connected) child.send(message as never);
    },
    onMessage: (handler) => gate.handlers.push(handler),
    ended,
    terminate: () => {
      stoppedByHost = true;
      child.kill("SIGKILL");
    },
  };
}
