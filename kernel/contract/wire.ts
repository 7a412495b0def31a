/**
 * The worker wire protocol: what crosses between the host and an extension worker. Only
 * JSON-safe values and Uint8Array cross; zod schemas cross as JSON Schema; errors cross as
 * plain records and are rebuilt host-side (structured clone drops class and `code`).
 */
import * as z from "zod";

export { toWireError, WIRE_PROTOCOL_VERSION, type WireError } from "./wire-error.js";

/*
 * The schemas are built on first use: building them costs an extension run a noticeable part
 * of its start-up, and the hot inbound messages are checked by hand first (`quickInbound`).
 */
function buildMessageSchemas() {
  const WireErrorSchema = z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    stack: z.string().optional(),
  });

  /**
   * Host → worker: call `method` on the object behind `handle` (0 is the module itself).
   * `then` chains a second call onto the handle the first one returns, in one round trip
   * (e.g. create a lock and acquire it); the result then carries the new handle and the
   * chained call's value.
   */
  const CallMessageSchema = z.object({
    type: z.literal("call"),
    id: z.number().int(),
    handle: z.number().int().nonnegative(),
    method: z.string(),
    args: z.array(z.unknown()),
    then: z.object({ method: z.string(), args: z.array(z.unknown()) }).optional(),
  });

  /** Worker → host: a call finished. A result that is a stateful object comes back as a handle. */
  const ResultMessageSchema = z.object({
    type: z.literal("result"),
    id: z.number().int(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    handle: z.number().int().optional(),
    error: WireErrorSchema.optional(),
  });

  /** Worker → host: an extension asks the host for something (write data, log, read input). */
  const RequestMessageSchema = z.object({
    type: z.literal("request"),
    id: z.number().int(),
    callId: z.number().int(),
    method: z.string(),
    args: z.array(z.unknown()),
  });

  /** Host → worker: drop the object behind a handle. */
  const DisposeMessageSchema = z.object({
    type: z.literal("dispose"),
    handle: z.number().int().positive(),
  });

  /** Host → worker: the answer to a worker `request` (same `id`). */
  const ResponseMessageSchema = z.object({
    type: z.literal("response"),
    id: z.number().int(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: WireErrorSchema.optional(),
  });

  /** Worker → host: a notification that needs no answer (log lines, console output, driver output). */
  const EventMessageSchema = z.object({
    type: z.literal("event"),
    /** The call it belongs to; 0 when none (e.g. console output from a timer). */
    callId: z.number().int(),
    name: z.string(),
    args: z.array(z.unknown()),
  });

  /** Host → worker: the command was aborted; abort the signal of call `id`. */
  const CancelMessageSchema = z.object({
    type: z.literal("cancel"),
    id: z.number().int(),
  });

  /** Host → worker liveness probe; answered by a `pong` with the same id. */
  const PingMessageSchema = z.object({ type: z.literal("ping"), id: z.number().int() });
  const PongMessageSchema = z.object({ type: z.literal("pong"), id: z.number().int() });

  /**
   * Worker → host, once: the extension module is loaded and its export validated (`ok`), or
   * why not. `value` summarises the export (kind, type).
   */
  const ReadyMessageSchema = z.object({
    type: z.literal("ready"),
    protocol: z.number().int(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: WireErrorSchema.optional(),
  });

  /** Host → worker: the instance is no longer needed; drop every handle and end. */
  const CloseMessageSchema = z.object({ type: z.literal("close") });

  const WireMessageSchema = z.discriminatedUnion("type", [
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

  /** Sandbox process → host: everything it sent is on the IPC channel; it exits next. */
  const ByeMessageSchema = z.object({ type: z.literal("bye") });

  /** What loading a bundle once declared (its descriptor), or why it failed. */
  const DescribeResultSchema = z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), descriptor: z.record(z.string(), z.unknown()) }),
    // `type`: the type the export declared, when it got that far, so a broken extension keeps it.
    z.object({ ok: z.literal(false), error: WireErrorSchema, type: z.string().max(200).optional() }),
  ]);

  /** Sandbox process → host: the describe result of bundle `index`. */
  const DescribedMessageSchema = z.object({
    type: z.literal("described"),
    index: z.number().int().nonnegative(),
    result: DescribeResultSchema,
  });

  /**
   * Every message a worker thread or sandbox process may send the host. They are untrusted
   * input (the extension's code runs on the other side): each one is validated against this
   * schema before the host uses it.
   */
  const InboundMessageSchema = z.discriminatedUnion("type", [
    ResultMessageSchema,
    RequestMessageSchema,
    EventMessageSchema,
    PongMessageSchema,
    ReadyMessageSchema,
    ByeMessageSchema,
    DescribedMessageSchema,
  ]);

  return {
    WireErrorSchema,
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
    WireMessageSchema,
    ByeMessageSchema,
    DescribeResultSchema,
    DescribedMessageSchema,
    InboundMessageSchema,
  };
}

