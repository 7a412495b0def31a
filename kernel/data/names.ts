/**
 * Names that become path segments under the data root: data names, model types (one or more
 * segments) and model ids (one segment). Everything is checked before anything is written.
 */
import { invalid } from "./errors.js";

/** Why `name` cannot be a data name, or null when it can. */
export function dataNameProblem(name: unknown): string | null {
  if (typeof name !== "string" || name.trim().length === 0) return "Data name must be a non-empty string";
  if (name.includes("..") || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    return `Data name ${JSON.stringify(name)} must not contain "..", "/", "\\" or NUL characters`;
  }
  if (name.toLowerCase() === "latest") return `Data name '${name}' is reserved for internal use. Use a different name.`;
  if (name.startsWith(".")) {
    return `Data name ${JSON.stringify(name)} must not start with "." (reserved for internal files)`;
  }
  return null;
}

/** Throws `validation_failed` unless `name` is a valid data name. */
export function validateDataName(name: unknown): asserts name is string {
  const problem = dataNameProblem(name);
  if (problem !== null) throw invalid(problem, { name });
}

/** True for the reserved `latest` name (any case). */
export function isReservedDataName(name: string): boolean {
  return name.toLowerCase() === "latest";
}

/**
 * Model type as a directory path: lowercase; `::`, whitespace runs and `.` become `/`; repeated
 * `/` collapse; leading and trailing `/` go. `AWS::EC2::VPC` → `aws/ec2/vpc`.
 */
export function normalizeModelType(type: string): string {
  return type
    .toLowerCase()
    .replace(/::/g, "/")
    .replace(/\s+/g, "/")
    .replace(/\./g, "/")
    .replace(/\/{2,}/g, "/")
    .replace(/^\/+|\/+$/g, "");
}

/** Normalizes and validates a model type; throws `validation_failed` when unusable as a path. */
export function modelTypePath(type: unknown): string {
  if (typeof type !== "string" || type.trim().length === 0) throw invalid("Model type must be a non-empty string", { type });
  if (type.includes("\0") || type.includes("\\")) throw invalid(`Model type ${JSON.stringify(type)} contains "\\" or NUL characters`, { type });
  const normalized = normalizeModelType(type);
  if (normalized.length === 0) throw invalid(`Model type ${JSON.stringify(type)} is empty after normalization`, { type });
  for (const segment of normalized.split("/")) {
    if (segment.startsWith(".") || segment.length === 0) {
      throw invalid(`Model type ${JSON.stringify(type)} has an unusable path segment ${JSON.stringify(segment)}`, { type });
    }
  }
  return normalized;
}

/** Why `id` cannot be a model id (a single, non-hidden path segment), or null when it can. */
export function modelIdProblem(id: unknown): string | null {
  if (typeof id !== "string" || id.length === 0) return "Model id must be a non-empty string";
  if (id.includes("/") || id.includes("\\") || id.includes("\0")) {
    return `Model id ${JSON.stringify(id)} must not contain "/", "\\" or NUL characters`;
  }
  if (id.startsWith(".")) return `Model id ${JSON.stringify(id)} must not start with "."`;
  if (id.trim() !== id) return `Model id ${JSON.stringify(id)} must not start or end with whitespace`;
  return null;
}

export function validateModelId(id: unknown): asserts id is string {
  const problem = modelIdProblem(id);
  if (problem !== null) throw invalid(problem, { id });
}

/** Numeric version directory name → version, or null (`01`, `0`, `-1`, `latest`, `.x` are not versions). */
export function parseVersionDir(entry: string): number | null {
  if (entry.length === 0 || entry.length > 15) return null;
  const first = entry.charCodeAt(0);
  if (first < 49 || first > 57) return null; // 1-9: no leading zero, no sign
  for (let i = 1; i < entry.length; i++) {
    const c = entry.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(entry);
}
