/**
 * The one orderly shutdown on SIGINT and SIGTERM.
 *
 * The first signal aborts `shutdownSignal` with a `cancelled` error carrying the signal. Work
 * that must finish before the process goes — a method run, whose command is forwarded the
 * signal, killed after a grace period, recorded as cancelled and only then unlocked — holds the
 * shutdown open with `holdShutdown()`. With nothing held, the registered cleanups (releasing
 * this process's locks) run and the process exits at once. With something held, the command
 * ends through its normal path and the CLI exits with `shutdownExitCode()`; a hard deadline
 * (`SHUTDOWN_HARD_DEADLINE_MS`) or a second signal runs the cleanups and exits regardless.
 * Exit codes: 130 for SIGINT, 143 for SIGTERM.
 */
import { ErrorCode, ExitCode, SwampError } from "../contract/errors.js";

/**
 * How long a stopped child process gets between SIGTERM and SIGKILL (child-process.ts). Kept
 * here so that installing the shutdown handlers at start-up loads no node:child_process.
 */
export const KILL_GRACE_MS = 5000;

/** After the first signal, held work gets this long before cleanups run and the process exits. */
export const SHUTDOWN_HARD_DEADLINE_MS = KILL_GRACE_MS + 5_000;

type ShutdownSignal = "SIGINT" | "SIGTERM";

/** The reason `shutdownSignal` is aborted with: code `cancelled`, exit code 128 + signal. */
export class CancelledError extends SwampError {
  constructor(readonly signal: ShutdownSignal) {
    const exitCode = signal === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated;
    super(ErrorCode.cancelled, `Cancelled by ${signal}`, { exitCode, details: { signal } });
    this.name = "CancelledError";
  }
}

const controller = new AbortController();
/** Aborted (with a CancelledError) when the process received SIGINT or SIGTERM. */
export const shutdownSignal: AbortSignal = controller.signal;

const cleanups = new Set<() => Promise<void> | void>();
let holds = 0;
let requested: CancelledError | undefined;
let finishing = false;

/** Registers a best-effort cleanup for a forced exit; returns its unregistration. */
export function registerCleanup(fn: () => Promise<void> | void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Keeps the process from exiting at the first signal until the returned release is called. */
export function holdShutdown(): () => void {
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
  };
}

/** 130 or 143 once a signal asked the process to stop, else undefined. */
export function shutdownExitCode(): number | undefined {
  return requested?.exitCode;
}

async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await Promise.allSettled([...cleanups].map(async (fn) => fn()));
  }
  process.exit(code);
}

let installed = false;

/** Installs the SIGINT/SIGTERM handlers (once per process). */
export function installShutdownHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: ShutdownSignal) => {
    if (requested) {
      void finish(requested.exitCode); // a second signal: stop waiting
      return;
    }
    requested = new CancelledError(signal);
    controller.abort(requested);
    if (holds === 0) {
      void finish(requested.exitCode);
      return;
    }
    const code = requested.exitCode;
    setTimeout(() => void finish(code), SHUTDOWN_HARD_DEADLINE_MS).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