type Schemas = ReturnType<typeof buildMessageSchemas>;
let builtMessageSchemas: Schemas | undefined;

/** The wire message schemas (built once, on first use). */
export function messageSchemas(): Schemas {
  return (builtMessageSchemas ??= buildMessageSchemas());
}

export type WireMessage = z.infer<Schemas["WireMessageSchema"]>;
export type InboundMessage = z.infer<Schemas["InboundMessageSchema"]>;

/*
 * The read-only host calls of a method context (worker → host `request`s): the data and
 * definition repositories and the CEL data query. Each method has a fixed argument tuple; an
 * optional argument crosses as null. Types and sizes are checked here; names are checked by
 * the host's one implementation of these reads (no path is built from an unchecked name).
 */
const CONTEXT_READS = {
  "data.findByName": true,
  "data.findById": true,
  "data.listVersions": true,
  "data.getLatestVersion": true,
  "data.findAllForModel": true,
  "data.findAllGlobal": true,
  "data.getContent": true,
  "definitions.findById": true,
  "definitions.findByName": true,
  "definitions.findAll": true,
  "definitions.findByNameGlobal": true,
  "definitions.findAllGlobal": true,
  queryData: true,
} as const;
export type ContextReadMethod = keyof typeof CONTEXT_READS;
export const CONTEXT_READ_METHODS = Object.keys(CONTEXT_READS) as ContextReadMethod[];

function buildContextReadSchemas() {
  const TypeArg = z.string().min(1).max(1024);
  const IdArg = z.string().min(1).max(1024);
  const NameArg = z.string().min(1).max(1024);
  const VersionArg = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();
  const CelArg = z.string().min(1).max(65_536);
  const args = {
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
  } satisfies Record<ContextReadMethod, z.ZodTuple>;
  /** A worker `request` for one of the context reads, its arguments checked per method. */
  const request = z.discriminatedUnion(
    "method",
    CONTEXT_READ_METHODS.map((method) => messageSchemas().RequestMessageSchema.extend({ method: z.literal(method), args: args[method] })) as unknown as [
      z.ZodObject<{ type: z.ZodLiteral<"request">; method: z.ZodLiteral<string> }>,
      ...z.ZodObject<{ type: z.ZodLiteral<"request">; method: z.ZodLiteral<string> }>[],
    ],
  );
  return { args, request };
}

let contextReads: ReturnType<typeof buildContextReadSchemas> | undefined;

/** The argument tuple schema of each context read, and the whole request's (built on first use). */
export function contextReadSchemas(): ReturnType<typeof buildContextReadSchemas> {
  return (contextReads ??= buildContextReadSchemas());
}

export function isContextReadMethod(method: string): method is ContextReadMethod {
  return Object.prototype.hasOwnProperty.call(CONTEXT_READS, method);
}

const INBOUND_TYPES = new Set(["result", "request", "event", "pong", "ready", "bye", "described"]);

/*
 * The hand check of the frequent inbound messages. It accepts only what the zod schema
 * accepts and gives what zod gives (the same keys, in the schema's order); anything else —
 * an error with details, a `described` message, an unusual object, anything invalid — is left
 * to zod, so every problem is still reported by zod's own words.
 */
const hasOwn = Object.prototype.hasOwnProperty;
type Plain = Record<string, unknown>;

/** A plain data object whose own keys are all in `keys` (no accessors, no odd prototype). */
function plainWith(value: unknown, keys: readonly string[]): value is Plain {
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== "string" || !keys.includes(key)) return false;
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (!d || !("value" in d)) return false;
  }
  return true;
}

