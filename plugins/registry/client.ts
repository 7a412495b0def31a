/**
 * The npm-protocol client: packuments, search, tarballs (verified against `dist.integrity`) and
 * publish, on any registry that speaks npm's HTTP API (npmjs, Verdaccio, GitHub Packages,
 * Artifactory). Built on Node's fetch. Every failure becomes a SwampError with a stable code and
 * one line of text; the token never appears in one (see RegistryTarget.redact).
 */
import { createHash } from "node:crypto";
import { SwampError } from "../../kernel/contract/errors.js";
import type { RegistryTarget } from "./config.js";
import { RegistryErrorCode } from "./errors.js";
import { npmPathName } from "./names.js";

export interface PackumentVersion {
  name: string;
  version: string;
  description?: string;
  keywords?: string[];
  repository?: unknown;
  license?: string;
  deprecated?: string;
  swamp?: Record<string, unknown>;
  dist: { tarball: string; integrity?: string; shasum?: string; unpackedSize?: number; fileCount?: number };
  [key: string]: unknown;
}

export interface Packument {
  name: string;
  description?: string;
  "dist-tags": Record<string, string>;
  versions: Record<string, PackumentVersion>;
  time?: Record<string, string>;
  modified?: string;
  readme?: string;
}

export interface SearchObject {
  package: {
    name: string;
    version?: string;
    description?: string;
    keywords?: string[];
    date?: string;
    links?: Record<string, string>;
    "dist-tags"?: Record<string, string>;
    time?: Record<string, string>;
  };
}

export interface SearchResult {
  objects: SearchObject[];
  total: number;
}

/** `sha512-<base64>` of the bytes, as npm writes `dist.integrity`. */
export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/** True when one of the sha512 hashes of an SRI string matches the bytes. */
export function integrityMatches(bytes: Uint8Array, sri: string): boolean {
  const actual = integrityOf(bytes);
  return sri
    .split(/\s+/)
    .filter((h) => h.startsWith("sha512-"))
    .some((h) => h.split("?")[0] === actual);
}

const TIMEOUT_MS = 15_000;
const TRANSFER_TIMEOUT_MS = 120_000;
const ABBREVIATED = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

type Operation = "read" | "search" | "download" | "publish";

export class RegistryClient {
  constructor(readonly target: RegistryTarget) {}

  /** The packument, or null when the registry has no such package. `abbreviated` is enough to resolve versions. */
  async packument(npmName: string, opts: { abbreviated?: boolean } = {}): Promise<Packument | null> {
    const res = await this.request("read", `${this.target.url}${npmPathName(npmName)}`, {
      headers: { accept: opts.abbreviated ? ABBREVIATED : "application/json" },
    });
    if (res.status === 404) return null;
    if (!res.ok) throw await this.failure("read", res, npmName);
    return (await res.json()) as Packument;
  }

  /** `GET /-/v1/search?text=`: plain text on most registries (Verdaccio ignores qualifiers). */
  async search(text: string, opts: { size?: number; from?: number } = {}): Promise<SearchResult> {
    const q = new URLSearchParams({ text, size: String(opts.size ?? 20), from: String(opts.from ?? 0) });
    const res = await this.request("search", `${this.target.url}-/v1/search?${q}`, { headers: { accept: "application/json" } });
    if (!res.ok) throw await this.failure("search", res, text);
    const body = (await res.json()) as Partial<SearchResult>;
    return { objects: body.objects ?? [], total: body.total ?? body.objects?.length ?? 0 };
  }

  /** Downloads a tarball and verifies it against the packument's `dist.integrity` (sha512 SRI). */
  async tarball(url: string, integrity: string | undefined, label: string, onBytes?: (received: number, total: number | undefined) => void): Promise<Buffer> {
    if (!integrity || !/(^|\s)sha512-/.test(integrity)) {
      throw new SwampError(RegistryErrorCode.integrityMismatch, `${label} has no sha512 integrity in the registry; refusing an unverifiable download`);
    }
    // Credentials go only to the registry's own host, as npm does for tarball URLs.
    const sameHost = new URL(url).host === new URL(this.target.url).host;
    const res = await this.request("download", url, {}, sameHost);
    if (!res.ok) throw await this.failure("download", res, label);
    const bytes = await readBody(res, onBytes).catch((err: unknown) => {
      throw this.unreachable(err, TRANSFER_TIMEOUT_MS);
    });
    if (!integrityMatches(bytes, integrity)) {
      throw new SwampError(
        RegistryErrorCode.integrityMismatch,
        `${label}: the downloaded tarball does not match the registry's integrity (expected ${integrity}, got ${integrityOf(bytes)})`,
        { details: { expected: integrity, actual: integrityOf(bytes) } },
      );
    }
    return bytes;
  }

