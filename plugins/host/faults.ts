/**
 * How extension failures become errors the CLI can render: always a coded SwampError naming
 * the extension (kind and type), its source file and the method that was running.
 *
 * - a throw keeps the extension's own code and message (a `lock_timeout` still exits 75);
 *   without a code it becomes `extension_error`;
 * - a permission refusal of the sandbox becomes `extension_permission_denied`;
 * - a crash, `process.exit`, out-of-memory or a malformed message becomes `extension_crashed`;
 * - a missed deadline or an unresponsive worker becomes `extension_timeout`.
 */
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import type { PluginKind } from "../../kernel/contract/plugin.js";
import type { WireError } from "../../kernel/contract/wire.js";

export interface ExtensionIdentity {
  kind: PluginKind;
  type: string;
  /** Source file as shown to people (repo-relative when inside the repo). */
  source: string;
  isolation: "worker" | "sandbox";
}

export type Fault =
  | { reason: "crash"; message: string; stack?: string }
  | { reason: "exit"; code: number; /** Last lines of a sandbox process's stderr. */ output?: string }
  | { reason: "oom"; limitMb: number }
  | { reason: "timeout"; method: string; ms: number }
  | { reason: "unresponsive"; ms: number }
  | { reason: "cancelled"; method: string; ms: number }
  | { reason: "start"; error: WireError }
  | { reason: "protocol"; problem: string }
  | { reason: "closed" };

export function who(id: ExtensionIdentity): string {
  return `${id.kind} extension ${id.type} (${id.source})`;
}

function details(id: ExtensionIdentity, method: string, extra?: Record<string, unknown>): Record<string, unknown> {
  return { extension: id.type, kind: id.kind, source: id.source, method, isolation: id.isolation, ...(extra ?? {}) };
}

/** The error a call gets when the instance serving it ended abnormally. */
export function faultError(id: ExtensionIdentity, fault: Fault, method: string): SwampError {
  switch (fault.reason) {
    case "crash":
      return withRemoteStack(
        new SwampError(ErrorCode.extensionCrashed, `The ${who(id)} crashed during ${method}: ${fault.message}`, { details: details(id, method) }),
        fault.stack,
      );
    case "exit":
      return new SwampError(ErrorCode.extensionCrashed, `The ${who(id)} called process.exit(${fault.code}) during ${method}; it was stopped`, {
        details: details(id, method, { exitCode: fault.code, ...(fault.output ? { output: fault.output } : {}) }),
      });
    case "oom":
      return new SwampError(ErrorCode.extensionCrashed, `The ${who(id)} ran out of memory during ${method} (limit ${fault.limitMb} MB); it was stopped`, {
        details: details(id, method, { limitMb: fault.limitMb }),
      });
    case "timeout":
      return new SwampError(
        ErrorCode.extensionTimeout,
        fault.method === method
          ? `The ${who(id)} did not finish ${method} within ${fault.ms}ms; it was stopped`
          : `The ${who(id)} was stopped during ${method} because ${fault.method} did not finish within ${fault.ms}ms`,
        { details: details(id, method, { timeoutMs: fault.ms }) },
      );
    case "unresponsive":
      return new SwampError(
        ErrorCode.extensionTimeout,
        `The ${who(id)} stopped responding during ${method} (busy for over ${fault.ms}ms, e.g. an endless loop); it was stopped`,
        { details: details(id, method, { timeoutMs: fault.ms }) },
      );
    case "cancelled":
      return new SwampError(
        ErrorCode.extensionTimeout,
        `The ${who(id)} did not stop ${fault.method} within ${fault.ms}ms of being cancelled; it was stopped`,
        { details: details(id, method, { timeoutMs: fault.ms }) },
      );
    case "start":
      return fromWireError(id, fault.error, `load`);
    case "protocol":
      return new SwampError(ErrorCode.extensionCrashed, `The ${who(id)} sent a malformed message during ${method} (${fault.problem}); it was stopped`, {
        details: details(id, method, { problem: fault.problem }),
      });
    case "closed":
      return new SwampError(ErrorCode.extensionCrashed, `The ${who(id)} was shut down during ${method}`, { details: details(id, method) });
  }
}

/** "FileSystemRead access to /x", "ChildProcess access", "access to process.binding": never an empty name. */
function deniedWhat(extra: Record<string, unknown>): string {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const permission = text(extra.permission);
  const resource = text(extra.resource);
  if (permission) return `${permission} access${resource ? ` to ${resource}` : ""}`;
  const operation = text(extra.operation);
  if (operation) return `access to ${operation}${resource ? ` (${resource})` : ""}`;
  return resource ? `access to ${resource}` : "an operation";
}

/** An error the extension threw (or the worker reported), rebuilt on the host. */
export function fromWireError(id: ExtensionIdentity, wire: WireError | undefined, method: string): SwampError {
  const code = wire?.code ?? ErrorCode.extensionError;
  const message = wire?.message ?? "unknown error";
  const extra: Record<string, unknown> = { ...(wire?.details ?? {}) };
  if (code === "ERR_ACCESS_DENIED" || typeof extra.permission === "string") {
    const call = typeof extra.call === "string" && extra.call !== "" ? ` by ${extra.call}` : "";
    return new SwampError(
      ErrorCode.extensionPermissionDenied,
      `The ${who(id)} was denied ${deniedWhat(extra)}${call} during ${method} (isolation: ${id.isolation}). ` +
        `Sandboxed extensions may only read their bundle and write their datastore path; set extensions.overrides["${id.type}"]: worker in .swamp.yaml to trust it.`,
      { details: details(id, method, extra) },
    );
  }
  if (code === "extension_error" || code === "extension_invalid") {
    const verb = code === "extension_invalid" ? "is invalid" : `failed in ${method}`;
    return withRemoteStack(new SwampError(code, `The ${who(id)} ${verb}: ${message}`, { details: details(id, method, extra) }), wire?.stack);
  }
  // The extension's own code: message kept as written (a lock timeout names its lock, …).
  return withRemoteStack(new SwampError(code, message, { details: details(id, method, extra) }), wire?.stack);
}

/** The extension's own stack, shown (like every stack) only with --verbose. */
function withRemoteStack(err: SwampError, remote: string | undefined): SwampError {
  if (remote) err.stack = `${err.stack ?? err.message}\nCaused in the extension by: ${remote}`;
  return err;
}
