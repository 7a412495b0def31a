/**
 * Helpers of the `swamp vault …` commands: the vault service of the repo, the audit trail's
 * caller names, warnings, `--label` parsing, reading a secret value from stdin, and the value
 * checks `put` applies (prompts: cli/prompt.ts).
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
