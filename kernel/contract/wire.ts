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
export { toWireError, WIRE_PROTOCOL_VERSION, type WireError } from "./wire-error.js";

/**
 * Host → worker: call `method` on the object behind `handle` (0 is the module itself).
 * `then` chains a second call onto the handle the first one returns, in one round trip
 * (e.g. create a lock and acquire it); the result then carries the new handle and the
 * chained call's value.
 */
export const CallMessageSchema = z.object({
  type: z.literal("call"),
  id: z.number().int(),
  handle: z.number().int().nonnegative(),
  method: z.string(),
  args: z.array(z.unknown()),
  then: z.object({ method: z.string(), args: z.array(z.unknown()) }).optional(),
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

/*
 * The read-only host calls of a method context (worker → host `request`s): the data and
 * definition repositories and the CEL data query. Each method has a fixed argument tuple; an
 * optional argument crosses as null. Types and sizes are checked here; names are checked by
 * the host's one implementation of these reads (no path is built from an unchecked name).
 */
const TypeArg = z.string().min(1).max(1024);
const IdArg = z.string().min(1).max(1024);
const NameArg = z.string().min(1).max(1024);
const VersionArg = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();
const CelArg = z.string().min(1).max(65_536);

export const ContextReadArgs = {
  "data.findByName": z.tuple([TypeArg, IdArg, NameArg, VersionArg]),
  "data.findById": z.tuple([TypeArg, IdArg, NameArg, VersionArg]),
  "data.listVersions": z.tuple([TypeArg, IdArg, NameArg]),
  "data.getLatestVersion": z.tuple([TypeArg, IdArg, NameArg]),
  "data.findAllForModel": z.tuple([TypeArg, IdArg]),
  "data.findAllGlobal": z.tuple([]),
  "data.getContent": z.tuple([TypeArg, IdArg, NameArg, VersionArg]),
  "definitions.findById": z.tuple([TypeArg, IdArg]),
  "definitions.findByName": z.tuple([TypeArg, NameArg]),
  "definitions.findAll": z.tuple([TypeArg]),
  "definitions.findByNameGlobal": z.tuple([NameArg]),
  "definitions.findAllGlobal": z.tuple([]),
  queryData: z.tuple([CelArg, CelArg.nullable()]),
} as const;
export type ContextReadMethod = keyof typeof ContextReadArgs;
export const CONTEXT_READ_METHODS = Object.keys(ContextReadArgs) as ContextReadMethod[];

/** A worker `request` for one of the context reads, its arguments checked per method. */
export const ContextReadRequestSchema = z.discriminatedUnion(
  "method",
  CONTEXT_READ_METHODS.map((method) => RequestMessageSchema.extend({ method: z.literal(method), args: ContextReadArgs[method] })) as unknown as [
    z.ZodObject<{ type: z.ZodLiteral<"request">; method: z.ZodLiteral<string> }>,
    ...z.ZodObject<{ type: z.ZodLiteral<"request">; method: z.ZodLiteral<string> }>[],
  ],
);

export function isContextReadMethod(method: string): method is ContextReadMethod {
  return Object.prototype.hasOwnProperty.call(ContextReadArgs, method);
}

/** Host → worker: drop the object behind a handle. */
export const DisposeMessageSchema = z.object({
  type: z.literal("dispose"),
  handle: z.number().int().positive(),
});

/** Host → worker: the answer to a worker `request` (same `id`). */
export const ResponseMessageSchema = z.object({
  type: z.literal("response"),
  id: z.number().int(),
  ok: z.boolean(),
  value: z.unknown().optional(),
  error: WireErrorSchema.optional(),
});

/** Worker → host: a notification that needs no answer (log lines, console output, driver output). */
export const EventMessageSchema = z.object({
  type: z.literal("event"),
  /** The call it belongs to; 0 when none (e.g. console output from a timer). */
  callId: z.number().int(),
  name: z.string(),
  args: z.array(z.unknown()),
});

/** Host → worker: the command was aborted; abort the signal of call `id`. */
export const CancelMessageSchema = z.object({
  type: z.literal("cancel"),
  id: z.number().int(),
});

/** Host → worker liveness probe; answered by a `pong` with the same id. */
export const PingMessageSchema = z.object({ type: z.literal("ping"), id: z.number().int() });
export const PongMessageSchema = z.object({ type: z.literal("pong"), id: z.number().int() });

/**
 * Worker → host, once: the extension module is loaded and its export validated (`ok`), or
 * why not. `value` summarises the export (kind, type).
 */
export const ReadyMessageSchema = z.object({
  type: z.literal("ready"),
  protocol: z.number().int(),
  ok: z.boolean(),
  value: z.unknown().optional(),
  error: WireErrorSchema.optional(),
});

/** Host → worker: the instance is no longer needed; drop every handle and end. */
export const CloseMessageSchema = z.object({ type: z.literal("close") });

export const WireMessageSchema = z.discriminatedUnion("type", [
  CallMessageSchema,
  ResultMessageSchema,
  RequestMessageSchema,
  DisposeMessageSchema,
  ResponseMessageSchema,
  EventMessageSchema,
  CancelMessageSchema,
  PingMessageSchema,
  PongMessageSchema,
  ReadyMessageSchema,
  CloseMessageSchema,
]);
export type WireMessage = z.infer<typeof WireMessageSchema>;

/** Sandbox process → host: everything it sent is on the IPC channel; it exits next. */
export const ByeMessageSchema = z.object({ type: z.literal("bye") });

/** What loading a bundle once declared (its descriptor), or why it failed. */
export const DescribeResultSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), descriptor: z.record(z.string(), z.unknown()) }),
  // `type`: the type the export declared, when it got that far, so a broken extension keeps it.
  z.object({ ok: z.literal(false), error: WireErrorSchema, type: z.string().max(200).optional() }),
]);

