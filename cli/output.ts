/**
 * Rendering shared by every command: JSON documents on stdout, errors as one line (or one JSON
 * document) on stderr, and small text helpers (human sizes and ages). Tables: cli/table.ts;
 * colour: cli/colour.ts.
 */
import { errorCode, errorMessage, exitCodeFor, ErrorCode, oneLine, SwampError } from "../kernel/contract/errors.js";
import { fsWriteError } from "../kernel/runtime/fs-errors.js";
import { paint } from "./colour.js";

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an error and returns the exit code it maps to. */
export function renderError(thrown: unknown, streams: Streams, opts: { json: boolean; verbose: boolean }): number {
  // A write path that let a raw ENOSPC/EROFS through still reads as one clear line.
  const err = fsWriteError(thrown);
  const code = errorCode(err) ?? ErrorCode.internal;
  const message = oneLine(errorMessage(err));
  const known = err instanceof SwampError || errorCode(err) !== undefined;
  if (opts.json) {
    const body: Record<string, unknown> = { code, message: errorMessage(err) };
    if (err instanceof SwampError && err.details) body.details = err.details;
    if (opts.verbose || !known) body.stack = err instanceof Error ? err.stack : undefined;
    writeJson(streams.stderr, { error: body });
  } else {
    streams.stderr.write(`${paint(streams.stderr, "fail", "Error:")} ${opts.verbose ? errorMessage(err) : message}\n`);
    if (opts.verbose && err instanceof Error && err.stack) streams.stderr.write(`${err.stack}\n`);
    else if (!known) streams.stderr.write("(run with --verbose for the stack trace)\n");
  }
  return exitCodeFor(err);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)}GB`;
}

export function formatAge(fromIso: string, now = Date.now()): string {
  const ms = now - Date.parse(fromIso);
  if (!Number.isFinite(ms)) return fromIso;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
