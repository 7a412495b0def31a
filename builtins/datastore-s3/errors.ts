/**
 * How S3 failures are classified (retry or not, precondition or not) and turned into one-line
 * errors a person can act on. Knows the shapes of AWS SDK v3 errors without importing the SDK.
 */
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  /** Raw error body captured by our client middleware (first 64 KiB). */
  swampBody?: string;
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === "object" && err !== null ? (err as SdkErrorShape) : {};
}

export function httpStatusOf(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode;
}

/** The S3 error code (`NoSuchKey`, `PreconditionFailed`, …), from the SDK or the captured body. */
export function s3CodeOf(err: unknown): string | undefined {
  const s = shape(err);
  const fromBody = s.swampBody ? /<Code>([^<]+)<\/Code>/.exec(s.swampBody)?.[1] : undefined;
  if (fromBody) return fromBody;
  if (s.Code) return s.Code;
  if (s.name && s.name !== "Error" && s.name !== "UnknownError" && s.name !== "S3ServiceException") return s.name;
  return undefined;
}

/** The server's own words: `<Message>` of the error body, else a short preview of the body. */
export function serverMessageOf(err: unknown): string | undefined {
  const body = shape(err).swampBody;
  if (!body) return undefined;
  const msg = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  if (msg) return msg;
  const preview = body.replace(/\s+/g, " ").trim().slice(0, 256);
  return preview === "" ? undefined : preview;
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** A failed conditional request: 412 PreconditionFailed or 409 ConditionalRequestConflict. */
export function isPreconditionFailure(err: unknown): boolean {
  const status = httpStatusOf(err);
  const code = s3CodeOf(err);
  return status === 412 || status === 409 || code === "PreconditionFailed" || code === "ConditionalRequestConflict";
}

export function isNotFound(err: unknown): boolean {
  const status = httpStatusOf(err);
  const code = s3CodeOf(err);
  return status === 404 || code === "NoSuchKey" || code === "NotFound";
}

export function isNotModified(err: unknown): boolean {
  return httpStatusOf(err) === 304 || s3CodeOf(err) === "NotModified";
}

/** Worth retrying: throttling, server errors, timeouts and transport failures (no HTTP status). */
export function isRetryable(err: unknown): boolean {
  const s = shape(err);
  if (s.name === "AbortError") return false;
  const status = httpStatusOf(err);
  if (status !== undefined) return status === 429 || (status >= 500 && status <= 599);
  const code = s.code ?? s.Code;
  if (code && NETWORK_CODES.has(code)) return true;
  if (s.name === "TimeoutError" || s.name === "RequestTimeout" || s.name === "RequestTimeoutException") return true;
  // Transport errors from the HTTP layer carry no $metadata status.
  return s.$metadata === undefined && (s.name === "Error" || s.name === "TypeError" || code !== undefined);
}

function isCredentialsProblem(err: unknown): boolean {
  const s = shape(err);
  const text = `${s.name ?? ""} ${s3CodeOf(err) ?? ""} ${s.message ?? ""}`;
  return /CredentialsProviderError|Could not load credentials|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|TokenRefreshRequired|InvalidToken|credentials/i.test(text);
}

export interface S3Target {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
}

/** One-line hint for the common failures (403, 404 bucket, credentials), or undefined. */
export function hintFor(err: unknown, target: S3Target): string | undefined {
  const status = httpStatusOf(err);
  const code = s3CodeOf(err);
  if (isCredentialsProblem(err)) {
    if (/ExpiredToken|TokenRefreshRequired|expired/i.test(`${code ?? ""} ${shape(err).message ?? ""}`)) {
      return "Your AWS credentials have expired: refresh them (for SSO: 'aws sso login --profile <profile>') and retry.";
    }
    return "Check your AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run 'aws sso login'.";
  }
  if (status === 403 || code === "AccessDenied" || code === "Forbidden") {
    return `Check that the credentials may use bucket '${target.bucket}': s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject${target.prefix ? ` on prefix '${target.prefix}'` : ""}.`;
  }
  if (code === "NoSuchBucket" || (status === 404 && code !== "NoSuchKey")) {
    return `Bucket '${target.bucket}' does not exist${target.endpoint ? ` at ${target.endpoint}` : ` in region ${target.region}`}: create it or fix the bucket name.`;
  }
  if (code === "PermanentRedirect" || code === "AuthorizationHeaderMalformed" || status === 301) {
    return `Bucket '${target.bucket}' is in another region: set "region" in the datastore config.`;
  }
  return undefined;
}

/** What went wrong, in words: status, code and the server's message (never credentials). */
export function describeS3Error(err: unknown): string {
  const s = shape(err);
  const status = httpStatusOf(err);
  const code = s3CodeOf(err);
  const server = serverMessageOf(err);
  const message = s.message && s.message !== code && s.message !== "UnknownError" ? s.message : undefined;
  const parts: string[] = [];
  if (status !== undefined) parts.push(String(status));
  if (code) parts.push(code);
  const head = parts.join(" ");
  const detail = server ?? message ?? (code ? undefined : String(err));
  return [head, detail].filter((p) => p && p.length > 0).join(": ") || "unknown error";
}

/** Wraps an S3 failure into a SwampError naming the operation, with a hint when one applies. */
export function s3Failure(operation: string, err: unknown, target: S3Target): SwampError {
  if (err instanceof SwampError) return err;
  const hint = hintFor(err, target);
  const status = httpStatusOf(err);
  const code = s3CodeOf(err);
  return new SwampError(
    ErrorCode.datastoreUnavailable,
    `S3 ${operation} failed (${describeS3Error(err)})${hint ? `. ${hint}` : ""}`,
    { details: { operation, bucket: target.bucket, ...(status !== undefined ? { status } : {}), ...(code ? { s3Code: code } : {}) }, cause: err },
  );
}
