/**
 * `Deno.errors`: one class per error kind Deno raises, and the mapping from Node's errno codes
 * to them, so `err instanceof Deno.errors.NotFound` works in extensions written for Deno.
 *
 * Each error keeps the Node `code` (ENOENT, …), as Deno's own errors do. A refusal of the
 * sandbox (Node's permission model, `ERR_ACCESS_DENIED`) becomes `PermissionDenied` carrying
 * the permission, the resource and the Deno call in `details`, which the host turns into
 * `extension_permission_denied` naming the call.
 */

const KINDS = [
  "NotFound",
  "PermissionDenied",
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "NotConnected",
  "AddrInUse",
  "AddrNotAvailable",
  "BrokenPipe",
  "AlreadyExists",
  "InvalidData",
  "TimedOut",
  "Interrupted",
  "WriteZero",
  "WouldBlock",
  "UnexpectedEof",
  "BadResource",
  "Http",
  "Busy",
  "NotSupported",
  "FilesystemLoop",
  "IsADirectory",
  "NetworkUnreachable",
  "NotADirectory",
  "NotCapable",
] as const;

export type DenoErrorKind = (typeof KINDS)[number];
export type DenoErrorClass = new (message?: string, options?: ErrorOptions) => Error;

function errorClass(kind: DenoErrorKind): DenoErrorClass {
  // A named class per kind: `err.name` and stack traces read `NotFound: …` as under Deno.
  const cls = class extends Error {
    constructor(message?: string, options?: ErrorOptions) {
      super(message, options);
      this.name = kind;
    }
  };
  Object.defineProperty(cls, "name", { value: kind });
  return cls;
}

export const errors = Object.fromEntries(KINDS.map((k) => [k, errorClass(k)])) as Record<DenoErrorKind, DenoErrorClass>;

const BY_CODE: Record<string, DenoErrorKind> = {
  ENOENT: "NotFound",
  EEXIST: "AlreadyExists",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  ERR_ACCESS_DENIED: "PermissionDenied",
  ENOTDIR: "NotADirectory",
  EISDIR: "IsADirectory",
  ERR_FS_EISDIR: "IsADirectory",
  ELOOP: "FilesystemLoop",
  ECONNREFUSED: "ConnectionRefused",
  ECONNRESET: "ConnectionReset",
  ECONNABORTED: "ConnectionAborted",
  ENOTCONN: "NotConnected",
  EADDRINUSE: "AddrInUse",
  EADDRNOTAVAIL: "AddrNotAvailable",
  EPIPE: "BrokenPipe",
  ETIMEDOUT: "TimedOut",
  EINTR: "Interrupted",
  EAGAIN: "WouldBlock",
  EWOULDBLOCK: "WouldBlock",
  EBUSY: "Busy",
  ENOTSUP: "NotSupported",
  EOPNOTSUPP: "NotSupported",
  ENOSYS: "NotSupported",
  ENETUNREACH: "NetworkUnreachable",
  EBADF: "BadResource",
};

interface NodeError {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
  message?: unknown;
  permission?: unknown;
  resource?: unknown;
}

/** "ENOENT: no such file or directory, open '/x'" → "No such file or directory". */
function description(e: NodeError): string {
  const text = typeof e.message === "string" ? e.message : "";
  const m = /^[A-Z_]+: ([^,]+)/.exec(text);
  const what = (m ? m[1] : text) ?? "";
  return what ? what.charAt(0).toUpperCase() + what.slice(1) : "Unknown error";
}

/**
 * The Deno error for a Node error raised by `call` (e.g. "Deno.readTextFile") on `path`;
 * errors that are not system errors pass through unchanged.
 */
export function denoError(err: unknown, call: string, path?: string, message?: string): unknown {
  if (!err || typeof err !== "object") return err;
  const e = err as NodeError;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (!code) return err;
  const kind = BY_CODE[code];
  if (code === "ERR_ACCESS_DENIED") {
    const resource = typeof e.resource === "string" && e.resource !== "" ? e.resource : path;
    const permission = typeof e.permission === "string" ? e.permission : "access";
    const out = new errors.PermissionDenied(`${call}${resource ? ` '${resource}'` : ""}: ${permission} access denied by the sandbox`, { cause: err });
    return Object.assign(out, {
      code,
      permission,
      ...(resource ? { resource } : {}),
      details: { call, permission, ...(resource ? { resource } : {}) },
    });
  }
  if (!kind && typeof e.errno !== "number") return err;
  const Cls: DenoErrorClass = kind ? errors[kind] : Error;
  const target = [typeof e.path === "string" ? e.path : path, typeof e.dest === "string" ? e.dest : undefined].filter(Boolean).map((p) => `'${p}'`);
  const os = typeof e.errno === "number" ? ` (os error ${Math.abs(e.errno)})` : "";
  const op = typeof e.syscall === "string" ? e.syscall : call;
  const out = new Cls(message ?? `${description(e)}${os}: ${op}${target.length ? ` ${target.join(" -> ")}` : ""}`, { cause: err });
  return Object.assign(out, { code });
}

/** Runs `fn`, rethrowing Node errors as Deno errors. */
export function mapSync<T>(call: string, path: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw denoError(err, call, path);
  }
}

export async function mapAsync<T>(call: string, path: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw denoError(err, call, path);
  }
}
