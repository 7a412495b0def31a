/**
 * The `Deno` global for extensions written for swamp (Deno programs), built on Node: installed
 * in every worker thread and sandbox process before an extension's module is evaluated, so a
 * module that reads `Deno.env` at its top level works. A real `Deno` is never replaced.
 *
 * Under `sandbox` isolation these calls meet Node's permission model like any other code:
 * a refused spawn or file access raises `Deno.errors.PermissionDenied`, which the host
 * reports as `extension_permission_denied` naming the call.
 */
import { ChildProcess, Command } from "./command.js";
import { createEnv } from "./env.js";
import { errors } from "./errors.js";
import { createFs } from "./fs.js";
import { createRuntime } from "./runtime.js";

export function createDeno() {
  const deno = createRuntime() as ReturnType<typeof createRuntime> &
    ReturnType<typeof createFs> & { env: ReturnType<typeof createEnv>; errors: typeof errors; Command: typeof Command; ChildProcess: typeof ChildProcess };
  // Getters of the runtime part (exitCode) must stay getters: copy descriptors, not values.
  Object.defineProperties(deno, Object.getOwnPropertyDescriptors(createFs()));
  Object.assign(deno, { env: createEnv(), errors, Command, ChildProcess });
  return deno;
}

export type DenoNamespace = ReturnType<typeof createDeno>;

/** Defines `globalThis.Deno` unless one exists already (under Deno itself, or installed before). */
export function installDenoGlobal(target: object = globalThis): void {
  if ("Deno" in target) return;
  Object.defineProperty(target, "Deno", { value: createDeno(), enumerable: false, configurable: true, writable: true });
}
