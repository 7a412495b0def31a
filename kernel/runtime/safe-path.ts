/**
 * Every path built from user input goes through `safeJoin`: it refuses segments that would
 * escape the root (`..`, absolute paths, NUL, backslashes) before touching the filesystem.
 */
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";

export class PathTraversalError extends SwampError {
  constructor(root: string, untrusted: string) {
    super(ErrorCode.pathTraversal, `Path "${untrusted}" resolves outside ${root}`, { details: { root, path: untrusted } });
    this.name = "PathTraversalError";
  }
}

/** Joins untrusted relative parts under `root`; throws PathTraversalError if the result escapes. */
export function safeJoin(root: string, ...untrusted: string[]): string {
  for (const part of untrusted) {
    if (part.includes("\0") || part.includes("\\") || isAbsolute(part)) throw new PathTraversalError(root, part);
    for (const segment of part.split("/")) {
      if (segment === "..") throw new PathTraversalError(root, part);
    }
  }
  const base = resolve(root);
  const target = resolve(join(base, ...untrusted));
  const rel = relative(base, target);
  if (rel.startsWith("..") || isAbsolute(rel) || rel.split(sep).includes("..")) {
    throw new PathTraversalError(root, untrusted.join("/"));
  }
  return target;
}

/** True when `child` is `parent` or lies inside it (lexically). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
