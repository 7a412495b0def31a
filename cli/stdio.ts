/**
 * The CLI's own stdout and stderr never crash it. A reader that went away (EPIPE: `swamp … |
 * head -1`) just stops getting output; the command still finishes (and releases its locks)
 * as if it had been read. Any other stdout failure (a redirect onto a full disk) is reported
 * as one line on stderr when the process exits, and a successful exit code becomes 1. Errors
 * on stderr have nowhere to be reported and are dropped.
 */
import { ExitCode } from "../kernel/contract/errors.js";
import { fsWriteError } from "../kernel/runtime/fs-errors.js";
import { renderError } from "./output.js";

let installed = false;

export function guardStdio(json: boolean): void {
  if (installed) return;
  installed = true;
  let stdoutFailure: unknown = null;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" || stdoutFailure !== null) return;
    stdoutFailure = fsWriteError(err);
  });
  process.stderr.on("error", () => {});
  process.on("exit", (code) => {
    if (stdoutFailure === null) return;
    const exit = renderError(stdoutFailure, { stdout: process.stdout, stderr: process.stderr }, { json, verbose: false });
    if (code === ExitCode.ok) process.exitCode = exit;
  });
}
