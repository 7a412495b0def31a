/**
 * The worker wire protocol: what crosses between the host and an extension worker. Only
 * JSON-safe values and Uint8Array cross; zod schemas cross as JSON Schema; errors cross as
 * plain records and are rebuilt host-side (structured clone drops class and `code`).
 */
import * as z from "zod";

export const WireErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  stack: z.string().optional(),
});
export type WireError = z.infer<typeof WireErrorSchema>;

/** Host → worker: call `method` on the object behind `handle` (0 is the module itself). */
export const CallMessageSchema = z.object({
  type: z.literal("call"),
  id: z.number().int(),
  handle: z.number().int().nonnegative(),
  method: z.string(),
  args: z.array(z.unknown()),
});

/** Worker → host: a call finished. A result that is a stateful object comes back as a handle. */
export const ResultMessageSchema = z.object({
  type: z.literal("result"),
  id: z.number().int(),
  ok: z.boolean(),
  value: z.unknown().optional(),
  handle: z.number().int().optional(),
  error: WireErrorSchema.optional(),
});

/** Worker → host: an extension asks the host for something (write data, log, read input). */
export const RequestMessageSchema = z.object({
  type: z.literal("request"),
  id: z.number().int(),
  callId: z.number().int(),
  method: z.string(),
  args: z.array(z.unknown()),
});

/** Host → worker: drop the object behind a handle. */
export const DisposeMessageSchema = z.object({
  type: z.literal("dispose"),
  handle: z.number().int().positive(),
});

export const WireMessageSchema = z.discriminatedUnion("type", [
  CallMessageSchema,
  ResultMessageSchema,
  RequestMessageSchema,
  DisposeMessageSchema,
]);
export type WireMessage = z.infer<typeof WireMessageSchema>;

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
