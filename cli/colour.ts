/**
 * Colour in text output: the one place that decides whether a stream gets escape codes and
 * what each kind of text looks like.
 *
 * Decided per stream (stdout and stderr can each be a terminal or not):
 * - never under `--json` (`noColour()` is called once the command knows it prints JSON);
 * - `NO_COLOR` set to anything but "" turns colour off;
 * - `FORCE_COLOR` set to anything but "" or "0" turns it on, even into a pipe or a file;
 * - otherwise colour only on a terminal whose TERM is not "dumb".
 *
 * The escape codes come from Node's own `util.styleText` (no dependency; the decision above is
 * ours, so it asks styleText not to second-guess it).
 */
import { styleText } from "node:util";

export type Role =
  /** success: succeeded, completed, pass, ✓ */
  | "ok"
  /** failure: failed, errors, ✗ */
  | "fail"
  /** warnings, cancelled */
  | "warn"
  /** something in progress: running, ▸ */
  | "active"
  /** secondary: skipped, hints */
  | "dim"
  /** table headers */
  | "header";

const FORMATS: Record<Role, Parameters<typeof styleText>[0]> = {
  ok: "green",
  fail: "red",
  warn: "yellow",
  active: "cyan",
  dim: "gray",
  header: "bold",
};

let jsonMode = false;

/** No colour anywhere for the rest of the process (the command prints JSON). */
export function noColour(): void {
  jsonMode = true;
}

/** Whether text written to `stream` is coloured. */
export function colourEnabled(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (jsonMode) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return (stream as NodeJS.WriteStream).isTTY === true && env.TERM !== "dumb";
}

/** `text` in the look of `role` when `stream` takes colour, else unchanged. */
export function paint(stream: NodeJS.WritableStream, role: Role, text: string): string {
  if (text === "" || !colourEnabled(stream)) return text;
  return styleText(FORMATS[role], text, { validateStream: false });
}

/** The role of a run status word (succeeded, failed, cancelled, …), if it has one. */
export function statusRole(status: string): Role | undefined {
  switch (status.toLowerCase()) {
    case "succeeded":
    case "success":
    case "completed":
    case "pass":
    case "passed":
    case "ok":
    case "healthy":
      return "ok";
    case "failed":
    case "failure":
    case "fail":
    case "error":
    case "unhealthy":
      return "fail";
    case "cancelled":
    case "canceled":
    case "warning":
      return "warn";
    case "running":
    case "pending":
      return "active";
    case "skipped":
      return "dim";
    default:
      return undefined;
  }
}

/** A status word coloured by what it means (`failed` red, `succeeded` green, …). */
export function paintStatus(stream: NodeJS.WritableStream, status: string): string {
  const role = statusRole(status);
  return role ? paint(stream, role, status) : status;
}

/** `Warning: <message>` and a newline, the prefix coloured on a colour terminal. */
export function warningLine(stream: NodeJS.WritableStream, message: string): string {
  return `${paint(stream, "warn", "Warning:")} ${message}\n`;
}
