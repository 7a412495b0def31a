/**
 * Refresh hooks (models.md §7.3): a shell command whose stdout is a secret's new value. The
 * command runs in the repository with the user's environment; its stdout (trailing whitespace
 * trimmed) is the value, and nothing it prints is ever shown or logged, since either stream
 * may carry the secret. A hook that fails, prints nothing or outlives its deadline is
 * reported by exit status only, and its whole process group is ended.
 */
import { spawn } from "node:child_process";
import { SwampError } from "../contract/errors.js";
import type { VaultRefreshHook } from "../contract/ports/vault.js";
import { VaultErrorCode } from "./errors.js";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/** `90s`, `30m`, `1h30m`, `7d` → milliseconds; null when `text` is not such a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return null;
  let total = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(n) * (UNIT_MS[unit as string] as number);
  return Number.isSafeInteger(total) && total > 0 ? total : null;
}

/** True when the hook never ran or its TTL has passed. */
export function isStale(hook: VaultRefreshHook, now: Date): boolean {
  if (!hook.lastRefreshedAt) return true;
  const last = Date.parse(hook.lastRefreshedAt);
  return Number.isNaN(last) || now.getTime() - last >= hook.ttlMs;
}

export const REFRESH_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Runs a hook command; resolves to its trimmed stdout, or throws one line saying why not (never the output). */
export function runRefreshCommand(command: string, cwd: string, timeoutMs = REFRESH_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const posix = process.platform !== "win32";
    const child = spawn(command, { cwd, shell: true, stdio: ["ignore", "pipe", "ignore"], detached: posix, windowsHide: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: string | null = null;
    const stop = (why: string) => {
      failure ??= why;
      try {
        if (posix && child.pid) process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(`did not finish within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) stop(`printed more than ${MAX_OUTPUT_BYTES} bytes`);
      else chunks.push(chunk);
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new SwampError(VaultErrorCode.refreshFailed, `The refresh command could not start: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failure) return reject(new SwampError(VaultErrorCode.refreshFailed, `The refresh command ${failure}`));
      if (code !== 0) return reject(new SwampError(VaultErrorCode.refreshFailed, `The refresh command exited with ${signal ? `signal ${signal}` : `code ${code}`}`));
      const value = Buffer.concat(chunks).toString("utf8").trimEnd();
      if (value === "") return reject(new SwampError(VaultErrorCode.refreshFailed, "The refresh command printed nothing"));
      resolve(value);
    });
  });
}