/** An optional key: absent, or present with a value that is not undefined (zod's `key: undefined` stays with zod). */
const absent = (o: Plain, key: string): boolean => !hasOwn.call(o, key);
const present = (o: Plain, key: string): boolean => hasOwn.call(o, key) && o[key] !== undefined;
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function copyArray(v: unknown[]): unknown[] {
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i];
  return out;
}

const ERROR_KEYS = ["code", "message", "stack"] as const;

function quickError(v: unknown): Plain | undefined {
  if (!plainWith(v, ERROR_KEYS) || typeof v.code !== "string" || typeof v.message !== "string") return undefined;
  if (!absent(v, "stack") && typeof v.stack !== "string") return undefined;
  return absent(v, "stack") ? { code: v.code, message: v.message } : { code: v.code, message: v.message, stack: v.stack };
}

/** `ok` with value and error: result and ready share it. */
function quickOutcome(m: Plain, out: Plain): Plain | undefined {
  if (typeof m.ok !== "boolean") return undefined;
  out.ok = m.ok;
  if (present(m, "value")) out.value = m.value;
  else if (!absent(m, "value")) return undefined;
  return out;
}

/** The message as the zod schema would give it, or undefined to leave it to zod. */
export function quickInbound(m: unknown): InboundMessage | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  switch ((m as Plain).type) {
    case "result": {
      if (!plainWith(m, ["type", "id", "ok", "value", "handle", "error"]) || !isInt(m.id)) return undefined;
      const out = quickOutcome(m, { type: "result", id: m.id });
      if (!out) return undefined;
      if (present(m, "handle") && isInt(m.handle)) out.handle = m.handle;
      else if (!absent(m, "handle")) return undefined;
      if (present(m, "error")) {
        const error = quickError(m.error);
        if (!error) return undefined;
        out.error = error;
      } else if (!absent(m, "error")) return undefined;
      return out as InboundMessage;
    }
    case "ready": {
      if (!plainWith(m, ["type", "protocol", "ok", "value", "error"]) || !isInt(m.protocol)) return undefined;
      const out = quickOutcome(m, { type: "ready", protocol: m.protocol });
      if (!out) return undefined;
      if (present(m, "error")) {
        const error = quickError(m.error);
        if (!error) return undefined;
        out.error = error;
      } else if (!absent(m, "error")) return undefined;
      return out as InboundMessage;
    }
    case "request":
      if (!plainWith(m, ["type", "id", "callId", "method", "args"]) || !isInt(m.id) || !isInt(m.callId) || typeof m.method !== "string" || !Array.isArray(m.args)) return undefined;
      return { type: "request", id: m.id, callId: m.callId, method: m.method, args: copyArray(m.args) };
    case "event":
      if (!plainWith(m, ["type", "callId", "name", "args"]) || !isInt(m.callId) || typeof m.name !== "string" || !Array.isArray(m.args)) return undefined;
      return { type: "event", callId: m.callId, name: m.name, args: copyArray(m.args) };
    case "pong":
      if (!plainWith(m, ["type", "id"]) || !isInt(m.id)) return undefined;
      return { type: "pong", id: m.id };
    case "bye":
      if (!plainWith(m, ["type"])) return undefined;
      return { type: "bye" };
    default:
      return undefined;
  }
}

/** A validated inbound message, or one line saying what is wrong with it. */
export function parseInbound(raw: unknown): { ok: true; message: InboundMessage } | { ok: false; problem: string } {
  const quick = quickInbound(raw);
  if (quick) return { ok: true, message: quick };
  const parsed = messageSchemas().InboundMessageSchema.safeParse(raw);
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
export type CallMessage = z.infer<Schemas["CallMessageSchema"]>;
export type ResultMessage = z.infer<Schemas["ResultMessageSchema"]>;
export type RequestMessage = z.infer<Schemas["RequestMessageSchema"]>;
export type ResponseMessage = z.infer<Schemas["ResponseMessageSchema"]>;
export type EventMessage = z.infer<Schemas["EventMessageSchema"]>;
export type ReadyMessage = z.infer<Schemas["ReadyMessageSchema"]>;
export type DescribedMessage = z.infer<Schemas["DescribedMessageSchema"]>;
