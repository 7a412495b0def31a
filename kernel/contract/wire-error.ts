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

/** Turns anything thrown into a wire error; keeps a `code` when the thrower set one. */
export function toWireError(err: unknown, fallbackCode = "extension_error"): WireError {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; details?: unknown; stack?: unknown };
    return {
      code: typeof e.code === "string" ? e.code : fallbackCode,
      message: typeof e.message === "string" ? e.message : String(err),
      ...(e.details && typeof e.details === "object" ? { details: e.details as Record<string, unknown> } : {}),
      ...(typeof e.stack === "string" ? { stack: e.stack } : {}),
    };
  }
  return { code: fallbackCode, message: String(err) };
}