  /** `PUT /<name>` with the packument and the base64 tarball attachment, as `npm publish` does. */
  async publish(npmName: string, version: string, document: Record<string, unknown>): Promise<void> {
    const res = await this.request("publish", `${this.target.url}${npmPathName(npmName)}`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(document),
    });
    if (!res.ok) throw await this.failure("publish", res, `${npmName}@${version}`);
  }

  private async request(op: Operation, url: string, init: RequestInit, withAuth = true): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("user-agent", "swamp (npm-protocol client)");
    const auth = withAuth ? this.target.authorization() : undefined;
    if (auth) headers.set("authorization", auth);
    const timeout = op === "download" || op === "publish" ? TRANSFER_TIMEOUT_MS : TIMEOUT_MS;
    try {
      return await fetch(url, { ...init, headers, redirect: "follow", signal: AbortSignal.timeout(timeout) });
    } catch (err) {
      throw this.unreachable(err, timeout);
    }
  }

  private unreachable(err: unknown, timeout: number): SwampError {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const name = (err as { name?: string }).name;
    const why =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${timeout / 1000}s`
        : cause?.code === "ECONNREFUSED"
          ? "connection refused"
          : cause?.code === "ENOTFOUND" || cause?.code === "EAI_AGAIN"
            ? "host not found"
            : (cause?.code ?? cause?.message ?? (err as Error).message);
    return new SwampError(
      RegistryErrorCode.registryUnreachable,
      this.target.redact(`Could not reach the extension registry at ${this.target.url}: ${why}`),
      { details: { registry: this.target.url } },
    );
  }

  private async failure(op: Operation, res: Response, subject: string): Promise<SwampError> {
    const server = await serverMessage(res);
    const details = { registry: this.target.url, status: res.status };
    const say = (code: string, text: string) => new SwampError(code, this.target.redact(text), { details });
    const alreadyPublished = /previously published|cannot publish over|already present|already exists/i.test(server);
    if (op === "publish" && (res.status === 409 || (res.status === 403 && alreadyPublished))) {
      return say(RegistryErrorCode.versionExists, `${subject} already exists in the registry at ${this.target.url}; bump the version in manifest.yaml`);
    }
    if (res.status === 401 || res.status === 403) {
      const hint = this.target.hasToken
        ? `the token from ${this.target.authSource} was refused`
        : `no token is configured: add //${new URL(this.target.url).host}${new URL(this.target.url).pathname}:_authToken=… to .npmrc or set NPM_TOKEN`;
      return say(RegistryErrorCode.registryAuthFailed, `The registry at ${this.target.url} refused ${subject} (HTTP ${res.status}${server ? `: ${server}` : ""}); ${hint}`);
    }
    if (res.status === 404) return say(RegistryErrorCode.extensionNotFound, `${subject} not found in the registry at ${this.target.url}`);
    if (res.status === 429) {
      const retry = res.headers.get("retry-after");
      return say(RegistryErrorCode.registryError, `The registry at ${this.target.url} is rate limiting requests${retry ? `; retry in ${retry}s` : ""}`);
    }
    return say(RegistryErrorCode.registryError, `Registry error (HTTP ${res.status}) for ${subject} at ${this.target.url}${server ? `: ${server}` : ""}`);
  }
}

/** The whole body, reporting the bytes received so far (and the Content-Length, when sent). */
async function readBody(res: Response, onBytes?: (received: number, total: number | undefined) => void): Promise<Buffer> {
  if (!onBytes || !res.body) return Buffer.from(await res.arrayBuffer());
  const length = Number(res.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  onBytes(0, total);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    received += chunk.length;
    onBytes(received, total);
  }
  return Buffer.concat(chunks);
}

/** The `error`/`message`/`reason` of a JSON error body, or a short plain-text body; never HTML. */
async function serverMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  let message = "";
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    message = [body.error, body.message, body.reason].find((v): v is string => typeof v === "string") ?? "";
  } catch {
    message = /^\s*</.test(text) ? "" : text;
  }
  return message.replace(/\s+/g, " ").trim().slice(0, 300);
}
