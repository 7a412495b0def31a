/**
 * The inputs of a run command (`model method run`, `workflow run`, `workflow evaluate`):
 * `--input-file` (a YAML mapping; `-` reads stdin) overlaid by the `--input` values
 * (kernel/models/input-parsing.ts; `key=@-` also reads stdin).
 */
import { parse } from "yaml";
import { UsageError } from "../kernel/contract/errors.js";
import { parseKeyValues } from "../kernel/models/input-parsing.js";
import { readInputFile } from "../kernel/runtime/user-input.js";

export async function collectInputs(inputFile: string | undefined, input: readonly string[]): Promise<Record<string, unknown>> {
  let inputs: Record<string, unknown> = {};
  if (inputFile) {
    const parsed: unknown = parse(await readInputFile(inputFile, `--input-file ${inputFile}`));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new UsageError(`--input-file ${inputFile} must hold a YAML mapping`);
    inputs = parsed as Record<string, unknown>;
  }
  return { ...inputs, ...(await parseKeyValues(input)) };
}

/** `30`, `30s`, `5m`, `1h` → milliseconds. */
export function parseTimeout(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`Invalid --timeout "${text}": use a number of seconds or 30s, 5m, 1h`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000);
}
