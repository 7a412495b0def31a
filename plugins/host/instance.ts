/**
 * One running extension instance: the host end of the wire protocol over a transport.
 *
 * - `call` sends a call and settles with its result; every call has a deadline (or, for
 *   long-running calls, the watchdog), and an abort signal becomes a `cancel` message.
 * - Requests and events the worker sends during a call are routed to that call's services
 *   (e.g. the MethodContext of a running method).
 * - When the transport ends abnormally (crash, process.exit, out of memory) or a deadline
 *   passes (the worker is stopped), every pending call fails with a coded error naming its
 *   method, and the instance is dead; its owner starts a fresh one for the next call.
 */
import { toWireError, type InboundMessage, type WireError } from "../../kernel/contract/wire.js";
import { faultError, fromWireError, type ExtensionIdentity, type Fault } from "./faults.js";
import type { HostLimits } from "./limits.js";
import type { Transport } from "./transport.js";

export interface CallServices {
  /** Answers a worker request made during this call. */
  request?(method: string, args: unknown[]): Promise<unknown>;
  /** Receives events (log lines, console output, driver output) of this call. */
  event?(name: string, args: unknown[]): void;
}

export interface CallOptions {
  /** Deadline in ms; `null` means none (the watchdog still applies). Default: the call timeout. */
  deadlineMs?: number | null;
  signal?: AbortSignal;
  services?: CallServices;
  /** Chained call on the handle the first call creates. */
  then?: { method: string; args: unknown[] };
  /** Name used in messages (default: the method). */
  label?: string;
}

export interface CallResult {
  value: unknown;
  handle?: number;
}

interface Pending {
  label: string;
  resolve(r: CallResult): void;
  reject(e: unknown): void;
  services: CallServices | undefined;
  timer: NodeJS.Timeout | undefined;
  cleanup(): void;
}

/** Where console output of an extension goes when no call claims it. */
export type DefaultSink = (identity: ExtensionIdentity, level: string, text: string) => void;

let instanceCounter = 0;

export class Instance {
  readonly generation = ++instanceCounter;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private fault: Fault | null = null;
  private lastHeard = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private pingId = 0;
  readonly ready: Promise<unknown>;

  constructor(
    readonly identity: ExtensionIdentity,
    private readonly transport: Transport,
    private readonly limits: HostLimits,
    private readonly sink: DefaultSink,
  ) {
    let readyResolve!: (v: unknown) => void;
    let readyReject!: (e: unknown) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.ready.catch(() => {});
    const startTimer = setTimeout(() => {
      this.die({ reason: "timeout", method: "load", ms: limits.startTimeoutMs });
      readyReject(faultError(identity, { reason: "timeout", method: "load", ms: limits.startTimeoutMs }, "load"));
    }, limits.startTimeoutMs);
    startTimer.unref();
    transport.onMessage((msg) => {
      this.lastHeard = Date.now();
      if (msg.type === "ready") {
        clearTimeout(startTimer);
        if (msg.ok) readyResolve(msg.value);
        else {
          this.die({ reason: "start", error: msg.error ?? { code: "extension_error", message: "failed to load" } });
          readyReject(fromWireError(identity, msg.error, "load"));
        }
        return;
      }
      this.onMessage(msg);
    });
    void transport.ended.then((fault) => {
      clearTimeout(startTimer);
      const f = fault ?? { reason: "closed" as const };
      readyReject(faultError(identity, f, "load"));
      this.die(f);
    });
  }

  get pid(): number {
    return this.transport.pid;
  }

  get alive(): boolean {
    return this.fault === null;
  }

  /** Why the instance ended (null while alive). */
  get endedBecause(): Fault | null {
    return this.fault;
  }

