/**
 * The zod-free part of the wire protocol (kernel/contract/wire.ts): an error as it crosses, and
 * the protocol version. A worker needs only these, so it never builds the host's message schemas.
 */

/** An error as a plain record (structured clone drops class and `code`); rebuilt host-side. */
export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

/** Version of the message shapes in wire.ts; the worker reports it in its `ready` message. */
export const WIRE_PROTOCOL_VERSION = 1;

/**
 * Turns anything thrown into a wire error; keeps a `code` when the thrower set one. What was
 * thrown may be an extension's object whose getters (a `stack` formatted by its own
 * `Error.prepareStackTrace`, say) or `toString` throw: each part that cannot be read is left out,
 * so the error itself still reaches the host.
 */
export function toWireError(err: unknown, fallbackCode = "extension_error"): WireError {
  if (err && typeof err === "object") {
    const code = readPart(err, "code");
    const message = readPart(err, "message");
    const details = readPart(err, "details");
    const stack = readPart(err, "stack");
    return {
      code: typeof code === "string" ? code : fallbackCode,
      message: typeof message === "string" ? message : shown(err),
      ...(details && typeof details === "object" ? { details: details as Record<string, unknown> } : {}),
      ...(typeof stack === "string" ? { stack } : {}),
    };
  }
  return { code: fallbackCode, message: shown(err) };
}

function readPart(err: object, key: string): unknown {
  try {
    return (err as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function shown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "an error that cannot be shown as text";
  }
}
