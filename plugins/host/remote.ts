/**
 * Handles across instance restarts.
 *
 * An `ExtensionProcess` owns the instance of one extension (one source, one isolation level)
 * in this CLI process: it starts it on first use and, after a fault, starts a fresh one for
 * the next call (with a restart budget so a crash loop fails fast).
 *
 * A `RemoteRef` names an object inside the instance (a provider, a lock, …) together with
 * the recipe that created it (`parent.method(args)`). After a restart the ref re-creates its
 * object on first use, so a proxy keeps working; the first call on a ref that does not exist
 * yet creates it and makes the call in one round trip (`then`).
 */
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { who, type ExtensionIdentity } from "./faults.js";
import { Instance, type CallOptions, type DefaultSink } from "./instance.js";
import type { HostLimits } from "./limits.js";
import type { Transport } from "./transport.js";

/** A crash loop fails fast: at most this many restarts within RESTART_WINDOW_MS. */
const MAX_RESTARTS = 10;
const RESTART_WINDOW_MS = 60_000;

export class ExtensionProcess {
  private current: Instance | undefined;
  private starting: Promise<Instance> | undefined;
  private restarts: number[] = [];
  private closed = false;
  readonly root: RemoteRef;

  constructor(
    readonly identity: ExtensionIdentity,
    private readonly launch: () => Promise<Transport>,
    readonly limits: HostLimits,
    private readonly sink: DefaultSink,
  ) {
    this.root = new RemoteRef(this, null, null);
  }

  /** The live instance, started (or restarted after a fault) when needed. */
  async instance(): Promise<Instance> {
    if (this.closed) throw new SwampError(ErrorCode.extensionCrashed, `The ${who(this.identity)} has been shut down`);
    if (this.current?.alive) return this.current;
    if (!this.starting) {
      if (this.current && !this.current.alive) {
        const now = Date.now();
        this.restarts = [...this.restarts.filter((at) => now - at < RESTART_WINDOW_MS), now];
        if (this.restarts.length > MAX_RESTARTS) {
          throw new SwampError(ErrorCode.extensionCrashed, `The ${who(this.identity)} failed ${MAX_RESTARTS} times within a minute; giving up`);
        }
      }
      this.starting = (async () => {
        const transport = await this.launch();
        const instance = new Instance(this.identity, transport, this.limits, this.sink);
        try {
          await instance.ready;
        } catch (err) {
          this.current = instance;
          throw err;
        }
        this.current = instance;
        return instance;
      })().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  /** The latest instance, alive or not (to clean up after it died). */
  get lastInstance(): Instance | undefined {
    return this.current;
  }

  /** Whether the instance of `generation` is still the live one. */
  isLive(generation: number): boolean {
    return this.current !== undefined && this.current.generation === generation && this.current.alive;
  }

  async close(): Promise<void> {
    this.closed = true;
    const instance = this.current ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    if (instance?.alive) await instance.close();
  }
}

const registry = new FinalizationRegistry<{ proc: ExtensionProcess; instance: Instance; handle: number }>(({ proc, instance, handle }) => {
  if (proc.isLive(instance.generation)) instance.dispose(handle);
});

export class RemoteRef {
  private instance: Instance | undefined;
  private handle = -1;
  private creating: Promise<void> | undefined;

  constructor(
    readonly proc: ExtensionProcess,
    private readonly parent: RemoteRef | null,
    private readonly recipe: { method: string; args: unknown[]; label?: string } | null,
  ) {}

  /** A child ref created by `method(args)` on this object. */
  child(method: string, args: unknown[], label?: string): RemoteRef {
    return new RemoteRef(this.proc, this, { method, args, ...(label ? { label } : {}) });
  }

  /** Adopts a handle the instance already created (e.g. returned by another call). */
  adopt(instance: Instance, handle: number): this {
    this.bind(instance, handle);
    return this;
  }

  /** Generation of the instance holding the object (-1 when not created). */
  get generation(): number {
    return this.instance?.generation ?? -1;
  }

  private bind(instance: Instance, handle: number): void {
    this.instance = instance;
    this.handle = handle;
    if (handle > 0) registry.register(this, { proc: this.proc, instance, handle });
  }

  private bound(instance: Instance): boolean {
    return this.parent === null || (this.instance === instance && this.handle >= 0);
  }

  /** The object's handle in `instance`, creating it there if needed. */
  private async handleIn(instance: Instance, options: CallOptions): Promise<number> {
    if (this.parent === null) return 0;
    if (this.bound(instance)) return this.handle;
    if (this.creating) {
      await this.creating.catch(() => {});
      if (this.bound(instance)) return this.handle;
    }
    const recipe = this.recipe as { method: string; args: unknown[]; label?: string };
    const parentHandle = await this.parent.handleIn(instance, options);
    const run = instance.call(parentHandle, recipe.method, recipe.args, { ...options, then: undefined, label: recipe.label ?? recipe.method }).then((r) => {
      if (typeof r.handle !== "number") throw new SwampError(ErrorCode.extensionError, `${recipe.method} returned no object`);
      this.bind(instance, r.handle);
    });
    this.creating = run;
    try {
      await run;
    } finally {
      if (this.creating === run) this.creating = undefined;
    }
    return this.handle;
  }

  /** Calls `method` on the object (creating it first in this instance if needed). */
  async call(method: string, args: unknown[], options: CallOptions = {}): Promise<{ value: unknown; handle?: number; instance: Instance }> {
    const instance = await this.proc.instance();
    if (this.parent === null || this.bound(instance) || this.creating) {
      const handle = await this.handleIn(instance, options);
      const r = await instance.call(handle, method, args, options);
      return { ...r, instance };
    }
    // Not created in this instance yet: create it and call in one round trip.
    const recipe = this.recipe as { method: string; args: unknown[] };
    const parentHandle = await this.parent.handleIn(instance, {});
    let resolveCreated!: () => void;
    this.creating = new Promise<void>((r) => (resolveCreated = r));
    try {
      const r = await instance.call(parentHandle, recipe.method, recipe.args, { ...options, then: { method, args }, label: options.label ?? method });
      if (typeof r.handle === "number") this.bind(instance, r.handle);
      return { value: r.value, instance };
    } finally {
      resolveCreated();
      this.creating = undefined;
    }
  }
}