  call(handle: number, method: string, args: unknown[], options: CallOptions = {}): Promise<CallResult> {
    const label = options.label ?? method;
    if (this.fault) return Promise.reject(faultError(this.identity, this.fault, label));
    const id = this.nextId++;
    return new Promise<CallResult>((resolve, reject) => {
      const deadline = options.deadlineMs === undefined ? this.limits.callTimeoutMs : options.deadlineMs;
      let cancelTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.transport.send({ type: "cancel", id });
        cancelTimer = setTimeout(() => this.die({ reason: "cancelled", method: label, ms: this.limits.cancelGraceMs }), this.limits.cancelGraceMs);
        cancelTimer.unref();
      };
      const entry: Pending = {
        label,
        resolve,
        reject,
        services: options.services,
        timer: deadline === null ? undefined : setTimeout(() => this.die({ reason: "timeout", method: label, ms: deadline }), deadline),
        cleanup: () => {
          if (entry.timer) clearTimeout(entry.timer);
          if (cancelTimer) clearTimeout(cancelTimer);
          options.signal?.removeEventListener("abort", onAbort);
        },
      };
      this.pending.set(id, entry);
      if (options.signal?.aborted) queueMicrotask(onAbort);
      else options.signal?.addEventListener("abort", onAbort, { once: true });
      this.armWatchdog();
      try {
        this.transport.send({ type: "call", id, handle, method, args, ...(options.then ? { then: options.then } : {}) });
      } catch (err) {
        this.pending.delete(id);
        entry.cleanup();
        reject(fromWireError(this.identity, toWireError(err), label));
      }
    });
  }

  dispose(handle: number): void {
    if (this.fault || handle <= 0) return;
    try {
      this.transport.send({ type: "dispose", handle });
    } catch {
      // the instance is going away anyway
    }
  }

  /** Asks the instance to end; stops it if it does not within `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    if (this.fault) return;
    try {
      this.transport.send({ type: "close" });
    } catch {
      this.transport.terminate();
    }
    const timer = setTimeout(() => this.transport.terminate(), graceMs);
    timer.unref();
    await this.transport.ended.catch(() => null);
    clearTimeout(timer);
    this.die({ reason: "closed" });
  }

  /** Stops the instance now; pending calls fail with `fault`. */
  die(fault: Fault): void {
    if (this.fault) return;
    this.fault = fault;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (fault.reason !== "closed" || this.pending.size > 0) this.transport.terminate();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(faultError(this.identity, fault, p.label));
    }
  }

  private armWatchdog(): void {
    if (this.watchdog) return;
    this.lastHeard = Date.now();
    this.watchdog = setInterval(() => {
      if (this.pending.size === 0) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
        return;
      }
      if (Date.now() - this.lastHeard > this.limits.unresponsiveMs) {
        this.die({ reason: "unresponsive", ms: this.limits.unresponsiveMs });
        return;
      }
      try {
        this.transport.send({ type: "ping", id: ++this.pingId });
      } catch {
        // ended: the transport reports it
      }
    }, Math.min(1_000, Math.max(100, Math.floor(this.limits.unresponsiveMs / 4))));
    this.watchdog.unref();
  }

  private onMessage(msg: InboundMessage): void {
    switch (msg.type) {
      case "result": {
        const p = this.pending.get(msg.id);
        if (!p) {
          if (msg.handle !== undefined) this.dispose(msg.handle);
          return;
        }
        this.pending.delete(msg.id);
        p.cleanup();
        if (msg.ok) p.resolve({ value: msg.value, ...(msg.handle !== undefined ? { handle: msg.handle } : {}) });
        else {
          if (msg.handle !== undefined) this.dispose(msg.handle);
          p.reject(fromWireError(this.identity, msg.error, p.label));
        }
        return;
      }
      case "request": {
        const { id, method } = msg;
        const p = this.pending.get(msg.callId);
        const respond = (ok: boolean, value: unknown, error?: WireError) => {
          if (this.fault) return;
          try {
            this.transport.send({ type: "response", id, ok, ...(ok ? { value } : { error }) });
          } catch (err) {
            this.transport.send({ type: "response", id, ok: false, error: toWireError(err) });
          }
        };
        if (!p?.services?.request) {
          respond(false, undefined, { code: "extension_error", message: `${method} is not available here` });
          return;
        }
        p.services.request(method, msg.args).then(
          (value) => respond(true, value),
          (err: unknown) => respond(false, undefined, toWireError(err, "internal")),
        );
        return;
      }
      case "event": {
        const p = this.pending.get(msg.callId);
        if (p?.services?.event) p.services.event(msg.name, msg.args);
        else if (msg.name === "console" || msg.name === "log") this.sink(this.identity, String(msg.args[0]), String(msg.args[1] ?? ""));
        return;
      }
      default:
        // pong: only proof of life (recorded above)
        return;
    }
  }
}
