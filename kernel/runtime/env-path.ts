/**
 * Path expansion for configured paths: a leading `~`, `$VAR` and `${VAR}`. An unset or empty
 * variable is an error, never an empty string (which would silently point at `/`).
 */
import { ErrorCode, SwampError } from "../contract/errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

export function homeDir(env: Env): string | undefined {
  return env.HOME || env.USERPROFILE || undefined;
}

export function expandPath(path: string, env: Env): string {
  const missing = (name: string): never => {
    throw new SwampError(
      ErrorCode.envVarUnset,
      `Environment variable "${name}" is not set or empty (referenced in path "${path}")`,
      { details: { variable: name, path } },
    );
  };
  let out = path;
  if (out === "~" || out.startsWith("~/")) {
    const home = homeDir(env);
    if (!home) missing("HOME");
    out = home + out.slice(1);
  }
  return out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = env[name];
    if (!value) return missing(name);
    return value;
  });
}

/** The inverse used when writing paths back to `.swamp.yaml`: only a `$HOME` prefix collapses. */
export function collapseHome(path: string, env: Env): string {
  const home = env.HOME;
  if (home && home !== "/" && (path === home || path.startsWith(home + "/"))) return "$HOME" + path.slice(home.length);
  return path;
}
