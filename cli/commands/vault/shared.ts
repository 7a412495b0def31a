/**
 * Helpers of the `swamp vault …` commands: the vault service of the repo, the audit trail's
 * caller names, warnings, `--label` parsing, reading a secret value from stdin or a hidden
 * terminal prompt (or a line from the terminal), and the value checks `put` applies.
 */
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import type { Kernel } from "../../../kernel/runtime/kernel.js";
import { readInputStream } from "../../../kernel/runtime/user-input.js";
import { vaultService, type VaultService } from "../../../kernel/vaults/service.js";
import type { SwampCommand } from "../../base.js";
import { warningLine } from "../../colour.js";

/** The `callerContext` each command records in the audit trail (extensions.md §8). */
export const Caller = {
  put: "cli:vault-put",
  delete: "cli:vault-delete",
  annotate: "cli:vault-annotate",
  migrate: "cli:vault-migrate",
  readSecret: "cli:vault-read-secret",
  inspect: "cli:vault-inspect",
} as const;

/** A warning on stderr: `{"warning": …}` under --json, else `Warning: …`. */
export function warnFor(cmd: SwampCommand): (message: string) => void {
  const stderr = cmd.context.stderr;
  return (message) => void stderr.write(cmd.json ? `${JSON.stringify({ warning: message })}\n` : warningLine(stderr, message));
}

export async function openVaults(cmd: SwampCommand): Promise<{ kernel: Kernel; vaults: VaultService }> {
  const kernel = await cmd.kernel();
  return { kernel, vaults: vaultService(kernel, { warn: warnFor(cmd) }) };
}

/** `--label k=v` options as a record; the messages are the spec's. */
export function parseLabels(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const at = l.indexOf("=");
    if (at < 0) throw new UsageError(`Invalid label format: '${l}'. Expected key=value.`);
    if (at === 0) throw new UsageError(`Invalid label format: '${l}'. The label has an empty key.`);
    out[l.slice(0, at)] = l.slice(at + 1);
  }
  return out;
}

/** Everything on stdin, as UTF-8, within the input size cap. */
export function readAllStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  return readInputStream(stdin, "The secret on stdin");
}

/**
 * A piped value loses one trailing newline only when it holds no other (`echo secret |` gives
 * "secret"; a multi-line PEM is kept byte for byte).
 */
export function stripSingleTrailingNewline(text: string): string {
  const body = text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
  if (body === text) return text;
  return body.includes("\n") ? text : body;
}

/** Reads a line typed in the terminal (echoed). */
export async function askLine(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream): Promise<string> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: stdin, output: stderr });
  try {
    return await rl.question(prompt);
  } finally {
    rl.close();
  }
}

/** Reads a line from the terminal without echoing it. */
export function readHidden(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo goes off before the prompt shows, so nothing typed after it is ever echoed.
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stderr.write(prompt);
    stdin.setEncoding("utf8");
    let value = "";
    const done = (error: Error | null) => {
      stdin.removeListener("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done(null);
        if (ch === "\u0003") return done(new SwampError("cancelled", "Cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

export function requireNonEmpty(value: string, source: string): string {
  if (value.length === 0) throw new UsageError(`The secret value from ${source} is empty; nothing was stored`);
  return value;
}

/** `--config '<json>'`: a JSON object, or undefined when the flag is absent. */
export function parseConfigFlag(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`Invalid JSON in --config: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new UsageError("--config must be a JSON object");
  return parsed as Record<string, unknown>;
}
