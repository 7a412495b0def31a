/**
 * Reading what a user hands the CLI (an `--input-file`, an `@file` value, YAML or a secret piped
 * on stdin) with a size cap checked before the bytes are held: a regular file is measured
 * first (stat) and refused outright; anything else (stdin, a pipe, a device) is read with a
 * running count and abandoned as soon as it passes the cap. Too large is `input_too_large`
 * with the usage exit code (2).
 *
 * The cap is 10 MiB; `SWAMP_INPUT_MAX_BYTES` sets another (a positive whole number of bytes).
 *
 * The path `-` means stdin. stdin can be read once per process: a second reader (`--input-file -`
 * with `--input key=@-`) is a usage error rather than an empty value.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ErrorCode, ExitCode, SwampError, UsageError } from "../contract/errors.js";

export const DEFAULT_INPUT_MAX_BYTES = 10 * 1024 * 1024;

/** The input size cap from `SWAMP_INPUT_MAX_BYTES`, else the default. */
export function inputMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SWAMP_INPUT_MAX_BYTES;
  if (raw === undefined || raw.trim() === "") return DEFAULT_INPUT_MAX_BYTES;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0 || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`SWAMP_INPUT_MAX_BYTES must be a positive whole number of bytes, got "${raw.slice(0, 40)}"`);
  }
  return Number(raw);
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`;
}

function tooLarge(what: string, max: number, size?: number): SwampError {
  const measured = size === undefined ? `is larger than ${sizeText(max)}` : `is ${sizeText(size)}`;
  return new SwampError(
    ErrorCode.inputTooLarge,
    `${what} ${measured}; inputs are limited to ${sizeText(max)} (set SWAMP_INPUT_MAX_BYTES to change the limit)`,
    { exitCode: ExitCode.usage, details: { input: what, maxBytes: max, ...(size === undefined ? {} : { size }) } },
  );
}

const CHUNK = 64 * 1024;

/** The path that means stdin. */
export const STDIN_PATH = "-";

let stdinReader: string | undefined;

/** Claims stdin for `what`; throws when something else already read it. */
function claimStdin(what: string): void {
  if (stdinReader !== undefined) {
    throw new UsageError(`${what} cannot come from stdin: stdin is read once, and ${stdinReader} already uses it`);
  }
  stdinReader = what;
}

/**
 * Reads a user's file as UTF-8, refusing one over the cap before reading it. A named pipe or
 * device has no size to check up front: it is read until it ends or passes the cap. Not stdin
 * (`-`): a synchronous read of stdin would hold off Ctrl-C while a person types, so stdin is
 * read only by `readInputFile`.
 */
export function readInputFileSync(path: string, what: string, max = inputMaxBytes()): string {
  if (path === STDIN_PATH) throw new Error("readInputFileSync cannot read stdin: use readInputFile");
  try {
    return readWhole(path, what, max);
  } catch (err) {
    throw err instanceof SwampError ? err : unreadable(path, what, err);
  }
}

/** A file the user named that cannot be read, said as one line (the errno alone names neither). */
function unreadable(path: string, what: string, err: unknown): SwampError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new SwampError(ErrorCode.notFound, `${what}: no such file: ${path}`);
  const reason = code === "EISDIR" ? "is a directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : ((err as Error).message ?? String(err));
  return new UsageError(`${what}: cannot read ${path}: ${reason}`);
}

function readWhole(path: string, what: string, max: number): string {
  const fd = openSync(path, "r");
  try {
    const info = fstatSync(fd);
    if (info.isFile() && info.size > max) throw tooLarge(what, max, info.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(CHUNK);
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max) throw tooLarge(what, max);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** `readInputFileSync` for async callers; `-` reads process.stdin as a stream. */
export async function readInputFile(path: string, what: string, max = inputMaxBytes()): Promise<string> {
  if (path === STDIN_PATH) return readInputStream(process.stdin, what, max);
  return readInputFileSync(path, what, max);
}

/** Everything on a stream (stdin) as UTF-8, abandoned as soon as it passes the cap. */
export async function readInputStream(stream: NodeJS.ReadableStream, what: string, max = inputMaxBytes()): Promise<string> {
  if (stream === process.stdin) claimStdin(what);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk as Buffer);
    total += bytes.length;
    if (total > max) throw tooLarge(what, max); // leaving the loop stops reading the stream
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString("utf8");
}
