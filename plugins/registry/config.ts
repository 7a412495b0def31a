/**
 * Which npm-protocol registry an extension lives on, and the credentials for it.
 *
 * Registry URL, first that is set:
 *   1. `SWAMP_EXTENSION_REGISTRY`;
 *   2. `.swamp.yaml` `extensions.registry`;
 *   3. npm's own configuration: `@<collective>:registry=` (env `npm_config_@<collective>:registry`,
 *      the project's `.npmrc` in the repo, the user's `.npmrc`), then `registry=` (env
 *      `npm_config_registry`, the project's, the user's);
 *   4. https://registry.npmjs.org/.
 * Token: the `//host/path/:_authToken=` line of the project's or user's `.npmrc` that matches the
 * registry URL (longest path first, as npm does, `${ENV}` expanded), else `NPM_TOKEN`.
 *
 * The token lives in a private field: printing or serialising the resolved target never shows it.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { readMarker } from "../../kernel/runtime/marker.js";
import { extensionCollective } from "./names.js";

export const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

type Env = Readonly<Record<string, string | undefined>>;

/** A resolved registry: its URL, where the URL came from, and (privately) its token. */
export class RegistryTarget {
  readonly #token: string | undefined;
  constructor(
    readonly url: string,
    readonly source: string,
    token: string | undefined,
    readonly authSource: string | undefined,
  ) {
    this.#token = token;
  }
  get hasToken(): boolean {
    return this.#token !== undefined;
  }
  /** The Authorization header value, for the client only. */
  authorization(): string | undefined {
    return this.#token === undefined ? undefined : `Bearer ${this.#token}`;
  }
  /** Removes the token from text that may have echoed it (a server message, a URL). */
  redact(text: string): string {
    return this.#token ? text.split(this.#token).join("***") : text;
  }
  toJSON(): Record<string, unknown> {
    return { url: this.url, source: this.source, authenticated: this.hasToken, ...(this.authSource ? { authSource: this.authSource } : {}) };
  }
}

interface NpmrcFile {
  path: string;
  values: Map<string, string>;
}

/** `${VAR}` (and npm's `${VAR?}`) from the environment; unset variables become empty. */
function expandEnv(value: string, env: Env): string {
  return value.replace(/\$\{([^}?]+)\??\}/g, (_, name: string) => env[name] ?? "");
}

/** The key=value lines of an ini-style `.npmrc`; comments start with `;` or `#`. */
export function parseNpmrc(text: string, env: Env): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = expandEnv(line.slice(0, eq).trim(), env);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
      value = value.slice(1, -1);
    }
    values.set(key, expandEnv(value, env));
  }
  return values;
}

async function readNpmrc(path: string, env: Env): Promise<NpmrcFile | null> {
  try {
    return { path, values: parseNpmrc(await readFile(path, "utf8"), env) };
  } catch {
    return null;
  }
}

function envConfig(env: Env, key: string): string | undefined {
  const want = `npm_config_${key}`.toLowerCase();
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === want && v) return v;
  return undefined;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function checkedUrl(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SwampError(ErrorCode.configInvalid, `Registry URL from ${source} is not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new SwampError(ErrorCode.configInvalid, `Registry URL from ${source} must be http or https: ${url}`);
  }
  return withSlash(parsed.toString());
}

/** `//host/path/` and each parent path, longest first: the keys npm matches credentials on. */
function nerfDarts(url: string): string[] {
  const u = new URL(url);
  const segments = u.pathname.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = segments.length; i >= 0; i--) out.push(`//${u.host}/${segments.slice(0, i).map((s) => `${s}/`).join("")}`);
  return out;
}

export interface ResolveOptions {
  /** The repo (for `.swamp.yaml` and the project's `.npmrc`); a missing repo is fine. */
  repoDir?: string;
  env: Env;
  /** The extension the command is about, whose collective picks a scoped registry. */
  extension?: string;
}

export async function resolveRegistry(opts: ResolveOptions): Promise<RegistryTarget> {
  const { env } = opts;
  const home = env.HOME ?? homedir();
  const userPath = envConfig(env, "userconfig") ?? join(home, ".npmrc");
  const files = (
    await Promise.all([opts.repoDir ? readNpmrc(join(opts.repoDir, ".npmrc"), env) : null, readNpmrc(userPath, env)])
  ).filter((f): f is NpmrcFile => f !== null);

  let url: string | undefined;
  let source = "default";
  const fromEnv = env.SWAMP_EXTENSION_REGISTRY;
  if (fromEnv) [url, source] = [checkedUrl(fromEnv, "SWAMP_EXTENSION_REGISTRY"), "SWAMP_EXTENSION_REGISTRY"];
  if (!url && opts.repoDir) {
    const marker = await readMarker(opts.repoDir).catch((err: unknown) => {
      if ((err as { code?: string }).code === ErrorCode.notARepo) return null;
      throw err;
    });
    const fromMarker = marker?.extensions?.registry;
    if (fromMarker) [url, source] = [checkedUrl(fromMarker, ".swamp.yaml extensions.registry"), ".swamp.yaml"];
  }
  if (!url && opts.extension) {
    const key = `@${extensionCollective(opts.extension)}:registry`;
    const scopedEnv = envConfig(env, key);
    if (scopedEnv) [url, source] = [checkedUrl(scopedEnv, `npm_config_${key}`), `npm_config_${key}`];
    for (const f of files) {
      const v = f.values.get(key);
      if (!url && v) [url, source] = [checkedUrl(v, f.path), f.path];
    }
  }
  if (!url) {
    const plain = envConfig(env, "registry");
    if (plain) [url, source] = [checkedUrl(plain, "npm_config_registry"), "npm_config_registry"];
    for (const f of files) {
      const v = f.values.get("registry");
      if (!url && v) [url, source] = [checkedUrl(v, f.path), f.path];
    }
  }
  url ??= DEFAULT_REGISTRY;

  for (const dart of nerfDarts(url)) {
    for (const f of files) {
      const token = f.values.get(`${dart}:_authToken`);
      if (token) return new RegistryTarget(url, source, token, f.path);
    }
  }
  if (env.NPM_TOKEN) return new RegistryTarget(url, source, env.NPM_TOKEN, "NPM_TOKEN");
  return new RegistryTarget(url, source, undefined, undefined);
}
