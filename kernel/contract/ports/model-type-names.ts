/**
 * The plain (zod-free) values of the model-type port: model type references and the version
 * and lifetime patterns. model-type.ts re-exports them.
 */
import { SwampError } from "../errors.js";

export type ModelTypeRef = string | { normalized?: string; raw?: string; toString(): string };

/** The type string of a ModelTypeRef; anything else fails with `validation_failed`. */
export function modelTypeString(type: ModelTypeRef): string {
  if (typeof type === "string") return type;
  if (type && typeof type === "object") {
    if (typeof type.normalized === "string") return type.normalized;
    if (typeof type.raw === "string") return type.raw;
  }
  throw new SwampError("validation_failed", `Model type must be a string, got ${typeof type}`);
}

export const CALVER_PATTERN = /^\d{4}\.\d{2}\.\d{2}\.\d+$/;
export const LIFETIME_PATTERN = /^(ephemeral|infinite|job|workflow|\d+(mo|y|h|m|d|w))$/;
