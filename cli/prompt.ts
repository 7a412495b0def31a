/**
 * Confirmation for destructive commands: JSON mode and -y/--yes never ask; a terminal is asked;
 * without a terminal the command refuses rather than hanging on input nobody will type.
 */
import { createInterface } from "node:readline/promises";
import { UsageError } from "../kernel/contract/errors.js";

export async function confirm(question: string, opts: { json: boolean; yes: boolean }): Promise<boolean> {
  if (opts.json || opts.yes) return true;
  if (!process.stdin.isTTY) throw new UsageError(`${question} — refusing without a terminal to ask; pass --yes to proceed`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
