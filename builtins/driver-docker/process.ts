/**
 * Runs the container CLI as a child in its own process group (the shared runner: a timeout or
 * an abort sends SIGTERM to the group, which the CLI forwards to the container with its default
 * `--sig-proxy`, then SIGKILL after a grace period), with its output split into lines.
 */
import { LineSplitter, runProcess, type RunOutcome } from "../../kernel/runtime/child-process.js";

export interface CliRun {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Whole chunks of stdout (bundle mode reads a JSON document). */
  onStdoutChunk?(chunk: Buffer): void;
  onStdoutLine?(line: string): void;
  onStderrLine?(line: string): void;
}

export type CliOutcome = RunOutcome;

export async function runCli(run: CliRun): Promise<CliOutcome> {
  const stdout = new LineSplitter();
  const stderr = new LineSplitter();
  const outcome = await runProcess({
    file: run.file,
    args: run.args,
    env: run.env,
    ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
    ...(run.signal ? { signal: run.signal } : {}),
    onStdout: (chunk) => {
      run.onStdoutChunk?.(chunk);
      if (run.onStdoutLine) for (const line of stdout.push(chunk)) run.onStdoutLine(line);
    },
    onStderr: (chunk) => {
      if (run.onStderrLine) for (const line of stderr.push(chunk)) run.onStderrLine(line);
    },
  });
  if (run.onStdoutLine) for (const line of stdout.end()) run.onStdoutLine(line);
  if (run.onStderrLine) for (const line of stderr.end()) run.onStderrLine(line);
  return outcome;
}
