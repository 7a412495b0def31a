/**
 * Error codes the data layer raises in addition to the shared ones in kernel/contract/errors.ts.
 * They are stable strings (scripts match on them); the SwampError class carries them.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";

export const DataErrorCode = {
  /** A new version's owner differs from the owner of the name's current latest version. */
  ownershipMismatch: "ownership_mismatch",
  /** A `data query` predicate or projection could not be parsed or names an unknown field. */
  queryFailed: "query_failed",
  /** Bad data name, model type, model id, lifetime, gc policy or tags: nothing was written. */
  invalid: ErrorCode.validation,
  notFound: ErrorCode.notFound,
  conflict: ErrorCode.conflict,
  /** A DataWriter was used after it finished, or finalized before it was used. */
  writerState: "writer_state",
} as const;

export function invalid(message: string, details?: Record<string, unknown>): SwampError {
  return new SwampError(DataErrorCode.invalid, message, details ? { details } : {});
}

export function notFound(message: string, details?: Record<string, unknown>): SwampError {
  return new SwampError(DataErrorCode.notFound, message, details ? { details } : {});
}

export function conflict(message: string, details?: Record<string, unknown>): SwampError {
  return new SwampError(DataErrorCode.conflict, message, details ? { details } : {});
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}