/** Sandbox process → host: the describe result of bundle `index`. */
export const DescribedMessageSchema = z.object({
  type: z.literal("described"),
  index: z.number().int().nonnegative(),
  result: DescribeResultSchema,
});

/**
 * Every message a worker thread or sandbox process may send the host. They are untrusted
 * input (the extension's code runs on the other side): each one is validated against this
 * schema before the host uses it.
 */
export const InboundMessageSchema = z.discriminatedUnion("type", [
  ResultMessageSchema,
  RequestMessageSchema,
  EventMessageSchema,
  PongMessageSchema,
  ReadyMessageSchema,
  ByeMessageSchema,
  DescribedMessageSchema,
]);
export type InboundMessage = z.infer<typeof InboundMessageSchema>;

const INBOUND_TYPES = new Set(["result", "request", "event", "pong", "ready", "bye", "described"]);

/** A validated inbound message, or one line saying what is wrong with it. */
export function parseInbound(raw: unknown): { ok: true; message: InboundMessage } | { ok: false; problem: string } {
  const parsed = InboundMessageSchema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, problem: `expected a message object, got ${raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw}` };
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== "string" || !INBOUND_TYPES.has(type)) {
    const shown = typeof type === "string" ? JSON.stringify(type.slice(0, 40)) : type === undefined ? "none" : typeof type;
    return { ok: false, problem: `unknown message type (${shown})` };
  }
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join(".") || "message";
  return { ok: false, problem: `bad "${type}" message: ${field}: ${issue?.message ?? "invalid"}` };
}
export type CallMessage = z.infer<typeof CallMessageSchema>;
export type ResultMessage = z.infer<typeof ResultMessageSchema>;
export type RequestMessage = z.infer<typeof RequestMessageSchema>;
export type ResponseMessage = z.infer<typeof ResponseMessageSchema>;
export type EventMessage = z.infer<typeof EventMessageSchema>;
export type ReadyMessage = z.infer<typeof ReadyMessageSchema>;
export type DescribedMessage = z.infer<typeof DescribedMessageSchema>;
